import Foundation

/// The routing decision: a pure function of its input. It does no I/O and reads no clock, so
/// the same input always gives the same decision, and a stored decision can be replayed.
public enum Router {
    /// Decides where a call goes.
    ///
    /// - Listing numbers go to the listing's provider, whatever its status, hours or caps, with
    ///   no fallback to anyone else.
    /// - Helpline calls: candidates are judged eligible or excluded (with a reason); a repeat
    ///   caller whose earlier provider is eligible goes back to it (`sticky`); otherwise the
    ///   lowest eligible tier is ordered by the helpline's strategy. Fallbacks are the rest of
    ///   that tier, then the next tiers, cut to the helpline's remaining attempts.
    /// - No eligible provider means a callback.
    ///
    /// - Parameter input: the call, the resolved target with live counters, the repeat-caller
    ///   provider and the strategy state.
    /// - Returns: the decision, including the strategy state to store for the next call.
    public static func decide(_ input: RoutingInput) -> Decision {
        switch input.target {
        case .unknown:
            return Decision(
                kind: .unroutable, outcome: .unroutable, fallbacks: [], sticky: false, strategy: "none", verdicts: [], tier: nil,
                stateBefore: input.strategyState, stateAfter: input.strategyState)
        case .listing(_, let candidate):
            let p = candidate.provider
            return Decision(
                kind: .direct, outcome: .offer(providerID: p.id), fallbacks: [], sticky: false, strategy: "direct",
                verdicts: [Verdict(providerID: p.id, tier: p.priority, reason: nil, share: 1, weight: 1)], tier: p.priority,
                stateBefore: input.strategyState, stateAfter: input.strategyState, topTier: p.priority, tierWeight: 1)
        case .helpline(let helpline, let candidates):
            return decidePool(helpline: helpline, candidates: candidates, input: input)
        }
    }

    /// Why a candidate can't take a pool call now, or nil when it can. Checked in a fixed order,
    /// so each exclusion names the first rule that applies.
    public static func exclusion(for candidate: Candidate, call: IncomingCall) -> ExclusionReason? {
        let p = candidate.provider
        let c = candidate.counters
        if !candidate.isMember { return .notMember }
        if p.status != .active { return .paused }
        if !p.hours.isOpen(at: CivilTime(call.receivedAt, in: p.timeZone)) { return .closed }
        if !p.serves(call.callerState) { return .stateNotServed }
        if let cap = p.caps.concurrent, c.concurrent >= cap { return .concurrency }
        if let cap = p.caps.hourly, c.hour >= cap { return .hourlyCap }
        if let cap = p.caps.daily, c.day >= cap { return .dailyCap }
        if let cap = p.caps.monthly, c.month >= cap { return .monthlyCap }
        return nil
    }

    private static func decidePool(helpline: HelplineNumber, candidates: [Candidate], input: RoutingInput) -> Decision {
        let sorted = candidates.filter { $0.provider.status != .removed }.sorted { $0.provider.id < $1.provider.id }
        var reasons: [Int64: ExclusionReason] = [:]
        var eligible: [Candidate] = []
        for c in sorted {
            if let reason = exclusion(for: c, call: input.call) {
                reasons[c.provider.id] = reason
            } else {
                eligible.append(c)
            }
        }
        let tiers = Dictionary(grouping: eligible, by: { $0.provider.priority })
        let tierOrder = tiers.keys.sorted()
        var state = input.strategyState
        var rng = SplitMix64(seed: state.seed)
        let strategy = helpline.strategy

        func verdicts(topTier: Int?) -> [Verdict] {
            let tierWeight = topTier.map { t in tiers[t, default: []].reduce(0) { $0 + $1.provider.weight } } ?? 0
            return sorted.map { c in
                let p = c.provider
                if let reason = reasons[p.id] { return Verdict(providerID: p.id, tier: p.priority, reason: reason, share: nil) }
                let share = p.priority == topTier && tierWeight > 0 ? Double(p.weight) / Double(tierWeight) : 0
                return Verdict(providerID: p.id, tier: p.priority, reason: nil, share: share, weight: p.weight)
            }
        }

        guard let topTier = tierOrder.first else {
            return Decision(
                kind: .pool, outcome: .callback(.noEligibleProvider), fallbacks: [], sticky: false, strategy: strategy.rawValue,
                verdicts: verdicts(topTier: nil), tier: nil, stateBefore: input.strategyState, stateAfter: input.strategyState)
        }

        let stickyID = input.repeatProviderID.flatMap { id in eligible.contains { $0.provider.id == id } ? id : nil }
        var order: [Int64] = []
        for (index, tier) in tierOrder.enumerated() {
            // Only the tier that takes a non-sticky call advances the rotation; the others are
            // ordered as they stand.
            let advance = index == 0 && stickyID == nil
            order += orderTier(tiers[tier, default: []], strategy: strategy, state: &state, rng: &rng, advance: advance)
        }
        let chosen: Int64
        if let stickyID {
            chosen = stickyID
            order.removeAll { $0 == stickyID }
        } else {
            chosen = order.removeFirst()
        }
        let chosenTier = eligible.first { $0.provider.id == chosen }?.provider.priority ?? topTier
        return Decision(
            kind: .pool, outcome: .offer(providerID: chosen), fallbacks: Array(order.prefix(max(0, helpline.maxAttempts - 1))),
            sticky: stickyID != nil, strategy: strategy.rawValue, verdicts: verdicts(topTier: topTier), tier: chosenTier,
            stateBefore: input.strategyState, stateAfter: state, topTier: topTier,
            tierWeight: tiers[topTier, default: []].reduce(0) { $0 + $1.provider.weight })
    }

    /// Orders one tier's eligible providers by the strategy; with `advance`, the first is the pick
    /// and the strategy state moves on as if it was offered.
    static func orderTier(
        _ members: [Candidate], strategy: RoutingStrategy, state: inout StrategyState, rng: inout SplitMix64, advance: Bool
    ) -> [Int64] {
        let byID = members.sorted { $0.provider.id < $1.provider.id }
        switch strategy {
        case .weightedRoundRobin:
            // Smooth weighted round robin (as in nginx): every member gains its weight, the
            // largest current weight wins and pays back the tier's total.
            let total = byID.reduce(0) { $0 + $1.provider.weight }
            var current: [Int64: Int] = [:]
            for c in byID { current[c.provider.id] = state.currentWeights[c.provider.id, default: 0] + c.provider.weight }
            let ranked = byID.map(\.provider.id).sorted { a, b in
                let (ca, cb) = (current[a, default: 0], current[b, default: 0])
                return ca != cb ? ca > cb : a < b
            }
            if advance, let first = ranked.first {
                current[first, default: 0] -= total
                for (id, value) in current { state.currentWeights[id] = value }
            }
            return ranked
        case .leastRecent:
            return byID.sorted { a, b in
                let (ta, tb) = (a.counters.lastOfferAt ?? .distantPast, b.counters.lastOfferAt ?? .distantPast)
                return ta != tb ? ta < tb : a.provider.id < b.provider.id
            }.map(\.provider.id)
        case .fewestCalls:
            return byID.sorted { a, b in
                if a.counters.day != b.counters.day { return a.counters.day < b.counters.day }
                let (ta, tb) = (a.counters.lastOfferAt ?? .distantPast, b.counters.lastOfferAt ?? .distantPast)
                return ta != tb ? ta < tb : a.provider.id < b.provider.id
            }.map(\.provider.id)
        case .weightedRandom:
            // Weighted sampling without replacement, driven by the recorded seed.
            var pool = byID
            var order: [Int64] = []
            while !pool.isEmpty {
                let total = pool.reduce(0) { $0 + $1.provider.weight }
                var r = Int(rng.next() % UInt64(total))
                var index = 0
                for (i, c) in pool.enumerated() {
                    if r < c.provider.weight {
                        index = i
                        break
                    }
                    r -= c.provider.weight
                }
                order.append(pool.remove(at: index).provider.id)
            }
            return order
        }
    }
}

/// A small, fast, seedable generator (SplitMix64): the same seed gives the same sequence on every
/// platform, which is what makes a weighted-random decision replayable.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
