import ArgumentParser
import Foundation
import HelplineRouting

/// The options every command that touches data accepts.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The database file (default: $HELPLINE_DB, else ./helpline.sqlite).", valueName: "path"))
    var db: String?

    @Option(name: .long, help: ArgumentHelp("Seconds to wait for another writer (default: $HELPLINE_BUSY_TIMEOUT, else 5).", valueName: "seconds"))
    var busyTimeout: Double?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "full (default): a commit survives power loss. normal: faster; a power cut may lose the last commits.",
            valueName: "full|normal"))
    var durability: String?

    /// The plain values, for code that runs with or without ArgumentParser.
    var settings: DatabaseSettings { DatabaseSettings(db: db, busyTimeout: busyTimeout, durability: durability) }

    /// Opens and migrates the database; only `create` makes a new one (`init`).
    func open(migrate: Bool = true, create: Bool = false) throws -> Helpline { try settings.open(migrate: migrate, create: create) }
}

/// `--db`, `--busy-timeout` and `--durability` as plain values, with the environment's defaults.
struct DatabaseSettings: Equatable {
    var db: String?
    var busyTimeout: Double?
    var durability: String?

    var path: String {
        db ?? Self.environment("HELPLINE_DB") ?? "helpline.sqlite"
    }

    /// The zone for new providers and reports: $HELPLINE_TZ, else the machine's zone.
    static func defaultTimeZone() throws -> TimeZone {
        if let name = environment("HELPLINE_TZ") { return try TimeZone(iana: name) }
        return .current
    }

    /// A variable of the environment, nil when unset or empty. (ProcessInfo would copy the whole
    /// environment into a dictionary first, on every call path.)
    static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        let text = String(cString: value)
        return text.isEmpty ? nil : text
    }

    func options(migrate: Bool = true, create: Bool = false) throws -> Helpline.Options {
        var options = Helpline.Options()
        if let t = busyTimeout ?? Self.environment("HELPLINE_BUSY_TIMEOUT").flatMap(Double.init) {
            guard t >= 0, t <= 3600 else {
                throw InputError.outOfRange(field: "busy-timeout", value: String(t), allowed: "0-3600 seconds")
            }
            options.busyTimeout = t
        }
        if let d = durability {
            guard let value = Helpline.Durability(rawValue: d) else {
                throw InputError.invalidChoice(field: "durability", value: d, choices: ["full", "normal"])
            }
            options.durability = value
        }
        // Only an explicit zone: resolving the machine's costs a process start and is done on use.
        if Self.environment("HELPLINE_TZ") != nil { options.defaultTimeZone = try Self.defaultTimeZone() }
        if let shift = Self.environment("HELPLINE_CLOCK_OFFSET") {
            // For drills and tests: the clock runs at the real rate, shifted by this many seconds,
            // so several processes share one shifted clock (a race across a boundary, say).
            guard let seconds = Double(shift), seconds.isFinite else {
                throw InputError.notANumber(field: "HELPLINE_CLOCK_OFFSET", value: shift)
            }
            options.now = { Date().addingTimeInterval(seconds) }
        }
        options.migrate = migrate
        options.createIfMissing = create
        options.changeSource = Self.commandName()
        // A command is one short process: one connection is all it needs.
        options.singleConnection = true
        return options
    }

    /// The command being run, as the configuration history names its source: the leading words
    /// of the command line (`helpline provider update`), never its values.
    static func commandName() -> String {
        let words = HelplineCLI.movingSharedOptionsLast(Array(CommandLine.arguments.dropFirst())).prefix { word in
            !word.hasPrefix("-") && word.allSatisfy { $0.isLetter || $0 == "-" }
        }
        return (["helpline"] + words.prefix(2)).joined(separator: " ")
    }

    /// Opens and migrates the database. A missing file is an error (`StoreError.noDatabase`)
    /// unless `create` is set, as only `init` does: a mistyped path must not look like an empty day.
    func open(migrate: Bool = true, create: Bool = false) throws -> Helpline {
        let helpline = try Helpline(path: path, options: options(migrate: migrate, create: create))
        if Output.zone == nil { Output.zone = helpline.defaultTimeZone }
        return helpline
    }
}

/// `--json`: print one JSON document on stdout instead of text.
struct JSONFlag: ParsableArguments {
    @Flag(name: .long, help: "Print one JSON document on stdout.")
    var json = false
}

/// `--at`: when the event happened, for backfills and tests.
struct AtOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("When it happened, ISO 8601 with an offset (default: now).", valueName: "instant"))
    var at: String?

    /// The instant given, or nil for now.
    func instant() throws -> Date? { try Self.instant(at) }

    /// Parses an `--at` value; nil means now.
    static func instant(_ text: String?) throws -> Date? { try text.map(Instant.parse) }
}
