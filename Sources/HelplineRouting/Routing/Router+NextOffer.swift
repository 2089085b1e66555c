import Foundation

/// What `Router.nextOffer` reads: the call's plan, what was offered already, and the planned
/// providers as they are now.
public struct NextOfferInput: Sendable, Hashable {
    /// `.direct` for a listing call, `.pool` for a helpline call.
    public var kind: CallKind
    /// The strategy that made the plan (recorded with the decision).
    public var strategy: String
    /// The first decision's fallbacks, in order: the only providers a later offer may go to.
    public var plan: [Int64]
    /// The providers offered so far, in order (attempt 1 first).
    public var tried: [Int64]
    /// The helpline's maximum number of attempts (1 for a listing call).
    public var maxAttempts: Int
    /// The planned providers not tried yet, as they are now (status, hours, live counters,
    /// membership), in plan order.
    public var candidates: [Candidate]
    /// The caller's state and the time of the step.
    public var call: IncomingCall

    public init(
        kind: CallKind, strategy: String, plan: [Int64], tried: [Int64], maxAttempts: Int, candidates: [Candidate], call: IncomingCall
    ) {
        self.kind = kind
        self.strategy = strategy
        self.plan = plan
        self.tried = tried
        self.maxAttempts = maxAttempts
        self.candidates = candidates
        self.call = call
    }
}

extension Router {
    /// Decides the step after an attempt went unanswered: a pure function, like `decide`.
    ///
    /// - A listing call never goes to anyone else: its own provider owes a callback.
    /// - A helpline call goes to the first provider of its plan, not yet tried, that is eligible
    ///   now (the same rules as the first decision: membership, status, hours, states,
    ///   concurrency and caps), while attempts remain; the other untried planned providers stay
    ///   its fallbacks. Otherwise a callback is owed.
    ///
    /// - Parameter input: the plan, the providers tried, and the untried planned candidates now.
    /// - Returns: the decision, with every untried planned candidate's verdict in plan order.
    public static func nextOffer(_ input: NextOfferInput) -> Decision {
        let state = StrategyState()
        guard input.kind == .pool else {
            return Decision(
                kind: input.kind, outcome: .callback(.noAnswer), fallbacks: [], sticky: false, strategy: input.strategy, verdicts: [],
                tier: nil, stateBefore: state, stateAfter: state)
        }
        let tried = Set(input.tried)
        let byID = Dictionary(input.candidates.map { ($0.provider.id, $0) }, uniquingKeysWith: { a, _ in a })
        let remaining = input.plan.filter { !tried.contains($0) }
        var verdicts: [Verdict] = []
        var chosen: Candidate?
        for id in remaining {
            guard let candidate = byID[id] else { continue }
            let reason = exclusion(for: candidate, call: input.call)
            verdicts.append(
                Verdict(
                    providerID: id, tier: candidate.provider.priority, reason: reason, share: nil,
                    weight: reason == nil ? candidate.provider.weight : nil))
            if reason == nil && chosen == nil { chosen = candidate }
        }
        guard let chosen, input.tried.count < input.maxAttempts else {
            return Decision(
                kind: .pool, outcome: .callback(.noAnswer), fallbacks: [], sticky: false, strategy: input.strategy, verdicts: verdicts,
                tier: nil, stateBefore: state, stateAfter: state)
        }
        return Decision(
            kind: .pool, outcome: .offer(providerID: chosen.provider.id), fallbacks: remaining.filter { $0 != chosen.provider.id },
            sticky: false, strategy: input.strategy, verdicts: verdicts, tier: chosen.provider.priority, stateBefore: state,
            stateAfter: state)
    }
}
