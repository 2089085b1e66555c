import ArgumentParser
import Foundation
import HelplineRouting

struct ListingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "listing",
        abstract: "Add and remove listings: a center's tracking number, always answered by its own provider.",
        subcommands: [Add.self, List.self, Update.self, Remove.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Add a listing and print its id.",
            discussion: "Example:\n  helpline listing add --name \"ARK Denver\" --number 8885550199 --provider 1")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: JSONFlag
        @Option(help: "The center's name.") var name: String
        @Option(help: "The listing's tracking number.") var number: String
        @Option(help: "The id of the provider that answers it.") var provider: String
        @Option(help: "Seconds its calls ring the center before a callback is owed, 1-600.") var ringTimeout = 20

        func run() throws {
            let number = try PhoneNumber(parsingBusiness: number)
            let providerID = try parseID(provider, kind: "provider")
            let listing = try global.open().addListing(name: name, number: number, providerID: providerID, ringTimeout: ringTimeout)
            if output.json { try Output.json(listing) } else { print(listing.id) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List listings.", discussion: "Example:\n  helpline listing list --all")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: JSONFlag
        @Flag(name: .long, help: "Include removed listings.") var all = false

        func run() throws {
            let listings = try global.open().listings(includeRemoved: all)
            if output.json { return try Output.json(listings) }
            Output.table(
                ["ID", "NAME", "NUMBER", "PROVIDER", "RING", "REMOVED"],
                listings.map {
                    [
                        String($0.id), $0.name, $0.number.e164, String($0.providerID), "\($0.ringTimeoutSeconds)s",
                        $0.removedAt.map(Output.time) ?? "-",
                    ]
                })
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "update",
            abstract: "Change a listing's name or ring timeout.",
            discussion: "Example:\n  helpline listing update 3 --ring-timeout 30")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: JSONFlag
        @Argument(help: "The listing id.") var id: String
        @Option(help: "The center's new name.") var name: String?
        @Option(help: "Seconds its calls ring the center before a callback is owed, 1-600.") var ringTimeout: Int?

        func run() throws {
            let listingID = try parseID(id, kind: "listing")
            guard name != nil || ringTimeout != nil else {
                throw CLIError.badUsage("nothing to update", hint: "give --name or --ring-timeout")
            }
            let listing = try global.open().updateListing(id: listingID, name: name, ringTimeout: ringTimeout)
            if output.json { try Output.json(listing) } else { print("listing \(listing.id) (\(listing.name)) is updated") }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove",
            abstract: "Remove a listing; its calls stay in the history.", discussion: "Example:\n  helpline listing remove 3")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var at: AtOption
        @OptionGroup var output: JSONFlag
        @Argument(help: "The listing id.") var id: String

        func run() throws {
            let when = try at.instant()  // a bad --at is refused before the database is opened
            let listing = try global.open().removeListing(id: try parseID(id, kind: "listing"), at: when)
            if output.json { try Output.json(listing) } else { print("listing \(listing.id) (\(listing.name)) is removed") }
        }
    }
}
