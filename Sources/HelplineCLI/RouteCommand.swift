import ArgumentParser
import Foundation
import HelplineRouting

struct RouteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "route",
        abstract: "Route an incoming call: print who to ring (or the queued callback) and log it.",
        discussion: """
            The call, its decision, the offer, the counters and the consent record are written in one \
            transaction. A listing number always goes to its own provider. An unknown dialed number is \
            logged as unroutable and exits 65.

            Examples:
              helpline route --to 8009151270 --from 2125550199 --caller-state NY
              helpline route --to 8009151270 --from anonymous --json
            """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONFlag
    @Option(help: "The dialed number: a listing's or a helpline's.") var to: String
    @Option(help: "The caller's number.") var from: String
    @Option(help: "The caller's state, when telephony knows it (default: from the area code).") var callerState: String?
    @Option(help: "Telephony's call id; routing the same id again returns the first answer.") var externalId: String?
    @OptionGroup var at: AtOption

    /// What to do, as plain values: the same whether ArgumentParser or `FastLane` parsed it.
    var invocation: RouteInvocation {
        RouteInvocation(
            database: global.settings, json: output.json, to: to, from: from, callerState: callerState, externalID: externalId, at: at.at)
    }

    func run() throws { try invocation.run() }

    static func print(_ result: RouteResult, json: Bool) throws {
        for warning in result.warnings { Output.warn(warning) }
        if json {
            return try Output.json(result)
        }
        if result.repeated { Swift.print("nothing changed: this event was already recorded; the call stands as follows") }
        switch result.outcome {
        case .offer:
            let p = result.provider
            Swift.print(
                "call \(result.callID): offer attempt \(result.attempt ?? 1) to provider \(p?.id ?? 0) (\(p?.name ?? "?")) at \(p?.phone.e164 ?? "?")"
                    + (result.sticky ? " [repeat caller]" : ""))
            if !result.fallbacks.isEmpty {
                Swift.print("fallbacks: \(result.fallbacks.map(String.init).joined(separator: ", "))")
            }
        case .callback:
            Swift.print(
                "call \(result.callID): callback \(result.callbackID.map(String.init) ?? "-") queued (\(result.callbackReason?.rawValue ?? "-"))")
        case .unroutable:
            Swift.print("call \(result.callID): unroutable")
        case .connected:
            Swift.print("call \(result.callID): connected (answered on attempt \(result.attempt.map(String.init) ?? "?")); nothing to dial")
        case .ended:
            Swift.print("call \(result.callID): ended; nothing to dial")
        case .unreturnable:
            Swift.print("call \(result.callID): no provider can take it, and the caller left no number to call back")
        }
        let excluded = result.candidates.filter { !$0.isEligible }
        if !excluded.isEmpty {
            Swift.print("excluded: " + excluded.map { "\($0.providerID) \($0.reason?.rawValue ?? "")" }.joined(separator: ", "))
        }
    }
}

/// `helpline route`, parsed: the values `RouteCommand` and `FastLane` both produce.
struct RouteInvocation: Equatable {
    var database: DatabaseSettings
    var json = false
    var to: String
    var from: String
    var callerState: String?
    var externalID: String?
    var at: String?

    func run() throws {
        let when = try AtOption.instant(at)  // a bad --at is refused before the database is opened
        let result = try database.open().route(to: to, from: from, callerState: callerState, at: when, externalID: externalID)
        try RouteCommand.print(result, json: json)
    }
}
