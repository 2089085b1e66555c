import ArgumentParser
import Foundation
import HelplineRouting

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create or migrate the database and print its schema version.",
        discussion: """
            --tz stores the helpline's zone in the database: reports, listings and providers added \
            without a zone use it unless --tz or $HELPLINE_TZ says otherwise (see `helpline settings`).
            Example: helpline init --db /var/lib/helpline/h.sqlite --tz America/Denver
            """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONFlag
    @Option(help: ArgumentHelp("The helpline's IANA zone, kept in the database.", valueName: "zone")) var tz: String?

    func run() throws {
        let zone = try tz.map(TimeZone.init(iana:))
        let helpline = try global.open(create: true)
        if let zone { try helpline.setTimeZone(zone) }
        let status = try helpline.migrationStatus()
        if output.json { return try Output.json(status) }
        print("schema version \(status.schemaVersion)")
        if let zone { print("time zone \(zone.identifier)") }
    }
}

struct SettingsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settings",
        abstract: "Show or change the settings the database keeps: the time zone and the maximum call length.",
        discussion: """
            Reports, listings and providers added without a zone use the stored zone unless --tz or \
            $HELPLINE_TZ says otherwise; without one, the machine's zone is used.

            The maximum call length (default 7200 s, 2 hours) is how long a connected call whose end \
            event never came keeps counting toward its provider's concurrency; then the sweep ends it, \
            marked end_assumed, so purge can redact its caller. Every process on the database uses the \
            stored value; a running server picks up a change at its next sweep (within 5 s).
            Examples:
              helpline settings
              helpline settings --tz America/Chicago
              helpline settings --max-call-length 10800
            """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONFlag
    @Option(help: ArgumentHelp("Store this IANA zone as the helpline's zone.", valueName: "zone")) var tz: String?
    @Option(help: ArgumentHelp("Store the maximum call length, 300 to 86400.", valueName: "seconds")) var maxCallLength: Int?

    struct Shown: Encodable {
        let time_zone: String?
        let effective_time_zone: String
        let max_call_length_s: Int?
        let effective_max_call_length_s: Int
    }

    func run() throws {
        let zone = try tz.map(TimeZone.init(iana:))
        let helpline = try global.open()
        if let zone { try helpline.setTimeZone(zone) }
        if let maxCallLength { try helpline.setMaxCallLength(Double(maxCallLength)) }
        let stored = helpline.storedTimeZone?.identifier
        let storedLength = helpline.storedMaxCallLength.map { Int($0) }
        if output.json {
            return try Output.json(
                Shown(
                    time_zone: stored, effective_time_zone: helpline.defaultTimeZone.identifier, max_call_length_s: storedLength,
                    effective_max_call_length_s: Int(helpline.maxCallLength)))
        }
        print("time zone: \(stored ?? "(not set; the machine's zone is used)")")
        if helpline.defaultTimeZone.identifier != stored {
            print("in effect: \(helpline.defaultTimeZone.identifier) (from $HELPLINE_TZ or the machine)")
        }
        print("max call length: \(Int(helpline.maxCallLength)) s\(storedLength == nil ? " (not set; the default)" : "")")
    }
}

struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending migrations, or with --status list applied and pending ones.",
        discussion: """
            Shipped migrations are immutable: a database whose applied migration differs from this \
            build's, or that is newer than this build, is refused (exit 74).
            Example: helpline migrate --status
            """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONFlag
    @Flag(help: "List applied and pending migrations; change nothing.") var status = false

    func run() throws {
        let helpline = try global.open(migrate: !status)
        let result = try helpline.migrationStatus()
        if output.json { return try Output.json(result) }
        Output.table(
            ["VERSION", "NAME", "STATE", "APPLIED", "SHA256"],
            result.entries.map {
                [String($0.version), $0.name, $0.appliedAt == nil ? "pending" : "applied", Output.time($0.appliedAt), String($0.sha256.prefix(16))]
            })
        print("schema version \(result.schemaVersion) of \(Migration.codeVersion)")
    }
}
