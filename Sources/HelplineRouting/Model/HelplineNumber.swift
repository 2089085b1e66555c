public import Foundation

/// How a helpline orders the eligible providers of a tier.
public enum RoutingStrategy: String, Sendable, Codable, CaseIterable {
    /// Smooth weighted round robin: deterministic, and exact shares over any window.
    case weightedRoundRobin = "weighted-round-robin"
    /// The provider whose last offer was longest ago.
    case leastRecent = "least-recent"
    /// The provider with the fewest offers today, in its own zone.
    case fewestCalls = "fewest-calls"
    /// Random by weight, with the seed recorded in the decision.
    case weightedRandom = "weighted-random"

    /// Parses a strategy name.
    ///
    /// - Throws: `InputError.invalidChoice` listing the strategies.
    public init(parsing text: String) throws {
        guard let s = RoutingStrategy(rawValue: text.trimmingWhitespace().lowercased()) else {
            throw InputError.invalidChoice(field: "strategy", value: text, choices: Self.allCases.map(\.rawValue))
        }
        self = s
    }
}

/// A general helpline number; its calls are answered or returned by one of its members.
public struct HelplineNumber: Sendable, Hashable, Identifiable {
    public var id: Int64
    public var number: PhoneNumber
    public var name: String
    public var strategy: RoutingStrategy
    /// Explicit members, or nil when every provider that is not removed is a member (now and later).
    public var members: [Int64]?
    /// A caller who reached a provider through this number within this many days goes back to it.
    public var repeatWindowDays: Int
    /// An offer ringing longer than this stops counting toward concurrency.
    public var ringTimeoutSeconds: Int
    /// The most providers one call is offered to before a callback is queued.
    public var maxAttempts: Int
    public var createdAt: Date
    public var updatedAt: Date
}

/// The settings of a helpline number, as given to `number add` and `number update`.
public struct HelplineSettings: Sendable, Hashable {
    public var name: String?
    public var strategy: RoutingStrategy?
    /// `.some(nil)` restores "every provider"; `nil` leaves the members as they are.
    public var members: [Int64]??
    public var repeatWindowDays: Int?
    public var ringTimeoutSeconds: Int?
    public var maxAttempts: Int?

    public init(
        name: String? = nil, strategy: RoutingStrategy? = nil, members: [Int64]?? = nil,
        repeatWindowDays: Int? = nil, ringTimeoutSeconds: Int? = nil, maxAttempts: Int? = nil
    ) {
        self.name = name
        self.strategy = strategy
        self.members = members
        self.repeatWindowDays = repeatWindowDays
        self.ringTimeoutSeconds = ringTimeoutSeconds
        self.maxAttempts = maxAttempts
    }

    /// Checks the numeric settings against their ranges.
    ///
    /// - Throws: `InputError.outOfRange` for the first value out of range.
    public func validate() throws {
        func check(_ field: String, _ value: Int?, _ range: ClosedRange<Int>) throws {
            if let value, !range.contains(value) {
                throw InputError.outOfRange(field: field, value: String(value), allowed: "\(range.lowerBound)-\(range.upperBound)")
            }
        }
        try check("repeat-window-days", repeatWindowDays, 0...3650)
        try check("ring-timeout", ringTimeoutSeconds, 1...600)
        try check("max-attempts", maxAttempts, 1...50)
        // A helpline's name may be blank (it is optional); otherwise it follows the one rule.
        if let name, !name.trimmingWhitespace().isEmpty { _ = try DisplayName.validated(name) }
    }
}

/// Parses a list of ids such as `1,2,3`.
///
/// - Throws: `InputError.notANumber` for an item that is not a positive whole number.
public func parseIDList(_ text: String, field: String) throws -> [Int64] {
    try text.split(separator: ",", omittingEmptySubsequences: false).map { item in
        let t = item.trimmingWhitespace()
        guard let id = Int64(t), id > 0 else { throw InputError.notANumber(field: field, value: t) }
        return id
    }
}
