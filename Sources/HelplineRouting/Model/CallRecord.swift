public import Foundation

/// One offer of a call to a provider.
public struct AttemptRecord: Sendable, Hashable, Encodable {
    public var seq: Int
    public var providerID: Int64
    public var offeredAt: Date
    /// How it ended; nil while ringing.
    public var outcome: AttemptOutcome?
    public var answeredAt: Date?
    public var endedAt: Date?

    enum CodingKeys: String, CodingKey {
        case seq, providerID = "provider_id", offeredAt = "offered_at", outcome, answeredAt = "answered_at", endedAt = "ended_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(seq, forKey: .seq)
        try c.encode(providerID, forKey: .providerID)
        try c.encode(offeredAt, forKey: .offeredAt)
        try c.encode(outcome, forKey: .outcome)
        try c.encode(answeredAt, forKey: .answeredAt)
        try c.encode(endedAt, forKey: .endedAt)
    }
}

/// A call as logged: what was dialed, how it was routed, each attempt and how it ended.
public struct CallRecord: Sendable, Hashable {
    public var id: Int64
    public var externalID: String?
    public var receivedAt: Date
    /// The caller's E.164 number, or nil once purged.
    public var caller: PhoneNumber?
    public var callerState: String?
    public var callerStateSource: String?
    public var dialed: String
    public var kind: CallKind
    public var status: CallStatus
    public var answeredAt: Date?
    public var answeredProviderID: Int64?
    public var endedAt: Date?
    /// True when `helpline sweep` (or the server's timer) ended the call because no end event
    /// came within the maximum call length: `endedAt` is then its answer time plus that length,
    /// an assumption, not a measurement. A late `ended` event replaces it with the real time.
    public var endAssumed: Bool = false
    public var attempts: [AttemptRecord]
    public var callbackID: Int64?
    public var callbackStatus: CallbackStatus?
    /// The routing decision's strategy, sticky flag, fallbacks and verdicts.
    public var strategy: String?
    public var sticky: Bool
    public var fallbacks: [Int64]
    public var candidates: [Verdict]
    /// The consent record the call appended, if any.
    public var consentSeq: Int64?
    public var termsVersion: Int?
}

extension CallRecord: Encodable {
    enum CodingKeys: String, CodingKey {
        case id, externalID = "external_id", receivedAt = "received_at", caller, callerState = "caller_state"
        case callerStateSource = "caller_state_source", dialed, kind, status, answeredAt = "answered_at"
        case answeredProviderID = "answered_provider_id", endedAt = "ended_at", endAssumed = "end_assumed", attempts, callbackID = "callback_id"
        case callbackStatus = "callback_status", strategy, sticky, fallbacks, candidates, consentRecord = "consent_record"
        case termsVersion = "terms_version"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(String(id), forKey: .id)
        try c.encode(externalID, forKey: .externalID)
        try c.encode(receivedAt, forKey: .receivedAt)
        try c.encode(caller, forKey: .caller)
        try c.encode(callerState, forKey: .callerState)
        try c.encode(callerStateSource, forKey: .callerStateSource)
        try c.encode(dialed, forKey: .dialed)
        try c.encode(kind, forKey: .kind)
        try c.encode(status, forKey: .status)
        try c.encode(answeredAt, forKey: .answeredAt)
        try c.encode(answeredProviderID, forKey: .answeredProviderID)
        try c.encode(endedAt, forKey: .endedAt)
        try c.encode(endAssumed, forKey: .endAssumed)
        try c.encode(attempts, forKey: .attempts)
        try c.encode(callbackID, forKey: .callbackID)
        try c.encode(callbackStatus, forKey: .callbackStatus)
        try c.encode(strategy, forKey: .strategy)
        try c.encode(sticky, forKey: .sticky)
        try c.encode(fallbacks, forKey: .fallbacks)
        try c.encode(candidates, forKey: .candidates)
        try c.encode(consentSeq, forKey: .consentRecord)
        try c.encode(termsVersion, forKey: .termsVersion)
    }
}

/// How an unanswered attempt ended.
public enum AttemptFailure: String, Sendable, CaseIterable {
    /// It rang out. Counts toward auto-pause.
    case noAnswer = "no-answer"
    /// The provider's line was busy. Counts toward auto-pause.
    case busy
    /// The telephony leg failed (not the provider's doing). Does not count toward auto-pause.
    case failed
}

/// How an attempt ended, as stored in `attempts.outcome` (NULL while it rings).
public enum AttemptOutcome: String, Sendable, Hashable, CaseIterable, Codable {
    case answered
    case noAnswer = "no-answer"
    case busy
    case failed
}
