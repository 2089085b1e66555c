import HelplineRouting

/// The call path without swift-argument-parser: `route` and the call events, parsed by hand.
///
/// Telephony starts one `helpline` process per call event, and building ArgumentParser's command
/// tree (reflection and runtime type lookups over a large binary) took longer than routing the call.
/// `FastLane` accepts only the plain forms of these commands: their long options with a value
/// (`--to X` or `--to=X`), the `--json` flag and the call id. For anything else (help, a short,
/// unknown or repeated option, a value that looks like an option, a missing required option, a
/// number that doesn't parse) it returns nil, and the command line goes through ArgumentParser as
/// before, with its messages. A test checks that every command line `FastLane` accepts parses to
/// the same invocation through ArgumentParser.
enum FastLane {
    /// A command `FastLane` parsed, ready to run.
    enum Invocation: Equatable {
        case route(RouteInvocation)
        case callEvent(CallEventInvocation)

        func run() throws {
            switch self {
            case .route(let invocation): try invocation.run()
            case .callEvent(let invocation): try invocation.run()
            }
        }
    }

    static let databaseOptions: Set<String> = ["db", "busy-timeout", "durability"]

    /// The long options with a value each command takes here; a test checks them against
    /// ArgumentParser's declarations, so the two parsers can't drift apart.
    static let valueOptions: [String: Set<String>] = [
        "route": databaseOptions.union(["to", "from", "caller-state", "external-id", "at"]),
        "call answered": databaseOptions.union(["at", "attempt"]),
        "call ended": databaseOptions.union(["at"]),
        "call no-answer": databaseOptions.union(["at", "attempt", "reason"]),
    ]
    /// The flags every one of them takes.
    static let flags: Set<String> = ["json"]

    /// The invocation for `arguments` (without the program name), or nil to use ArgumentParser.
    static func invocation(for arguments: [String]) -> Invocation? {
        guard let first = arguments.first else { return nil }
        if first == "route" {
            guard
                let scan = Scan(arguments.dropFirst(), options: valueOptions["route"] ?? [], positionals: 0),
                let database = scan.database, let to = scan.values["to"], let from = scan.values["from"]
            else { return nil }
            return .route(
                RouteInvocation(
                    database: database, json: scan.json, to: to, from: from, callerState: scan.values["caller-state"],
                    externalID: scan.values["external-id"], at: scan.values["at"]))
        }
        guard first == "call", arguments.count > 1 else { return nil }
        let rest = arguments.dropFirst(2)
        let event: CallEventInvocation.Event
        let scan: Scan?
        switch arguments[1] {
        case "answered":
            scan = Scan(rest, options: valueOptions["call answered"] ?? [], positionals: 1)
            guard let attempt = Self.attempt(scan) else { return nil }
            event = .answered(attempt: attempt)
        case "ended":
            event = .ended
            scan = Scan(rest, options: valueOptions["call ended"] ?? [], positionals: 1)
        case "no-answer":
            scan = Scan(rest, options: valueOptions["call no-answer"] ?? [], positionals: 1)
            guard let attempt = Self.attempt(scan) else { return nil }
            event = .noAnswer(attempt: attempt, reason: scan?.values["reason"] ?? AttemptFailure.noAnswer.rawValue)
        default:
            return nil
        }
        guard let scan, let database = scan.database, let callID = scan.positionals.first else { return nil }
        return .callEvent(CallEventInvocation(event: event, database: database, json: scan.json, callID: callID, at: scan.values["at"]))
    }

    /// The `--attempt` value: `.some(nil)` when absent, nil when it is not a number.
    private static func attempt(_ scan: Scan?) -> Int?? {
        guard let text = scan?.values["attempt"] else { return .some(nil) }
        guard let value = Int(text) else { return nil }
        return .some(value)
    }

    /// A command line split into long options with values, the `--json` flag and positionals; nil
    /// when it holds anything else.
    struct Scan {
        var values: [String: String] = [:]
        var json = false
        var positionals: [String] = []

        init?(_ arguments: ArraySlice<String>, options: Set<String>, positionals count: Int) {
            var i = arguments.startIndex
            while i < arguments.endIndex {
                let argument = arguments[i]
                i += 1
                guard argument.hasPrefix("--") else {
                    // A positional; "help" and anything dash-led are ArgumentParser's to interpret.
                    guard !argument.hasPrefix("-"), argument != "help", positionals.count < count else { return nil }
                    positionals.append(argument)
                    continue
                }
                let body = argument.dropFirst(2)
                let name: String
                let value: String
                if let equals = body.firstIndex(of: "=") {
                    name = String(body[..<equals])
                    value = String(body[body.index(after: equals)...])
                    // ArgumentParser refuses `--db=`; leave it its message.
                    guard !value.isEmpty else { return nil }
                } else if body == "json" {
                    guard !json else { return nil }
                    json = true
                    continue
                } else {
                    guard i < arguments.endIndex else { return nil }
                    name = String(body)
                    value = arguments[i]
                    i += 1
                }
                guard options.contains(name), values[name] == nil, !value.hasPrefix("-") else { return nil }
                values[name] = value
            }
            guard positionals.count == count else { return nil }
        }

        /// The database options, or nil when `--busy-timeout` is not a number.
        var database: DatabaseSettings? {
            var busyTimeout: Double?
            if let text = values["busy-timeout"] {
                // NaN and infinities go to ArgumentParser (and its range check), never compare equal.
                guard let value = Double(text), value.isFinite else { return nil }
                busyTimeout = value
            }
            return DatabaseSettings(db: values["db"], busyTimeout: busyTimeout, durability: values["durability"])
        }
    }
}
