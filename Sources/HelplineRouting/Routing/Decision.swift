import Foundation

/// Why a candidate was not eligible for a call.
public enum ExclusionReason: String, Sendable, Codable, CaseIterable {
    case notMember = "not-member"
    case paused
    case closed
    case stateNotServed = "state-not-served"
    case concurrency
    case hourlyCap = "hourly-cap"
    case dailyCap = "daily-cap"
    case monthlyCap = "monthly-cap"
}

/// One candidate's verdict in a decision.
public struct Verdict: Sendable, Hashable, Encodable {
    public var providerID: Int64
    /// Its priority tier.
    public var tier: Int
    /// Nil when eligible.
    public var reason: ExclusionReason?
    /// Its entitled share of this call: weight ÷ the eligible weight of the tier that took the call;
    /// 0 for eligible providers of other tiers; nil when excluded.
    public var share: Double?
    /// Its weight when eligible (what the share was computed from); nil when excluded.
    public var weight: Int?

    public var isEligible: Bool { reason == nil }

    enum CodingKeys: String, CodingKey {
        case providerID = "provider_id", tier, reason, share, eligible, weight
    }

    public init(providerID: Int64, tier: Int, reason: ExclusionReason?, share: Double?, weight: Int? = nil) {
        self.providerID = providerID
        self.tier = tier
        self.reason = reason
        self.share = share
        self.weight = weight
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(providerID, forKey: .providerID)
        try c.encode(isEligible, forKey: .eligible)
        try c.encode(tier, forKey: .tier)
        if let reason { try c.encode(reason, forKey: .reason) }
        if let share { try c.encode(share, forKey: .share) }
    }
}

/// Why a call was queued for a callback instead of offered.
public enum CallbackReason: String, Sendable, Codable, CaseIterable {
    /// No member provider was eligible when the call came in.
    case noEligibleProvider = "no-eligible-provider"
    /// Every attempt went unanswered, or the attempts ran out.
    case noAnswer = "no-answer"
    /// The caller hung up before anyone answered.
    case callerHungUp = "caller-hung-up"
    /// The website's callback form asked for it.
    case webForm = "web-form"
}

/// What a routing decision does with the call.
public enum DecisionOutcome: Sendable, Hashable {
    /// Offer it to this provider.
    case offer(providerID: Int64)
    /// Queue a callback, for this reason.
    case callback(CallbackReason)
    /// The dialed number is neither a listing nor a helpline.
    case unroutable
}

extension DecisionOutcome {
    /// `offer`, `callback` or `unroutable`, as stored in `routing_decisions.outcome`.
    public var name: String {
        switch self {
        case .offer: return "offer"
        case .callback: return "callback"
        case .unroutable: return "unroutable"
        }
    }

    /// The status a new call starts in after this outcome.
    var callStatus: CallStatus {
        switch self {
        case .offer: return .ringing
        case .callback: return .callback
        case .unroutable: return .unroutable
        }
    }
}

/// The kind of a call, from its dialed number.
public enum CallKind: String, Sendable, Codable {
    case direct, pool, unroutable
}

/// The audit record of one routing: enough to replay it and get the same answer.
public struct Decision: Sendable, Hashable {
    public var kind: CallKind
    public var outcome: DecisionOutcome
    /// The providers to offer next, in order, if the offer goes unanswered.
    public var fallbacks: [Int64]
    /// True when a repeat caller went back to the provider it reached before.
    public var sticky: Bool
    /// The strategy used (`direct` for listing calls, `none` for unroutable ones).
    public var strategy: String
    /// Every candidate's verdict, in provider id order.
    public var verdicts: [Verdict]
    /// The tier of the provider offered, when one was.
    public var tier: Int?
    /// The strategy state the decision read.
    public var stateBefore: StrategyState
    /// The strategy state to store for the next call.
    public var stateAfter: StrategyState
    /// The lowest tier with an eligible provider, and its eligible weight: shares are weight ÷ this.
    public var topTier: Int? = nil
    public var tierWeight: Int? = nil

    /// The provider offered, if any.
    public var offeredProviderID: Int64? {
        if case .offer(let id) = outcome { return id }
        return nil
    }
}
