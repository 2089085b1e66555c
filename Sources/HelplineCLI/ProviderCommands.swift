import ArgumentParser
import Foundation
import HelplineRouting

/// The flags that describe a provider, shared by `provider add` and `provider update`.
struct ProviderFlags: ParsableArguments {
    @Option(help: "The provider's name, as callers and the disclosure see it.") var name: String?
    @Option(help: "The number offers ring: +18009151270, 8009151270 or \"(800) 915-1270\".") var phone: String?
    @Option(help: "IANA time zone for hours and caps, e.g. America/New_York (default: $HELPLINE_TZ, else the machine's).")
    var tz: String?
    @Option(help: "Weekly hours: 24/7 (default), \"mon-fri 08:00-20:00\", \"mon-fri 08:00-12:00,13:00-17:00; sat 10:00-14:00\", \"fri 22:00-02:00\".")
    var hours: String?
    @Option(help: "States served, e.g. NY,NJ (default: all).") var states: String?
    @Option(help: "Share within its tier, 1-100 (default 1).") var weight: String?
    @Option(help: "Priority tier; tier 1 is offered first (default 1).") var priority: String?
    @Option(help: "Most offers per hour in its zone (none: no cap).") var hourlyCap: String?
    @Option(help: "Most offers per day in its zone.") var dailyCap: String?
    @Option(help: "Most offers per month in its zone.") var monthlyCap: String?
    @Option(help: "Most offers ringing or connected at once.") var concurrency: String?
    @Option(help: "Pause after this many unanswered offers in a row (none: never).") var autoPauseAfter: String?
    @Option(help: "Where a SIP proxy rings it, e.g. sip:intake@pbx.example.org (none: ring --phone).") var sipUri: String?

    func fields() throws -> ProviderFields {
        let pairs: [(String, String?)] = [
            ("name", name), ("phone", phone), ("tz", tz), ("hours", hours), ("states", states), ("weight", weight),
            ("priority", priority), ("hourly_cap", hourlyCap), ("daily_cap", dailyCap), ("monthly_cap", monthlyCap),
            ("concurrency", concurrency), ("auto_pause_after", autoPauseAfter), ("sip_uri", sipUri),
        ]
        return try ProviderFields(Dictionary(uniqueKeysWithValues: pairs.compactMap { k, v in v.map { (k, $0) } }))
    }
}

struct ProviderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provider",
        abstract: "Add and manage providers: the paid advertisers that answer calls.",
        subcommands: [Add.self, List.self, Show.self, Update.self, Pause.self, Resume.self, Remove.self]
    )

    static func printProvider(_ p: Provider, json: Bool) throws {
        if json { return try Output.json(p) }
        print(
            """
            id:                \(p.id)
            name:              \(p.name)
            phone:             \(p.phone.e164)
            status:            \(p.status.rawValue)
            time zone:         \(p.timeZone.identifier)
            hours:             \(p.hours.spec)
            states:            \(p.states.isEmpty ? "all" : USState.joined(p.states))
            weight:            \(p.weight)
            priority tier:     \(p.priority)
            hourly cap:        \(Output.optional(p.caps.hourly))
            daily cap:         \(Output.optional(p.caps.daily))
            monthly cap:       \(Output.optional(p.caps.monthly))
            concurrency:       \(Output.optional(p.caps.concurrent))
            auto-pause after:  \(Output.optional(p.autoPauseAfter))
            SIP URI:           \(p.sipURI ?? "none (rings the phone)")
            updated:           \(Output.time(p.updatedAt))
            """)
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Add a provider and print its id.",
            discussion: """
                A second provider with the phone of one that is not removed is refused (it would double that provider's share) unless --allow-same-phone says the switchboard is really shared.

                Examples:
                  helpline provider add --name "ARK" --phone "(303) 555-0101" --weight 2
                  helpline provider add --name "Recovery" --phone 2125550142 --states NY,NJ
                  helpline provider add --name "Alli" --phone 6175550177 --daily-cap 40
                """)
        @OptionGroup var global: GlobalOptions
        @OptionGroup var provider: ProviderFlags
        @OptionGroup var output: JSONFlag
        @Flag(help: "Accept a phone another listed provider already answers on.") var allowSamePhone = false

        func run() throws {
            let fields = try provider.fields()
            let p = try global.open().addProvider(fields: fields, allowSamePhone: allowSamePhone)
            if output.json { try Output.json(p) } else { print(p.id) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List providers.", discussion: "Example:\n  helpline provider list --all")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: JSONFlag
        @Flag(name: .long, help: "Include removed providers.") var all = false

        func run() throws {
            let providers = try global.open().providers(includeRemoved: all)
            if output.json { return try Output.json(providers) }
            Output.table(
                ["ID", "NAME", "PHONE", "STATUS", "TZ", "HOURS", "STATES", "WEIGHT", "TIER", "CAPS H/D/M/C"],
                providers.map { p in
                    [
                        String(p.id), p.name, p.phone.e164, p.status.rawValue, p.timeZone.identifier, p.hours.spec,
                        p.states.isEmpty ? "all" : USState.joined(p.states), String(p.weight), String(p.priority),
                        [p.caps.hourly, p.caps.daily, p.caps.monthly, p.caps.concurrent].map(Output.optional).joined(separator: "/"),
                    ]
                })
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Show one provider and its status history.", discussion: "Example:\n  helpline provider show 2")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: JSONFlag
        @Argument(help: "The provider id.") var id: String

        func run() throws {
            let helpline = try global.open()
            let p = try helpline.provider(id: try parseID(id, kind: "provider"))
            try ProviderCommand.printProvider(p, json: output.json)
            if !output.json {
                print("history:")
                for e in try helpline.providerEvents(providerID: p.id) {
                    print("  \(Output.time(e.at))  \(e.event)\(e.detail.isEmpty ? "" : ": " + e.detail)")
                }
            }
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "update",
            abstract: "Change some of a provider's settings; the others stay.",
            discussion: "Example:\n  helpline provider update 2 --daily-cap none --weight 3")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: JSONFlag
        @Argument(help: "The provider id.") var id: String
        @OptionGroup var provider: ProviderFlags

        func run() throws {
            let fields = try provider.fields()
            guard !fields.values.isEmpty else {
                throw CLIError.badUsage("nothing to update", hint: "give at least one flag, e.g. --weight 3")
            }
            let p = try global.open().updateProvider(id: try parseID(id, kind: "provider"), fields: fields)
            try ProviderCommand.printProvider(p, json: output.json)
        }
    }

    struct Pause: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pause",
            abstract: "Stop offering pool calls to a provider. Its listing calls still reach it.",
            discussion: "Example:\n  helpline provider pause 2")
        @OptionGroup var arguments: StatusArguments
        func run() throws { try arguments.run(Helpline.pauseProvider(id:at:)) }
    }

    struct Resume: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "resume",
            abstract: "Resume a paused or auto-paused provider.", discussion: "Example:\n  helpline provider resume 2")
        @OptionGroup var arguments: StatusArguments
        func run() throws { try arguments.run(Helpline.resumeProvider(id:at:)) }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove",
            abstract: "Remove a provider. Removal is soft: its calls and history stay.",
            discussion: "Example:\n  helpline provider remove 2")
        @OptionGroup var arguments: StatusArguments
        func run() throws { try arguments.run(Helpline.removeProvider(id:at:)) }
    }

    /// What pause, resume and remove share: the provider id, --at, --json, and printing the result.
    struct StatusArguments: ParsableArguments {
        @OptionGroup var global: GlobalOptions
        @OptionGroup var at: AtOption
        @OptionGroup var output: JSONFlag
        @Argument(help: "The provider id.") var id: String

        func run(_ change: (Helpline) -> (Int64, Date?) throws -> Provider) throws {
            let when = try at.instant()  // a bad --at is refused before the database is opened
            let providerID = try parseID(id, kind: "provider")
            let p = try change(try global.open())(providerID, when)
            if output.json { try Output.json(p) } else { print("provider \(p.id) (\(p.name)) is \(p.status.rawValue)") }
        }
    }
}
