import Foundation
import GRDB

/// A stored decision decided again from what it recorded, and whether the answers agree.
public struct DecisionReplay: Sendable, Hashable {
    public var callID: Int64
    /// The stored outcome (`offer`, `callback`, `unroutable`), offered provider and fallbacks.
    public var recordedOutcome: String
    public var recordedProvider: Int64?
    public var recordedFallbacks: [Int64]
    public var recordedSticky: Bool
    /// The same, decided again by `Router.decide`.
    public var replayed: Decision
    /// What differs; empty when the replay agrees.
    public var differences: [String]

    public var matches: Bool { differences.isEmpty }
}

extension Helpline {
    /// Decides a stored call again from its recorded inputs: each candidate's settings at the
    /// recorded revision (from `provider_revisions`), its live counters and membership, the caller's
    /// state, the repeat-caller provider, the rotation and seed, and the time. An auditor uses it to
    /// check that a decision followed the rules and nothing else.
    ///
    /// - Throws: `RoutingError.unknownCall`; `StoreError`.
    public func replay(callID: Int64) throws -> DecisionReplay {
        try read { db in
            guard
                let d = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT d.decided_at, d.kind, d.strategy, d.outcome, d.chosen_provider_id, d.sticky, d.fallbacks, s.candidates,
                            d.top_tier, d.tier_weight, i.state_before, i.input, c.dialed
                        FROM routing_decisions d JOIN candidate_sets s ON s.id = d.candidate_set_id JOIN calls c ON c.id = d.call_id
                        LEFT JOIN decision_inputs i ON i.call_id = d.call_id WHERE d.call_id = ?
                        """, arguments: [callID])
            else { throw RoutingError.unknownCall(String(callID)) }
            let recordedVerdicts = DecisionJSON.parseVerdicts(d["candidates"], topTier: d["top_tier"], tierWeight: d["tier_weight"])
            let input = (try? JSONSerialization.jsonObject(with: Data(((d["input"] as String?) ?? "{}").utf8))) as? [String: Any] ?? [:]
            let rows = input["c"] as? [[Any]] ?? []
            var candidates: [Candidate] = []
            for item in rows where item.count >= 8 {
                func int(_ i: Int) -> Int { (item[i] as? NSNumber)?.intValue ?? 0 }
                let id = Int64(int(0))
                let provider = try Self.providerAtRevision(id, revision: int(1), db: db)
                let last = (item[7] as? NSNumber).map { Date(epochMilliseconds: $0.int64Value) }
                candidates.append(
                    Candidate(
                        provider: provider,
                        counters: LiveCounters(hour: int(3), day: int(4), month: int(5), concurrent: int(6), lastOfferAt: last),
                        isMember: int(2) == 1))
            }
            let decidedAt = Date(epochMilliseconds: d["decided_at"])
            let callerState = (input["s"] as? String).flatMap { try? USState(parsing: $0) }
            // The router never reads the caller's number (it may be purged); its state is recorded.
            let call = IncomingCall(callerState: callerState, receivedAt: decidedAt)
            let kind: String = d["kind"]
            // The dialed number, which a listing or helpline value carries (the router reads neither).
            let dialedText: String = (d["dialed"] as String?) ?? ""
            var routingInput = RoutingInput(call: call, target: .unknown)
            switch kind {
            case "direct":
                if let c = candidates.first {
                    let listing = Listing(
                        id: 0, name: "", number: try PhoneNumber(stored: dialedText), providerID: c.provider.id, createdAt: decidedAt, removedAt: nil)
                    routingInput.target = .listing(listing, c)
                }
            case "pool":
                let strategy = try RoutingStrategy(parsing: d["strategy"])
                let recordedFallbacks = DecisionJSON.parseIDs(d["fallbacks"])
                let maxAttempts = (input["m"] as? NSNumber)?.intValue ?? (recordedFallbacks.count + 1)
                let helpline = HelplineNumber(
                    id: 0, number: try PhoneNumber(stored: dialedText), name: "", strategy: strategy, members: nil, repeatWindowDays: 0,
                    ringTimeoutSeconds: 20,
                    maxAttempts: maxAttempts, createdAt: decidedAt, updatedAt: decidedAt)
                routingInput.target = .helpline(helpline, candidates)
                routingInput.repeatProviderID = (input["r"] as? NSNumber)?.int64Value
                let state = (d["state_before"] as String?) ?? "{}"
                routingInput.strategyState = StrategyState(
                    currentWeights: DecisionJSON.parseWeights(state), seed: DecisionJSON.parseSeed(state))
            default: break
            }
            let replayed = Router.decide(routingInput)
            var differences: [String] = []
            let recordedOutcome: String = d["outcome"]
            let recordedProvider: Int64? = d["chosen_provider_id"]
            let recordedFallbacks = DecisionJSON.parseIDs(d["fallbacks"])
            let recordedSticky: Bool = d["sticky"]
            if replayed.outcome.name != recordedOutcome { differences.append("outcome \(recordedOutcome) vs \(replayed.outcome.name)") }
            if replayed.offeredProviderID != recordedProvider {
                differences.append(
                    "provider \(recordedProvider.map(String.init) ?? "none") vs \(replayed.offeredProviderID.map(String.init) ?? "none")")
            }
            if replayed.fallbacks != recordedFallbacks { differences.append("fallbacks \(recordedFallbacks) vs \(replayed.fallbacks)") }
            if replayed.sticky != recordedSticky { differences.append("sticky \(recordedSticky) vs \(replayed.sticky)") }
            if kind != "unroutable" {
                let a = recordedVerdicts.map { "\($0.providerID):\($0.reason?.rawValue ?? "eligible")" }
                let b = replayed.verdicts.map { "\($0.providerID):\($0.reason?.rawValue ?? "eligible")" }
                if a != b { differences.append("verdicts \(a) vs \(b)") }
            }
            return DecisionReplay(
                callID: callID, recordedOutcome: recordedOutcome, recordedProvider: recordedProvider, recordedFallbacks: recordedFallbacks,
                recordedSticky: recordedSticky, replayed: replayed, differences: differences)
        }
    }

    /// A provider's settings as they were at a revision.
    static func providerAtRevision(_ id: Int64, revision: Int, db: Database) throws -> Provider {
        guard
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT provider_id AS id, name, phone, time_zone, hours, states, weight, priority, hourly_cap, daily_cap, monthly_cap,
                        concurrency_cap, auto_pause_after, status, revision, recorded_at AS created_at, recorded_at AS updated_at
                    FROM provider_revisions WHERE provider_id = ? AND revision = ?
                    """, arguments: [id, revision])
        else { throw StoreError.notFound(kind: "provider revision", id: "\(id)@\(revision)") }
        return try Provider(row: row)
    }
}
