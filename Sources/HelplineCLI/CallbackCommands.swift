import ArgumentParser
import Foundation
import HelplineRouting

struct CallbackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "callback",
        abstract: "Take callback requests from the web form, and work the callback queue.",
        subcommands: [Request.self, List.self, Complete.self, Abandon.self]
    )

    static func printCallback(_ c: Callback, json: Bool) throws {
        if json { return try Output.json(c) }
        print(
            "callback \(c.id): \(c.status), \(c.reason.rawValue), phone \(c.phone?.e164 ?? "(purged)")"
                + (c.owedBy.map { ", owed by provider \($0)" } ?? "") + (c.returnedBy.map { ", returned by provider \($0)" } ?? ""))
    }

    struct Request: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "request",
            abstract: "Queue a callback from the website's form.",
            discussion: """
                The phone must be written (###) ###-####. The honeypot field must be left unchanged \
                (empty): a changed honeypot is rejected (exit 65), logged, and queues nothing.
                Example: helpline callback request --phone "(303) 555-0126" --state CO
                """)
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: JSONFlag
        @Option(help: "The form's phone field, (###) ###-####.") var phone: String
        @Option(help: "The form's honeypot field as submitted.") var honeypot: String?
        @Option(help: "The caller's state, if the form asked (default: from the area code).") var state: String?
        @OptionGroup var at: AtOption

        func run() throws {
            let when = try at.instant()  // a bad --at is refused before the database is opened
            let c = try global.open().requestCallback(phoneField: phone, honeypot: honeypot, state: state, at: when)
            if output.json { try Output.json(c) } else { print(c.id) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List callbacks, oldest first.", discussion: "Example:\n  helpline callback list --pending")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: JSONFlag
        @Flag(help: "Only callbacks still owed.") var pending = false

        func run() throws {
            let list = try global.open().callbacks(pendingOnly: pending)
            if output.json { return try Output.json(list) }
            Output.table(
                ["ID", "REQUESTED", "PHONE", "STATE", "REASON", "CALL", "OWED BY", "STATUS", "RETURNED BY"],
                list.map { c in
                    [
                        String(c.id), Output.time(c.requestedAt), c.phone?.formatted ?? "(purged)", c.callerState ?? "-", c.reason.rawValue,
                        c.callID.map(String.init) ?? "-", c.owedBy.map(String.init) ?? "any", c.status.rawValue, c.returnedBy.map(String.init) ?? "-",
                    ]
                })
        }
    }

    struct Complete: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "complete",
            abstract: "Record that a provider returned the call.",
            discussion: "Example:\n  helpline callback complete 4 --provider 2")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: JSONFlag
        @Argument(help: "The callback id.") var id: String
        @Option(help: "The provider that called back.") var provider: String
        @OptionGroup var at: AtOption

        func run() throws {
            let callbackID = try parseID(id, kind: "callback")
            let when = try at.instant()  // a bad --at is refused before the database is opened
            let c = try global.open().completeCallback(id: callbackID, providerID: try parseID(provider, kind: "provider"), at: when)
            try CallbackCommand.printCallback(c, json: output.json)
        }
    }

    struct Abandon: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "abandon",
            abstract: "Give up on a callback; it counts as not returned.", discussion: "Example:\n  helpline callback abandon 4")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: JSONFlag
        @Argument(help: "The callback id.") var id: String
        @OptionGroup var at: AtOption

        func run() throws {
            let callbackID = try parseID(id, kind: "callback")
            let when = try at.instant()  // a bad --at is refused before the database is opened
            try CallbackCommand.printCallback(try global.open().abandonCallback(id: callbackID, at: when), json: output.json)
        }
    }
}
