import Foundation

// The JSON shapes the CLI prints (and that an HTTP front door returns): one home, in the library,
// with snake_case keys. Instants encode with the encoder's date strategy.

extension DoctorReport: Encodable {
    enum CodingKeys: String, CodingKey { case clean, checks, repaired }
    enum CheckKeys: String, CodingKey { case name, ok, detail, kind }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(isClean, forKey: .clean)
        var list = c.nestedUnkeyedContainer(forKey: .checks)
        for check in checks {
            var item = list.nestedContainer(keyedBy: CheckKeys.self)
            try item.encode(check.name, forKey: .name)
            try item.encode(check.ok, forKey: .ok)
            try item.encode(check.detail, forKey: .detail)
            try item.encode(check.kind.rawValue, forKey: .kind)
        }
        try c.encode(repaired, forKey: .repaired)
    }
}

extension ConsentVerification: Encodable {
    enum CodingKeys: String, CodingKey { case records, intact, firstBadSeq = "first_bad_seq", problem, head }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(records, forKey: .records)
        try c.encode(isIntact, forKey: .intact)
        try c.encode(firstBadSeq, forKey: .firstBadSeq)
        try c.encode(problem, forKey: .problem)
        try c.encode(head?.description, forKey: .head)
    }
}

extension CallReplay: Encodable {
    enum CodingKeys: String, CodingKey { case callID = "call_id", matches, decisions, differences }
    enum StepKeys: String, CodingKey {
        case attempt, matches, recordedOutcome = "recorded_outcome", recordedProvider = "recorded_provider"
        case replayedProvider = "replayed_provider", differences
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(String(callID), forKey: .callID)
        try c.encode(matches, forKey: .matches)
        var list = c.nestedUnkeyedContainer(forKey: .decisions)
        for d in decisions {
            var item = list.nestedContainer(keyedBy: StepKeys.self)
            try item.encode(d.attempt, forKey: .attempt)
            try item.encode(d.matches, forKey: .matches)
            try item.encode(d.recordedOutcome, forKey: .recordedOutcome)
            try item.encode(d.recordedProvider, forKey: .recordedProvider)
            try item.encode(d.replayed.offeredProviderID, forKey: .replayedProvider)
            try item.encode(d.differences, forKey: .differences)
        }
        try c.encode(differences, forKey: .differences)
    }
}

extension ConsentRecord: Encodable {
    enum CodingKeys: String, CodingKey {
        case seq, recordedAt = "recorded_at", kind, mechanism, callerSHA256 = "caller_sha256", callID = "call_id"
        case callbackID = "callback_id", termsVersion = "terms_version", termsSHA256 = "terms_sha256", note
        case prevHash = "prev_hash", hash
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(seq, forKey: .seq)
        try c.encode(recordedAt, forKey: .recordedAt)
        try c.encode(kind, forKey: .kind)
        try c.encode(mechanism, forKey: .mechanism)
        try c.encode(callerSHA256, forKey: .callerSHA256)
        try c.encode(callID.map { String($0) }, forKey: .callID)
        try c.encode(callbackID, forKey: .callbackID)
        try c.encode(termsVersion, forKey: .termsVersion)
        try c.encode(termsSHA256, forKey: .termsSHA256)
        try c.encode(note, forKey: .note)
        try c.encode(prevHash, forKey: .prevHash)
        try c.encode(hash, forKey: .hash)
    }
}

extension ConsentProof: Encodable {
    enum CodingKeys: String, CodingKey { case callerHashes = "caller_hashes", revoked, records }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(callerHashes, forKey: .callerHashes)
        try c.encode(isRevoked, forKey: .revoked)
        try c.encode(records, forKey: .records)
    }
}
