public import Foundation

/// The live counts the router reads for one provider, as of the moment of the call.
public struct LiveCounters: Sendable, Hashable, Codable {
    /// Offers in the current local hour, day and month of the provider's zone.
    public var hour: Int
    public var day: Int
    public var month: Int
    /// Offers ringing (within their ring timeout) or connected (within the maximum call length).
    public var concurrent: Int
    /// When it was last offered a call, or nil if never.
    public var lastOfferAt: Date?

    public init(hour: Int = 0, day: Int = 0, month: Int = 0, concurrent: Int = 0, lastOfferAt: Date? = nil) {
        self.hour = hour
        self.day = day
        self.month = month
        self.concurrent = concurrent
        self.lastOfferAt = lastOfferAt
    }
}

/// A provider the router may consider, with its counters and whether it belongs to the helpline.
public struct Candidate: Sendable, Hashable {
    public var provider: Provider
    public var counters: LiveCounters
    /// False when the helpline has explicit members and this provider is not one of them.
    public var isMember: Bool
    /// The provider's zone's UTC offset at the call, in seconds, as the caller of the router read
    /// it (and the decision records it). Nil means the router asks the zone itself.
    public var utcOffset: Int?

    public init(provider: Provider, counters: LiveCounters, isMember: Bool = true, utcOffset: Int? = nil) {
        self.provider = provider
        self.counters = counters
        self.isMember = isMember
        self.utcOffset = utcOffset
    }

    /// The provider's wall clock at `instant`, from the offset given (no cache, no clock read).
    func localTime(at instant: Date) -> CivilTime {
        let offset = utcOffset ?? provider.timeZone.secondsFromGMT(for: instant)
        return CivilTime(localSeconds: Int(floor(instant.timeIntervalSince1970)) + offset)
    }
}

/// The incoming call as the router sees it.
///
/// The router never reads the caller's number: only its state (for geographic rules) and when
/// the call arrived (for hours). So a decision can be replayed after the number is purged.
public struct IncomingCall: Sendable, Hashable {
    /// The caller's state, from telephony or the area code; nil when unknown (a withheld or
    /// international caller has none).
    public var callerState: USState?
    public var receivedAt: Date

    public init(callerState: USState?, receivedAt: Date) {
        self.callerState = callerState
        self.receivedAt = receivedAt
    }
}

/// What the dialed number resolved to, with only what the router reads of it.
public enum RoutingTarget: Sendable, Hashable {
    /// A listing's number: it always goes to its provider, the one candidate.
    case listing(Candidate)
    /// A general helpline number: its routing rules and every provider that is not removed.
    case pool(PoolRules, [Candidate])
    /// Neither a listing nor a helpline.
    case unknown
}

/// What the router reads of a helpline number.
public struct PoolRules: Sendable, Hashable {
    public var strategy: RoutingStrategy
    /// The most offers a call gets, the first included: fallbacks are cut to one less.
    public var maxAttempts: Int

    public init(strategy: RoutingStrategy, maxAttempts: Int) {
        self.strategy = strategy
        self.maxAttempts = maxAttempts
    }
}

/// The strategy state the router reads: smooth WRR's current weights per provider, and the
/// seed for weighted-random. Stored per helpline so separate processes share one rotation.
public struct StrategyState: Sendable, Hashable, Codable {
    /// Smooth weighted round robin's current weight per provider id.
    public var currentWeights: [Int64: Int]
    /// The seed weighted-random uses for this decision; recorded so the decision replays.
    public var seed: UInt64

    public init(currentWeights: [Int64: Int] = [:], seed: UInt64 = 0) {
        self.currentWeights = currentWeights
        self.seed = seed
    }
}

/// Everything a routing decision depends on. `Router.decide` reads nothing else.
public struct RoutingInput: Sendable, Hashable {
    public var call: IncomingCall
    public var target: RoutingTarget
    /// The provider this caller reached through this helpline within its repeat window, if any.
    public var repeatProviderID: Int64?
    public var strategyState: StrategyState

    public init(call: IncomingCall, target: RoutingTarget, repeatProviderID: Int64? = nil, strategyState: StrategyState = StrategyState()) {
        self.call = call
        self.target = target
        self.repeatProviderID = repeatProviderID
        self.strategyState = strategyState
    }
}
