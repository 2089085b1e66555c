public import Foundation

extension RouteResult {
    /// The one-line JSON of this result, byte for byte what `JSONOutput(zone:pretty: false)`
    /// writes (sorted keys, slashes unescaped), without going through `Encoder`.
    ///
    /// A server answers every routed call with this shape, 50 candidates included, and the
    /// generic encoder spent more CPU on it than routing the call did. A property test holds the
    /// two outputs equal.
    public var compactJSON: String {
        var out = CompactJSON(capacity: 256 + candidates.count * 64)
        out.raw("{\"attempt\":")
        out.optionalInt(attempt.map(Int64.init))
        out.raw(",\"call_id\":\"")
        out.int(callID)
        out.raw("\",\"callback_id\":")
        out.optionalInt(callbackID)
        out.raw(",\"callback_reason\":")
        out.optionalString(callbackReason?.rawValue)
        out.raw(",\"candidates\":")
        out.verdicts(candidates)
        out.raw(",\"consent\":")
        if let consent {
            out.raw("{\"record\":")
            out.int(consent.record)
            out.raw(",\"terms_sha256\":")
            out.optionalString(consent.termsSHA256)
            out.raw(",\"terms_version\":")
            out.optionalInt(consent.termsVersion.map(Int64.init))
            out.byte(UInt8(ascii: "}"))
        } else {
            out.raw("null")
        }
        out.raw(",\"destination\":")
        out.optionalString(provider?.destination)
        out.raw(",\"fallbacks\":")
        out.intList(fallbacks)
        out.raw(",\"kind\":")
        out.escapedString(kind.rawValue)
        out.raw(",\"outcome\":")
        out.escapedString(outcome.rawValue)
        out.raw(",\"provider\":")
        if let provider {
            out.raw("{\"id\":")
            out.int(provider.id)
            out.raw(",\"name\":")
            out.escapedString(provider.name)
            out.raw(",\"phone\":")
            out.escapedString(provider.phone.e164)
            out.byte(UInt8(ascii: "}"))
        } else {
            out.raw("null")
        }
        out.raw(",\"repeated\":")
        out.raw(repeated ? "true" : "false")
        out.raw(",\"ring_timeout_s\":")
        out.optionalInt(provider.map { Int64($0.ringTimeoutSeconds) })
        out.raw(",\"sticky\":")
        out.raw(sticky ? "true" : "false")
        out.raw(",\"strategy\":")
        out.escapedString(strategy)
        out.raw(",\"warnings\":[")
        for (i, warning) in warnings.enumerated() {
            if i > 0 { out.byte(UInt8(ascii: ",")) }
            out.escapedString(warning)
        }
        out.raw("]}")
        return out.string
    }
}

extension CallRecord {
    /// The one-line JSON of this call, byte for byte what `JSONOutput(zone: zone, pretty: false)`
    /// writes, without going through `Encoder`: a server answers every `answered` and `ended`
    /// event with it.
    ///
    /// - Parameter zone: the zone instants are written in.
    public func compactJSON(zone: TimeZone) -> String {
        var out = CompactJSON(capacity: 512 + candidates.count * 64)
        func instant(_ date: Date?) { out.optionalString(date.map { Instant.format($0, in: zone) }) }
        out.raw("{\"answered_at\":")
        instant(answeredAt)
        out.raw(",\"answered_provider_id\":")
        out.optionalInt(answeredProviderID)
        out.raw(",\"attempts\":[")
        for (i, a) in attempts.enumerated() {
            if i > 0 { out.byte(UInt8(ascii: ",")) }
            out.raw("{\"answered_at\":")
            instant(a.answeredAt)
            out.raw(",\"ended_at\":")
            instant(a.endedAt)
            out.raw(",\"offered_at\":")
            instant(a.offeredAt)
            out.raw(",\"outcome\":")
            out.optionalString(a.outcome?.rawValue)
            out.raw(",\"provider_id\":")
            out.int(a.providerID)
            out.raw(",\"seq\":")
            out.int(a.seq)
            out.byte(UInt8(ascii: "}"))
        }
        out.raw("],\"callback_id\":")
        out.optionalInt(callbackID)
        out.raw(",\"callback_status\":")
        out.optionalString(callbackStatus?.rawValue)
        out.raw(",\"caller\":")
        out.optionalString(caller?.e164)
        out.raw(",\"caller_state\":")
        out.optionalString(callerState)
        out.raw(",\"caller_state_source\":")
        out.optionalString(callerStateSource)
        out.raw(",\"candidates\":")
        out.verdicts(candidates)
        out.raw(",\"consent_record\":")
        out.optionalInt(consentSeq)
        out.raw(",\"dialed\":")
        out.escapedString(dialed)
        out.raw(",\"end_assumed\":")
        out.raw(endAssumed ? "true" : "false")
        out.raw(",\"ended_at\":")
        instant(endedAt)
        out.raw(",\"external_id\":")
        out.optionalString(externalID)
        out.raw(",\"fallbacks\":")
        out.intList(fallbacks)
        out.raw(",\"id\":\"")
        out.int(id)
        out.raw("\",\"kind\":")
        out.escapedString(kind.rawValue)
        out.raw(",\"received_at\":")
        instant(receivedAt)
        out.raw(",\"status\":")
        out.escapedString(status.rawValue)
        out.raw(",\"sticky\":")
        out.raw(sticky ? "true" : "false")
        out.raw(",\"strategy\":")
        out.optionalString(strategy)
        out.raw(",\"terms_version\":")
        out.optionalInt(termsVersion.map(Int64.init))
        out.byte(UInt8(ascii: "}"))
        return out.string
    }
}

extension CompactJSON {
    mutating func optionalInt(_ value: Int64?) {
        if let value { int(value) } else { raw("null") }
    }

    mutating func optionalString(_ value: String?) {
        if let value { escapedString(value) } else { raw("null") }
    }

    mutating func intList(_ values: [Int64]) {
        byte(UInt8(ascii: "["))
        for (i, v) in values.enumerated() {
            if i > 0 { byte(UInt8(ascii: ",")) }
            int(v)
        }
        byte(UInt8(ascii: "]"))
    }

    /// Verdicts as `Verdict.encode(to:)` writes them, keys sorted.
    mutating func verdicts(_ verdicts: [Verdict]) {
        byte(UInt8(ascii: "["))
        for (i, verdict) in verdicts.enumerated() {
            if i > 0 { byte(UInt8(ascii: ",")) }
            raw("{\"eligible\":")
            raw(verdict.isEligible ? "true" : "false")
            raw(",\"provider_id\":")
            int(verdict.providerID)
            if let reason = verdict.reason {
                raw(",\"reason\":")
                escapedString(reason.rawValue)
            }
            if let share = verdict.share {
                raw(",\"share\":")
                double(share)
            }
            raw(",\"tier\":")
            int(verdict.tier)
            byte(UInt8(ascii: "}"))
        }
        byte(UInt8(ascii: "]"))
    }

    /// A JSON string as Foundation's encoder writes it: quotes, backslashes and control
    /// characters escaped, everything else (slashes, non-ASCII) as it is.
    mutating func escapedString(_ s: String) {
        byte(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case 0x0A: raw("\\n")
            case 0x0D: raw("\\r")
            case 0x09: raw("\\t")
            case 0x08: raw("\\b")
            case 0x0C: raw("\\f")
            case 0x00..<0x20:
                raw("\\u00")
                byte(hexDigits[Int(b >> 4)])
                byte(hexDigits[Int(b & 0x0F)])
            default: byte(b)
            }
        }
        byte(UInt8(ascii: "\""))
    }

    /// A finite double as Foundation's encoder writes it: integral values without a fraction,
    /// others in Swift's shortest round-trip form.
    mutating func double(_ value: Double) {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 {
            int(Int64(value))
        } else {
            text(value.description)
        }
    }
}
