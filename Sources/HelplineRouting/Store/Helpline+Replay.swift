import Foundation
import GRDB

/// One stored decision decided again from what it recorded, and whether the answers agree.
public struct DecisionReplay: Sendable, Hashable {
    public var callID: Int64
    /// 1 for the call's first decision; N for the step after attempt N-1 went unanswered.
    public var attempt: Int
    /// The stored outcome (`offer`, `callback`, `unroutable`), offered provider and fallbacks.
    public var recordedOutcome: String
    public var recordedProvider: Int64?
    public var recordedFallbacks: [Int64]
    public var recordedSticky: Bool
    /// The same, decided again by `Router.decide` (attempt 1) or `Router.nextOffer` (later ones).
    public var replayed: Decision
    /// What differs; empty when the replay agrees.
    public var differences: [String]

    public var matches: Bool { differences.isEmpty }
}

/// Every decision of a call, replayed in order.
public struct CallReplay: Sendable, Hashable {
    public var callID: Int64
    public var decisions: [DecisionReplay]

    /// True when every decision replays to the same answer.
    public var matches: Bool { decisions.allSatisfy(\.matches) }
    /// Every difference, each prefixed with its attempt.
    public var differences: [String] { decisions.flatMap { d in d.differences.map { "attempt \(d.attempt): \($0)" } } }
}

extension Helpline {
    /// Decides every stored decision of a call again from its recorded inputs: each candidate's
    /// settings at the recorded revision (from `provider_revisions`), its live counters and
    /// membership, the caller's state, the repeat-caller provider, the rotation and seed, the
    /// time, and for a later offer the call's plan and the providers already tried. It also
    /// checks each candidate's recorded UTC offset against the zone's rules now, so a tzdata
    /// update that would change hours or caps is noticed. An auditor uses it to check that every
    /// offer followed the rules and nothing else.
    ///
    /// - Throws: `StoreError.notFound` for an unknown call; `StoreError`.
    public func replay(callID: Int64) throws -> CallReplay {
        try read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT d.attempt, d.decided_at, d.kind, d.strategy, d.outcome, d.chosen_provider_id, d.sticky, d.fallbacks,
                        s.candidates, d.top_tier, d.tier_weight, i.state_before, i.input, c.dialed
                    FROM routing_decisions d JOIN candidate_sets s ON s.id = d.candidate_set_id JOIN calls c ON c.id = d.call_id
                    LEFT JOIN decision_inputs i ON i.call_id = d.call_id AND i.attempt = d.attempt
                    WHERE d.call_id = ? ORDER BY d.attempt
                    """, arguments: [callID])
            guard let first = rows.first else { throw StoreError.notFound(kind: "call", id: String(callID)) }
            let plan = DecisionJSON.parseIDs(first["fallbacks"])
            return CallReplay(
                callID: callID, decisions: try rows.map { try Self.replay(callID: callID, row: $0, plan: plan, db: db) })
        }
    }

    private static func replay(callID: Int64, row d: Row, plan: [Int64], db: Database) throws -> DecisionReplay {
        let attempt: Int = d["attempt"]
        let input = (try? JSONSerialization.jsonObject(with: Data(((d["input"] as String?) ?? "{}").utf8))) as? [String: Any] ?? [:]
        let decidedAt = Date(epochMilliseconds: d["decided_at"])
        var differences: [String] = []
        var candidates: [Candidate] = []
        for item in input["c"] as? [[Any]] ?? [] where item.count >= 8 {
            func int(_ i: Int) -> Int { (item[i] as? NSNumber)?.intValue ?? 0 }
            let provider = try providerAtRevision(Int64(int(0)), revision: int(1), db: db)
            let last = (item[7] as? NSNumber).map { Date(epochMilliseconds: $0.int64Value) }
            if item.count >= 9 {
                let now = ZoneOffsets.secondsFromGMT(for: decidedAt, in: provider.timeZone)
                if now != int(8) {
                    differences.append(
                        "\(provider.timeZone.identifier) was UTC\(int(8) / 60) min at the decision; this machine's tzdata says \(now / 60) min")
                }
            }
            candidates.append(
                Candidate(
                    provider: provider, counters: LiveCounters(hour: int(3), day: int(4), month: int(5), concurrent: int(6), lastOfferAt: last),
                    isMember: int(2) == 1, utcOffset: item.count >= 9 ? int(8) : nil))
        }
        let callerState = (input["s"] as? String).flatMap { try? USState(parsing: $0) }
        let call = IncomingCall(callerState: callerState, receivedAt: decidedAt)
        let kind = CallKind(rawValue: d["kind"]) ?? .unroutable
        let strategyName: String = d["strategy"]
        let replayed: Decision
        if attempt > 1 {
            let tried = (input["t"] as? [NSNumber])?.map(\.int64Value) ?? []
            let maxAttempts = (input["m"] as? NSNumber)?.intValue ?? 1
            replayed = Router.nextOffer(
                NextOfferInput(
                    kind: kind, strategy: strategyName, plan: plan, tried: tried, maxAttempts: maxAttempts, candidates: candidates,
                    call: call))
        } else {
            var routingInput = RoutingInput(call: call, target: .unknown)
            // Exactly what the decision read: no listing or helpline value is made up.
            switch kind {
            case .direct:
                if let c = candidates.first { routingInput.target = .listing(c) }
            case .pool:
                let strategy = try RoutingStrategy(parsing: strategyName)
                let maxAttempts = (input["m"] as? NSNumber)?.intValue ?? (plan.count + 1)
                routingInput.target = .pool(PoolRules(strategy: strategy, maxAttempts: maxAttempts), candidates)
                routingInput.repeatProviderID = (input["r"] as? NSNumber)?.int64Value
                let state = (d["state_before"] as String?) ?? "{}"
                routingInput.strategyState = StrategyState(
                    currentWeights: DecisionJSON.parseWeights(state), seed: DecisionJSON.parseSeed(state))
            case .unroutable: break
            }
            replayed = Router.decide(routingInput)
        }
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
        if kind != .unroutable {
            let recordedVerdicts = DecisionJSON.parseVerdicts(d["candidates"], topTier: d["top_tier"], tierWeight: d["tier_weight"])
            let a = recordedVerdicts.map { "\($0.providerID):\($0.reason?.rawValue ?? "eligible")" }
            let b = replayed.verdicts.map { "\($0.providerID):\($0.reason?.rawValue ?? "eligible")" }
            if a != b { differences.append("verdicts \(a) vs \(b)") }
        }
        return DecisionReplay(
            callID: callID, attempt: attempt, recordedOutcome: recordedOutcome, recordedProvider: recordedProvider,
            recordedFallbacks: recordedFallbacks, recordedSticky: recordedSticky, replayed: replayed, differences: differences)
    }

    /// A provider's settings as they were at a revision.
    static func providerAtRevision(_ id: Int64, revision: Int, db: Database) throws -> Provider {
        guard
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT provider_id AS id, name, phone, time_zone, hours, states, weight, priority, hourly_cap, daily_cap, monthly_cap,
                        concurrency_cap, auto_pause_after, status, revision, recorded_at AS created_at, recorded_at AS updated_at,
                        NULL AS sip_uri
                    FROM provider_revisions WHERE provider_id = ? AND revision = ?
                    """, arguments: [id, revision])
        else { throw StoreError.notFound(kind: "provider revision", id: "\(id)@\(revision)") }
        return try Provider(row: row)
    }
}
