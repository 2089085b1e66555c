import Foundation
import GRDB

/// One entry of the append-only, hash-chained consent ledger (`consent_records`).
public struct ConsentRecord: Sendable, Hashable {
    /// Consent given, or consent revoked.
    public enum Kind: String, Sendable, Codable { case consent, revocation }
    /// How it was given.
    public enum Mechanism: String, Sendable, Codable {
        case call
        case webForm = "web-form"
        case `operator`
    }

    public var seq: Int64
    public var recordedAt: Date
    public var kind: Kind
    public var mechanism: Mechanism
    /// SHA-256 of the caller's E.164 number; the number itself is not in the ledger.
    public var callerSHA256: String
    public var callID: Int64?
    public var callbackID: Int64?
    /// The terms version in effect, or nil when none was published.
    public var termsVersion: Int?
    public var termsSHA256: String?
    public var note: String
    public var prevHash: String
    public var hash: String

    /// The text whose SHA-256 is `hash`, as documented on the `consent_records` table:
    /// every column but `hash`, joined with `|`, NULL as the empty string.
    public var canonicalText: String {
        ConsentLedger.canonical(
            seq: seq, recordedAt: recordedAt.epochMilliseconds, kind: kind.rawValue, mechanism: mechanism.rawValue,
            callerSHA256: callerSHA256, callID: callID, callbackID: callbackID, termsVersion: termsVersion,
            termsSHA256: termsSHA256, note: note, prevHash: prevHash)
    }
}

/// The result of recomputing the whole chain.
public struct ConsentVerification: Sendable, Hashable {
    /// How many records were checked.
    public var records: Int
    /// The first record that does not match, or nil when the chain is intact.
    public var firstBadSeq: Int64?
    /// What is wrong with it.
    public var problem: String?

    public var isIntact: Bool { firstBadSeq == nil }
}

/// A caller's consent history: the proof an auditor asks for.
public struct ConsentProof: Sendable, Hashable {
    public var callerSHA256: String
    /// Every ledger record for the caller, oldest first.
    public var records: [ConsentRecord]
    /// Whether the latest record is a revocation.
    public var isRevoked: Bool { records.last?.kind == .revocation }
}

/// The stamp of terms that a call or request agrees to.
public struct TermsStamp: Sendable, Hashable {
    public var version: Int
    public var sha256: String
}

enum ConsentLedger {
    static let genesisHash = String(repeating: "0", count: 64)
    static let noTermsNote = "no terms published"

    static func canonical(
        seq: Int64, recordedAt: Int64, kind: String, mechanism: String, callerSHA256: String, callID: Int64?, callbackID: Int64?,
        termsVersion: Int?, termsSHA256: String?, note: String, prevHash: String
    ) -> String {
        var parts: [String] = []
        parts.reserveCapacity(11)
        parts.append(String(seq))
        parts.append(String(recordedAt))
        parts.append(kind)
        parts.append(mechanism)
        parts.append(callerSHA256)
        parts.append(callID.map { String($0) } ?? "")
        parts.append(callbackID.map { String($0) } ?? "")
        parts.append(termsVersion.map { String($0) } ?? "")
        parts.append(termsSHA256 ?? "")
        parts.append(note)
        parts.append(prevHash)
        return parts.joined(separator: "|")
    }

    /// The terms version in effect at `time`, without its text.
    static func termsStamp(at time: Date, db: Database) throws -> TermsStamp? {
        let row = try Row.fetchOne(
            db.cachedStatement(
                sql: "SELECT version, sha256 FROM terms_versions WHERE effective_at <= ? ORDER BY effective_at DESC, version DESC LIMIT 1"),
            arguments: [time.epochMilliseconds])
        return row.map { TermsStamp(version: $0[0], sha256: $0[1]) }
    }

    /// Appends one record, chained to the last one. Must run inside a write transaction.
    @discardableResult
    static func append(
        db: Database, kind: ConsentRecord.Kind, mechanism: ConsentRecord.Mechanism, callerSHA256: String, callID: Int64?,
        callbackID: Int64?, terms: TermsStamp?, at time: Date, note extra: String = ""
    ) throws -> ConsentRecord {
        let last = try Row.fetchOne(db.cachedStatement(sql: "SELECT seq, hash FROM consent_records ORDER BY seq DESC LIMIT 1"))
        let seq: Int64 = (last?[0] as Int64? ?? 0) + 1
        let prev: String = last?[1] ?? genesisHash
        var note = extra
        if terms == nil && kind == .consent { note = note.isEmpty ? noTermsNote : noTermsNote + "; " + note }
        var record = ConsentRecord(
            seq: seq, recordedAt: Date(epochMilliseconds: time.epochMilliseconds), kind: kind, mechanism: mechanism,
            callerSHA256: callerSHA256, callID: callID, callbackID: callbackID, termsVersion: terms?.version,
            termsSHA256: terms?.sha256, note: note, prevHash: prev, hash: "")
        record.hash = sha256Hex(record.canonicalText)
        try db.cachedStatement(
            sql: """
                INSERT INTO consent_records (seq, recorded_at, kind, mechanism, caller_sha256, call_id, callback_id, terms_version,
                    terms_sha256, note, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            seq, time.epochMilliseconds, kind.rawValue, mechanism.rawValue, callerSHA256, callID, callbackID, terms?.version,
            terms?.sha256, note, prev, record.hash,
        ])
        return record
    }

    static func record(from row: Row) -> ConsentRecord {
        ConsentRecord(
            seq: row["seq"], recordedAt: Date(epochMilliseconds: row["recorded_at"]),
            kind: ConsentRecord.Kind(rawValue: row["kind"]) ?? .consent,
            mechanism: ConsentRecord.Mechanism(rawValue: row["mechanism"]) ?? .call, callerSHA256: row["caller_sha256"],
            callID: row["call_id"], callbackID: row["callback_id"], termsVersion: row["terms_version"],
            termsSHA256: row["terms_sha256"], note: row["note"], prevHash: row["prev_hash"], hash: row["hash"])
    }

    /// Recomputes every hash and link in order, streaming the ledger.
    static func verify(db: Database) throws -> ConsentVerification {
        let cursor = try Row.fetchCursor(
            db,
            sql: """
                SELECT seq, recorded_at, kind, mechanism, caller_sha256, call_id, callback_id, terms_version, terms_sha256, note,
                    prev_hash, hash FROM consent_records ORDER BY seq
                """)
        var expectedSeq: Int64 = 1
        var prev = genesisHash
        var count = 0
        while let row = try cursor.next() {
            count += 1
            let seq: Int64 = row["seq"]
            let kind: String = row["kind"]
            let mechanism: String = row["mechanism"]
            let stored: String = row["hash"]
            func bad(_ problem: String) -> ConsentVerification {
                ConsentVerification(records: count, firstBadSeq: seq, problem: problem)
            }
            guard seq == expectedSeq else { return bad("expected record \(expectedSeq) here; a record is missing") }
            guard ConsentRecord.Kind(rawValue: kind) != nil, ConsentRecord.Mechanism(rawValue: mechanism) != nil else {
                return bad("unknown kind or mechanism")
            }
            let prevHash: String = row["prev_hash"]
            guard prevHash == prev else { return bad("prev_hash does not match the hash of record \(seq - 1)") }
            let text = canonical(
                seq: seq, recordedAt: row["recorded_at"], kind: kind, mechanism: mechanism, callerSHA256: row["caller_sha256"],
                callID: row["call_id"], callbackID: row["callback_id"], termsVersion: row["terms_version"],
                termsSHA256: row["terms_sha256"], note: row["note"], prevHash: prevHash)
            guard sha256Hex(text) == stored else { return bad("its contents do not match its hash; the record was altered") }
            prev = stored
            expectedSeq += 1
        }
        return ConsentVerification(records: count, firstBadSeq: nil, problem: nil)
    }

    /// Whether the caller's latest ledger record is a revocation.
    static func isRevoked(callerSHA256: String, db: Database) throws -> Bool {
        let kind = try String.fetchOne(
            db.cachedStatement(sql: "SELECT kind FROM consent_records WHERE caller_sha256 = ? ORDER BY seq DESC LIMIT 1"),
            arguments: [callerSHA256])
        return kind == ConsentRecord.Kind.revocation.rawValue
    }
}

extension Helpline {
    /// Recomputes the consent ledger's chain and names the first record that does not match.
    ///
    /// - Throws: `StoreError` when the database can't be read.
    public func verifyConsent() throws -> ConsentVerification {
        try read { db in try ConsentLedger.verify(db: db) }
    }

    /// Every ledger record for a caller, oldest first: the proof of what they agreed to.
    ///
    /// - Throws: `StoreError` when the database can't be read.
    public func consentProof(caller: PhoneNumber) throws -> ConsentProof {
        let hash = sha256Hex(caller.e164)
        return try read { db in
            ConsentProof(
                callerSHA256: hash,
                records: try Row.fetchAll(
                    db, sql: "SELECT * FROM consent_records WHERE caller_sha256 = ? ORDER BY seq", arguments: [hash]
                ).map(ConsentLedger.record(from:)))
        }
    }

    /// Records that a caller revoked consent, and closes their pending callbacks as revoked.
    ///
    /// - Returns: the revocation record and the ids of the callbacks it closed.
    /// - Throws: `StoreError` when the write fails.
    @discardableResult
    public func revokeConsent(caller: PhoneNumber, at time: Date? = nil) throws -> (record: ConsentRecord, closedCallbacks: [Int64]) {
        let when = try eventTime(time)
        let hash = sha256Hex(caller.e164)
        return try write { db in
            let record = try ConsentLedger.append(
                db: db, kind: .revocation, mechanism: .operator, callerSHA256: hash, callID: nil, callbackID: nil,
                terms: try ConsentLedger.termsStamp(at: when, db: db), at: when)
            let closed = try Int64.fetchAll(
                db, sql: "SELECT id FROM callbacks WHERE phone_sha256 = ? AND status = 'pending' ORDER BY id", arguments: [hash])
            try db.execute(
                sql: "UPDATE callbacks SET status = 'revoked', closed_at = ? WHERE phone_sha256 = ? AND status = 'pending'",
                arguments: [when.epochMilliseconds, hash])
            return (record, closed)
        }
    }
}
