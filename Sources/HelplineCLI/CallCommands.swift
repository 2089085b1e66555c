import ArgumentParser
import Foundation
import HelplineRouting

struct CallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Report call events (answered, no answer, ended) and read the call log.",
        discussion: "Events are idempotent: a repeated event changes nothing. An event that contradicts the call exits 65.",
        subcommands: [Answered.self, NoAnswer.self, Ended.self, Show.self, List.self, Replay.self]
    )

    static func printCall(_ call: CallRecord, json: Bool) throws {
        if json { return try Output.json(call) }
        print(
            """
            call:         \(call.id)\(call.externalID.map { " (external \($0))" } ?? "")
            received:     \(Output.time(call.receivedAt))
            from:         \(call.caller?.e164 ?? "(purged)")\(call.callerState.map { "  state \($0) (\(call.callerStateSource ?? "?"))" } ?? "")
            dialed:       \(call.dialed)  [\(call.kind.rawValue)]
            status:       \(call.status)
            strategy:     \(call.strategy ?? "-")\(call.sticky ? "  (repeat caller, sticky)" : "")
            answered:     \(Output.time(call.answeredAt))\(call.answeredProviderID.map { " by provider \($0)" } ?? "")
            ended:        \(Output.time(call.endedAt))\(call.endAssumed ? "  (assumed: no end event came within the maximum call length)" : "")
            callback:     \(call.callbackID.map { "\($0) \(call.callbackStatus?.rawValue ?? "")" } ?? "-")
            consent:      \(call.consentSeq.map { "record \($0), terms version \(call.termsVersion.map(String.init) ?? "none published")" } ?? "-")
            """)
        print("attempts:")
        Output.table(
            ["SEQ", "PROVIDER", "OFFERED", "OUTCOME", "ANSWERED", "ENDED"],
            call.attempts.map {
                [
                    String($0.seq), String($0.providerID), Output.time($0.offeredAt), $0.outcome?.rawValue ?? "ringing", Output.time($0.answeredAt),
                    Output.time($0.endedAt),
                ]
            })
        if !call.candidates.isEmpty {
            print("candidates:")
            Output.table(
                ["PROVIDER", "TIER", "VERDICT", "SHARE"],
                call.candidates.map {
                    [String($0.providerID), String($0.tier), $0.reason?.rawValue ?? "eligible", $0.share.map { String(format: "%.3f", $0) } ?? "-"]
                })
        }
    }

    struct Answered: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "answered",
            abstract: "An offer of the call was answered.",
            discussion: """
                Pass --attempt (the number `route` or `no-answer` printed) so that a late event is \
                credited to the offer it is about: an "answered" for an attempt that already went \
                unanswered is refused, never given to the provider that was offered next.
                Example: helpline call answered 17 --attempt 1
                """)
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: JSONFlag
        @Argument(help: "The call id from `route`.") var callID: String
        @Option(help: "Which attempt was answered (default: the one ringing now).") var attempt: Int?
        @OptionGroup var at: AtOption

        var invocation: CallEventInvocation {
            CallEventInvocation(event: .answered(attempt: attempt), database: global.settings, json: output.json, callID: callID, at: at.at)
        }

        func run() throws { try invocation.run() }
    }

    struct NoAnswer: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "no-answer",
            abstract: "The current offer failed: offer the next fallback, or queue a callback when none is left.",
            discussion: """
                Pass --attempt to make a resent event exactly idempotent: a repeat for an attempt that \
                already failed prints the same next step and changes nothing.
                Example: helpline call no-answer 17 --attempt 1 --json
                """)
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: JSONFlag
        @Argument(help: "The call id from `route`.") var callID: String
        @Option(help: "Which attempt failed (default: the current one).") var attempt: Int?
        @Option(help: "no-answer, busy or failed (a telephony failure; doesn't count toward auto-pause).")
        var reason: String = AttemptFailure.noAnswer.rawValue
        @OptionGroup var at: AtOption

        var invocation: CallEventInvocation {
            CallEventInvocation(
                event: .noAnswer(attempt: attempt, reason: reason), database: global.settings, json: output.json, callID: callID, at: at.at)
        }

        func run() throws { try invocation.run() }
    }

    struct Ended: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ended",
            abstract: "The call ended. If it was still ringing, the caller hung up: a callback is queued.",
            discussion: "Example:\n  helpline call ended 17")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: JSONFlag
        @Argument(help: "The call id from `route`.") var callID: String
        @OptionGroup var at: AtOption

        var invocation: CallEventInvocation {
            CallEventInvocation(event: .ended, database: global.settings, json: output.json, callID: callID, at: at.at)
        }

        func run() throws { try invocation.run() }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Show one call: attempts, routing verdicts, callback and consent.", discussion: "Example:\n  helpline call show 17")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: JSONFlag
        @Argument(help: "The call id.") var callID: String

        func run() throws {
            try CallCommand.printCall(try global.open().call(id: try parseID(callID, kind: "call")), json: output.json)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List the calls of one day.",
            discussion: "Example:\n  helpline call list --date 2026-11-25 --tz America/New_York")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: JSONFlag
        @Option(help: "YYYY-MM-DD, today or yesterday.") var date: String = "today"
        @Option(help: "The zone the day is in (default: $HELPLINE_TZ, else the machine's).") var tz: String?

        func run() throws {
            let helpline = try global.open()
            let zone = try tz.map(TimeZone.init(iana:)) ?? helpline.defaultTimeZone
            Output.zone = zone  // times print in the zone the day was cut in
            Output.zone = zone  // times print in the zone the day was cut in
            let day = try LocalDate(resolving: date, in: zone, now: helpline.options.now())
            let calls = try helpline.calls(on: day, in: zone)
            if output.json { return try Output.json(calls) }
            Output.table(
                ["ID", "RECEIVED", "FROM", "DIALED", "KIND", "STATUS", "ATTEMPTS", "ANSWERED BY", "CALLBACK"],
                calls.map { c in
                    [
                        String(c.id), Output.time(c.receivedAt), c.caller?.e164 ?? "(purged)", c.dialed, c.kind.rawValue, c.status.rawValue,
                        String(c.attempts.count), c.answeredProviderID.map(String.init) ?? "-", c.callbackID.map(String.init) ?? "-",
                    ]
                })
        }
    }

    struct Replay: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "replay",
            abstract: "Decide every offer of a stored call again from what its decisions recorded, and compare.",
            discussion: """
                Uses each candidate's settings at the recorded revision, its recorded counters, the caller's \
                state, the repeat-caller provider, the rotation and the seed; for a later offer, the call's \
                plan and the providers already tried. Each candidate's recorded UTC offset is checked against \
                this machine's tzdata. Exits 65 when any answer differs.
                Example: helpline call replay 17
                """)
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: JSONFlag
        @Argument(help: "The call id.") var callID: String

        func run() throws {
            let replay = try global.open().replay(callID: try parseID(callID, kind: "call"))
            if output.json {
                try Output.json(replay)
            } else if replay.matches {
                for d in replay.decisions {
                    print(
                        "call \(replay.callID) attempt \(d.attempt): the replay agrees (\(d.recordedOutcome)\(d.recordedProvider.map { " to provider \($0)" } ?? ""))"
                    )
                }
            }
            if !replay.matches {
                throw CLIError.usage(
                    "call \(replay.callID): the replay differs: \(replay.differences.joined(separator: "; "))",
                    hint: "the stored decision or its inputs were changed, or the rules changed since; keep the database for investigation")
            }
        }
    }
}

/// `helpline call answered|no-answer|ended`, parsed: the values the commands and `FastLane` both produce.
struct CallEventInvocation: Equatable {
    enum Event: Equatable {
        case answered(attempt: Int?)
        case noAnswer(attempt: Int?, reason: String)
        case ended
    }

    var event: Event
    var database: DatabaseSettings
    var json = false
    var callID: String
    var at: String?

    func run() throws {
        let id = try parseID(callID, kind: "call")
        let when = try AtOption.instant(at)
        switch event {
        case .answered(let attempt):
            let call = try database.open().answered(callID: id, attempt: attempt, at: when)
            if json { return try Output.json(call) }
            print("call \(call.id) answered by provider \(call.answeredProviderID.map(String.init) ?? "?")")
        case .noAnswer(let attempt, let reason):
            guard let failure = AttemptFailure(rawValue: reason) else {
                throw InputError.invalidChoice(field: "reason", value: reason, choices: AttemptFailure.allCases.map(\.rawValue))
            }
            let result = try database.open().noAnswer(callID: id, attempt: attempt, failure: failure, at: when)
            try RouteCommand.print(result, json: json)
        case .ended:
            let call = try database.open().ended(callID: id, at: when)
            if json { return try Output.json(call) }
            switch call.status {
            case .ended: print("call \(call.id) ended")
            case .callback:
                print("call \(call.id) ended while ringing: callback \(call.callbackID.map(String.init) ?? "-") is queued")
            default: print("call \(call.id) ended (\(call.status.rawValue))")
            }
        }
    }
}
