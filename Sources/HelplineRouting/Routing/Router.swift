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
        case .listing(let candidate):
            let p = candidate.provider
            return Decision(
                kind: .direct, outcome: .offer(providerID: p.id), fallbacks: [], sticky: false, strategy: "direct",
                verdicts: [Verdict(providerID: p.id, tier: p.priority, reason: nil, share: 1, weight: 1)], tier: p.priority,
                stateBefore: input.strategyState, stateAfter: input.strategyState, topTier: p.priority, tierWeight: 1)
        case .pool(let rules, let candidates):
            return decidePool(rules: rules, candidates: candidates, input: input)
        }
    }

    /// Why a candidate can't take a pool call now, or nil when it can. Checked in a fixed order,
    /// so each exclusion names the first rule that applies.
    public static func exclusion(for candidate: Candidate, call: IncomingCall) -> ExclusionReason? {
        let p = candidate.provider
        let c = candidate.counters
        if !candidate.isMember { return .notMember }
        if p.status != .active { return .paused }
        if !p.hours.isOpen(at: candidate.localTime(at: call.receivedAt)) { return .closed }
        if !p.serves(call.callerState) { return .stateNotServed }
        if let cap = p.caps.concurrent, c.concurrent >= cap { return .concurrency }
        if let cap = p.caps.hourly, c.hour >= cap { return .hourlyCap }
        if let cap = p.caps.daily, c.day >= cap { return .dailyCap }
        if let cap = p.caps.monthly, c.month >= cap { return .monthlyCap }
        return nil
    }

    private static func decidePool(rules: PoolRules, candidates: [Candidate], input: RoutingInput) -> Decision {
        // Work on indices into `candidates`: a candidate carries a whole provider, and copying
        // fifty of them several times per call would cost more than the decision itself.
        var order = [Int](candidates.indices.filter { candidates[$0].provider.status != .removed })
        order.sort { candidates[$0].provider.id < candidates[$1].provider.id }
        var reasons = [ExclusionReason?](repeating: nil, count: candidates.count)
        var eligible: [Int] = []
        eligible.reserveCapacity(order.count)
        for i in order {
            reasons[i] = exclusion(for: candidates[i], call: input.call)
            if reasons[i] == nil { eligible.append(i) }
        }
        var tiers: [Int: [Int]] = [:]
        for i in eligible { tiers[candidates[i].provider.priority, default: []].append(i) }
        let tierOrder = tiers.keys.sorted()
        var state = input.strategyState
        var rng = SplitMix64(seed: state.seed)
        let strategy = rules.strategy
        let topTier = tierOrder.first
        let tierWeight = topTier.map { t in tiers[t, default: []].reduce(0) { $0 + candidates[$1].provider.weight } } ?? 0

        let verdicts = order.map { i -> Verdict in
            let p = candidates[i].provider
            if let reason = reasons[i] { return Verdict(providerID: p.id, tier: p.priority, reason: reason, share: nil) }
            let share = p.priority == topTier && tierWeight > 0 ? Double(p.weight) / Double(tierWeight) : 0
            return Verdict(providerID: p.id, tier: p.priority, reason: nil, share: share, weight: p.weight)
        }

        guard let topTier else {
            return Decision(
                kind: .pool, outcome: .callback(.noEligibleProvider), fallbacks: [], sticky: false, strategy: strategy.rawValue,
                verdicts: verdicts, tier: nil, stateBefore: input.strategyState, stateAfter: input.strategyState)
        }

        let stickyID = input.repeatProviderID.flatMap { id in eligible.contains { candidates[$0].provider.id == id } ? id : nil }
        var ranked: [Int64] = []
        ranked.reserveCapacity(eligible.count)
        for (index, tier) in tierOrder.enumerated() {
            // Only the tier that takes a non-sticky call advances the rotation; the others are
            // ordered as they stand.
            let advance = index == 0 && stickyID == nil
            ranked += orderTier(tiers[tier, default: []], of: candidates, strategy: strategy, state: &state, rng: &rng, advance: advance)
        }
        let chosen: Int64
        if let stickyID {
            chosen = stickyID
            ranked.removeAll { $0 == stickyID }
        } else {
            chosen = ranked.removeFirst()
        }
        let chosenTier = eligible.first { candidates[$0].provider.id == chosen }.map { candidates[$0].provider.priority } ?? topTier
        return Decision(
            kind: .pool, outcome: .offer(providerID: chosen), fallbacks: Array(ranked.prefix(max(0, rules.maxAttempts - 1))),
            sticky: stickyID != nil, strategy: strategy.rawValue, verdicts: verdicts, tier: chosenTier,
            stateBefore: input.strategyState, stateAfter: state, topTier: topTier, tierWeight: tierWeight)
    }

    /// Orders one tier's eligible providers (indices into `candidates`) by the strategy; with
    /// `advance`, the first is the pick and the strategy state moves on as if it was offered.
    static func orderTier(
        _ members: [Int], of candidates: [Candidate], strategy: RoutingStrategy, state: inout StrategyState, rng: inout SplitMix64,
        advance: Bool
    ) -> [Int64] {
        let byID = members.sorted { candidates[$0].provider.id < candidates[$1].provider.id }
        func id(_ i: Int) -> Int64 { candidates[i].provider.id }
        func weight(_ i: Int) -> Int { candidates[i].provider.weight }
        func last(_ i: Int) -> Date { candidates[i].counters.lastOfferAt ?? .distantPast }
        switch strategy {
        case .weightedRoundRobin:
            // Smooth weighted round robin (as in nginx): every member gains its weight, the
            // largest current weight wins and pays back the tier's total.
            let total = byID.reduce(0) { $0 + weight($1) }
            let current = byID.map { state.currentWeights[id($0), default: 0] + weight($0) }
            let ranked = byID.indices.sorted { a, b in
                current[a] != current[b] ? current[a] > current[b] : id(byID[a]) < id(byID[b])
            }
            if advance {
                for (k, i) in byID.enumerated() { state.currentWeights[id(i)] = current[k] }
                if let first = ranked.first { state.currentWeights[id(byID[first]), default: 0] -= total }
            }
            return ranked.map { id(byID[$0]) }
        case .leastRecent:
            return byID.sorted { a, b in last(a) != last(b) ? last(a) < last(b) : id(a) < id(b) }.map(id)
        case .fewestCalls:
            return byID.sorted { a, b in
                let (da, db) = (candidates[a].counters.day, candidates[b].counters.day)
                if da != db { return da < db }
                return last(a) != last(b) ? last(a) < last(b) : id(a) < id(b)
            }.map(id)
        case .weightedRandom:
            // Weighted sampling without replacement, driven by the recorded seed.
            var pool = byID
            var order: [Int64] = []
            while !pool.isEmpty {
                let total = pool.reduce(0) { $0 + weight($1) }
                var r = Int(rng.next() % UInt64(total))
                var index = 0
                for (k, i) in pool.enumerated() {
                    if r < weight(i) {
                        index = k
                        break
                    }
                    r -= weight(i)
                }
                order.append(id(pool.remove(at: index)))
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
