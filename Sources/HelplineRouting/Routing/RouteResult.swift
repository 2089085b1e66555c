import Foundation

/// The answer to "where does this call go?", and to each later "no answer": the CLI's
/// `route --json` shape.
public struct RouteResult: Sendable, Hashable {
    /// The provider an offer rings.
    public struct OfferedProvider: Sendable, Hashable {
        public var id: Int64
        public var name: String
        public var phone: PhoneNumber
        /// Its SIP URI, when one is configured.
        public var sipURI: String?
        /// How long this offer rings before it counts as unanswered, in seconds.
        public var ringTimeoutSeconds: Int
        /// What telephony dials: the SIP URI when one is configured, else the E.164 phone.
        public var destination: String { sipURI ?? phone.e164 }
    }

    /// The consent record the call appended.
    public struct Consent: Sendable, Hashable {
        public var termsVersion: Int?
        public var termsSHA256: String?
        /// The ledger sequence number of the record.
        public var record: Int64
    }

    /// What happens to the call now.
    public enum Outcome: String, Sendable, Codable {
        /// Ring `provider`.
        case offer
        /// Nobody rings now; a callback is owed (or the caller revoked consent).
        case callback
        /// The dialed number is neither a listing nor a helpline.
        case unroutable
        /// A provider answered and the call is on: a resent event gets this, with nothing to dial.
        case connected
        /// The call is over: a resent event gets this, with nothing to dial.
        case ended
        /// Nobody can take the call now, and the caller left no North American number to call
        /// back (withheld or international): telephony should ask them to call again.
        case unreturnable
    }

    public var callID: Int64
    public var kind: CallKind
    public var outcome: Outcome
    /// The provider to ring; nil unless the outcome is `offer`.
    public var provider: OfferedProvider?
    /// Which attempt of the call this offer is (1 for the first).
    public var attempt: Int?
    /// The providers still to offer, in order, if this one goes unanswered.
    public var fallbacks: [Int64]
    public var sticky: Bool
    public var strategy: String
    /// Every candidate's verdict at routing time.
    public var candidates: [Verdict]
    /// The queued callback; set when the outcome is `callback`.
    public var callbackID: Int64?
    public var callbackReason: CallbackReason?
    public var consent: Consent?
    /// Things the operator should know, such as "no terms published".
    public var warnings: [String]
    /// True when this answers a resent event: nothing changed, and this is the call as it stands.
    public var repeated = false
}

extension RouteResult: Encodable {
    enum CodingKeys: String, CodingKey {
        case callID = "call_id", kind, outcome, provider, attempt, fallbacks, sticky, strategy, candidates
        case callbackID = "callback_id", callbackReason = "callback_reason", consent, warnings, repeated
        case destination, ringTimeout = "ring_timeout_s"
    }
    enum ProviderKeys: String, CodingKey { case id, name, phone }
    enum ConsentKeys: String, CodingKey { case termsVersion = "terms_version", termsSHA256 = "terms_sha256", record }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(String(callID), forKey: .callID)
        try c.encode(kind, forKey: .kind)
        try c.encode(outcome, forKey: .outcome)
        if let provider {
            var p = c.nestedContainer(keyedBy: ProviderKeys.self, forKey: .provider)
            try p.encode(provider.id, forKey: .id)
            try p.encode(provider.name, forKey: .name)
            try p.encode(provider.phone, forKey: .phone)
        } else {
            try c.encodeNil(forKey: .provider)
        }
        try c.encode(attempt, forKey: .attempt)
        try c.encode(provider?.destination, forKey: .destination)
        try c.encode(provider?.ringTimeoutSeconds, forKey: .ringTimeout)
        try c.encode(fallbacks, forKey: .fallbacks)
        try c.encode(sticky, forKey: .sticky)
        try c.encode(strategy, forKey: .strategy)
        try c.encode(candidates, forKey: .candidates)
        try c.encode(callbackID, forKey: .callbackID)
        try c.encode(callbackReason, forKey: .callbackReason)
        if let consent {
            var k = c.nestedContainer(keyedBy: ConsentKeys.self, forKey: .consent)
            try k.encode(consent.termsVersion, forKey: .termsVersion)
            try k.encode(consent.termsSHA256, forKey: .termsSHA256)
            try k.encode(consent.record, forKey: .record)
        } else {
            try c.encodeNil(forKey: .consent)
        }
        try c.encode(warnings, forKey: .warnings)
        try c.encode(repeated, forKey: .repeated)
    }
}
