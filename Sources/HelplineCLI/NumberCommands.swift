import ArgumentParser
import Foundation
import HelplineRouting

/// The flags that configure a helpline number, shared by `number add` and `number update`.
struct HelplineFlags: ParsableArguments {
    @Option(help: "A label for operators, e.g. \"Main helpline\".") var name: String?
    @Option(help: "weighted-round-robin (default), least-recent, fewest-calls or weighted-random.") var strategy: String?
    @Option(help: "Member provider ids, e.g. 1,2,3, or all (default: every provider not removed, including later ones).")
    var members: String?
    @Option(help: "A caller who reached a provider within this many days goes back to it (default 30).") var repeatWindowDays: Int?
    @Option(help: "Seconds an offer rings before it stops counting toward concurrency (default 20).") var ringTimeout: Int?
    @Option(help: "Most providers one call is offered to before a callback is queued (default 3).") var maxAttempts: Int?

    func settings() throws -> HelplineSettings {
        var s = HelplineSettings(
            name: name, strategy: try strategy.map(RoutingStrategy.init(parsing:)), repeatWindowDays: repeatWindowDays,
            ringTimeoutSeconds: ringTimeout, maxAttempts: maxAttempts)
        if let members {
            s.members =
                members.trimmingCharacters(in: .whitespaces).lowercased() == "all"
                ? .some(nil) : .some(try parseIDList(members, field: "members"))
        }
        return s
    }
}

struct NumberCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "number",
        abstract: "Add and configure general helpline numbers.",
        subcommands: [Add.self, List.self, Show.self, Update.self]
    )

    static func printNumber(_ h: HelplineNumber, json: Bool) throws {
        if json { return try Output.json(h) }
        print(
            """
            id:                  \(h.id)
            number:              \(h.number.e164)
            name:                \(h.name.isEmpty ? "-" : h.name)
            strategy:            \(h.strategy.rawValue)
            members:             \(h.members.map { $0.map(String.init).joined(separator: ",") } ?? "all providers not removed")
            repeat window:       \(h.repeatWindowDays) days
            ring timeout:        \(h.ringTimeoutSeconds) s
            max attempts:        \(h.maxAttempts)
            """)
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Add a helpline number and print its id.",
            discussion: """
                Examples:
                  helpline number add --number "(800) 915-1270" --name "Main helpline"
                  helpline number add --number 8005550123 --members 1,3 --strategy least-recent --max-attempts 2
                """)
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: JSONFlag
        @Option(help: "The number callers dial.") var number: String
        @OptionGroup var flags: HelplineFlags

        func run() throws {
            let number = try PhoneNumber(parsingBusiness: number)
            let h = try global.open().addHelplineNumber(number, settings: try flags.settings())
            if output.json { try Output.json(h) } else { print(h.id) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List helpline numbers.", discussion: "Example:\n  helpline number list")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: JSONFlag

        func run() throws {
            let numbers = try global.open().helplineNumbers()
            if output.json { return try Output.json(numbers) }
            Output.table(
                ["ID", "NUMBER", "NAME", "STRATEGY", "MEMBERS", "WINDOW", "RING", "ATTEMPTS"],
                numbers.map { h in
                    [
                        String(h.id), h.number.e164, h.name, h.strategy.rawValue,
                        h.members.map { $0.map(String.init).joined(separator: ",") } ?? "all",
                        "\(h.repeatWindowDays)d", "\(h.ringTimeoutSeconds)s", String(h.maxAttempts),
                    ]
                })
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Show one helpline number.", discussion: "Example:\n  helpline number show 8009151270")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: JSONFlag
        @Argument(help: "The helpline number.") var number: String

        func run() throws {
            let number = try PhoneNumber(parsingBusiness: number)
            try NumberCommand.printNumber(try global.open().helplineNumber(number), json: output.json)
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "update",
            abstract: "Change some settings of a helpline number; the others stay.",
            discussion: "Example:\n  helpline number update 8009151270 --members all --ring-timeout 25")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: JSONFlag
        @Argument(help: "The helpline number.") var number: String
        @OptionGroup var flags: HelplineFlags

        func run() throws {
            let number = try PhoneNumber(parsingBusiness: number)
            let settings = try flags.settings()
            guard settings != HelplineSettings() else {
                throw CLIError.badUsage("nothing to update", hint: "give at least one flag, e.g. --ring-timeout 25")
            }
            try NumberCommand.printNumber(try global.open().updateHelplineNumber(number, settings: settings), json: output.json)
        }
    }
}
