public import Foundation
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
    /// The last record, to keep outside the database as an anchor; nil when broken or empty.
    public var head: ConsentAnchor?

    public var isIntact: Bool { firstBadSeq == nil }
}

/// A ledger head kept outside the database (`SEQ:HASH`): a later `verify` fails when the chain
/// no longer extends it, which catches what no chain inside one file can (a full re-hash, or
/// records removed from the end).
public struct ConsentAnchor: Sendable, Hashable, CustomStringConvertible {
    public var seq: Int64
    public var hash: String

    public init(seq: Int64, hash: String) {
        self.seq = seq
        self.hash = hash
    }

    /// Parses `SEQ:HASH`, as `helpline consent anchor` prints it.
    ///
    /// - Throws: `InputError.invalidText` for anything else.
    public init(parsing text: String) throws {
        let parts = text.trimmingWhitespace().split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let seq = Int64(parts[0]), seq >= 1, ConsentLedger.isHex64(String(parts[1]).lowercased()) else {
            throw InputError.invalidText(field: "anchor", reason: "expected SEQ:HASH, such as 42:9f86d081… (64 hex digits)")
        }
        self.seq = seq
        self.hash = String(parts[1]).lowercased()
    }

    public var description: String { "\(seq):\(hash)" }
}

/// A caller's consent history: the proof an auditor asks for.
public struct ConsentProof: Sendable, Hashable {
    /// The caller's hash under each month's key that still exists (and the plain SHA-256 of
    /// records written before keys): records are found by any of them.
    public var callerHashes: [String]
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

    /// Recomputes every hash and link in order, streaming the ledger, and checks what a chain
    /// alone can't: each column's type and canonical form, each terms text against its SHA-256,
    /// and each record against the call or request it names.
    ///
    /// - Parameter anchor: a head kept outside the database; the chain must still extend it.
    static func verify(db: Database, anchor: ConsentAnchor? = nil) throws -> ConsentVerification {
        // Terms first: a record's terms SHA-256 must be the published text's.
        var termsSHA: [Int: String] = [:]
        for row in try Row.fetchAll(
            db, sql: "SELECT version, typeof(version), text, typeof(text), sha256, typeof(sha256) FROM terms_versions ORDER BY version")
        {
            guard (row[1] as String) == "integer", (row[3] as String) == "text", (row[5] as String) == "text",
                let version = row[0] as Int?, let text = row[2] as String?, let sha = row[4] as String?
            else { return ConsentVerification(records: 0, firstBadSeq: 0, problem: "a terms version has a value of the wrong type") }
            guard isHex64(sha), sha256Hex(text) == sha else {
                return ConsentVerification(
                    records: 0, firstBadSeq: 0, problem: "terms version \(version)'s text does not match its SHA-256; the text was replaced")
            }
            termsSHA[version] = sha
        }
        let cursor = try Row.fetchCursor(
            db,
            sql: """
                SELECT seq, recorded_at, kind, mechanism, caller_sha256, call_id, callback_id, terms_version, terms_sha256, note,
                    prev_hash, hash,
                    typeof(seq) || typeof(recorded_at) || typeof(kind) || typeof(mechanism) || typeof(caller_sha256) || ',' ||
                    typeof(call_id) || ',' || typeof(callback_id) || ',' || typeof(terms_version) || ',' || typeof(terms_sha256) || ',' ||
                    typeof(note) || typeof(prev_hash) || typeof(hash)
                FROM consent_records ORDER BY seq
                """)
        var expectedSeq: Int64 = 1
        var prev = genesisHash
        var count = 0
        var anchorSeen = false
        while let row = try cursor.next() {
            count += 1
            let seq: Int64 = (row[0] as Int64?) ?? expectedSeq
            func bad(_ problem: String) -> ConsentVerification {
                ConsentVerification(records: count, firstBadSeq: seq, problem: problem)
            }
            // Types as written: text where text belongs, whole numbers where numbers belong. A
            // BLOB hash or a REAL time would hash the same text and yet mean something else.
            let types: String = row[12]
            let pieces = types.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let nullableInteger: Set<String> = ["null", "integer"]
            guard pieces.count == 6, pieces[0] == "integerintegertexttexttext", nullableInteger.contains(pieces[1]),
                nullableInteger.contains(pieces[2]), nullableInteger.contains(pieces[3]), ["null", "text"].contains(pieces[4]),
                pieces[5] == "texttexttext"
            else { return bad("a column holds a value of the wrong type (\(types)); the record was altered") }
            guard seq == expectedSeq else { return bad("expected record \(expectedSeq) here; a record is missing") }
            let kind: String = row[2]
            let mechanism: String = row[3]
            let callerSHA: String = row[4]
            let termsVersion: Int? = row[7]
            let termsSHA256: String? = row[8]
            let prevHash: String = row[10]
            let stored: String = row[11]
            guard ConsentRecord.Kind(rawValue: kind) != nil, ConsentRecord.Mechanism(rawValue: mechanism) != nil else {
                return bad("unknown kind or mechanism")
            }
            guard isHex64(callerSHA), isHex64(prevHash), isHex64(stored), termsSHA256.map(isHex64) ?? true else {
                return bad("a hash is not 64 lowercase hex digits; the record was altered")
            }
            if let termsVersion {
                guard let published = termsSHA[termsVersion], published == termsSHA256 else {
                    return bad("its terms version \(termsVersion) and SHA-256 are not a published version's")
                }
            }
            guard prevHash == prev else { return bad("prev_hash does not match the hash of record \(seq - 1)") }
            let text = canonical(
                seq: seq, recordedAt: row[1], kind: kind, mechanism: mechanism, callerSHA256: callerSHA, callID: row[5],
                callbackID: row[6], termsVersion: termsVersion, termsSHA256: termsSHA256, note: row[9], prevHash: prevHash)
            guard sha256Hex(text) == stored else { return bad("its contents do not match its hash; the record was altered") }
            if let anchor, anchor.seq == seq {
                guard anchor.hash == stored else { return bad("the chain no longer extends the anchor \(anchor); it was rewritten") }
                anchorSeen = true
            }
            prev = stored
            expectedSeq += 1
        }
        if let anchor, !anchorSeen {
            return ConsentVerification(
                records: count, firstBadSeq: anchor.seq,
                problem: "the ledger ends at record \(count), before the anchor \(anchor); records were removed")
        }
        if let problem = try crossReferences(db) {
            return ConsentVerification(records: count, firstBadSeq: problem.seq, problem: problem.text)
        }
        return ConsentVerification(
            records: count, firstBadSeq: nil, problem: nil, head: count > 0 ? ConsentAnchor(seq: Int64(count), hash: prev) : nil)
    }

    /// What the rest of the database says about the ledger: a record that claims a call or a
    /// request must match it, a call has one consent record, and a callback closed as revoked
    /// needs a revocation. A record forged at the end of the chain with a correct hash fails here
    /// unless the forger also forged the call; only an anchor catches the rest.
    private static func crossReferences(_ db: Database) throws -> (seq: Int64, text: String)? {
        if let seq = try Int64.fetchOne(
            db,
            sql: """
                SELECT r.seq FROM consent_records r LEFT JOIN calls c ON c.id = r.call_id
                WHERE r.mechanism = 'call' AND (c.id IS NULL OR c.caller_sha256 != r.caller_sha256 OR c.received_at != r.recorded_at)
                ORDER BY r.seq LIMIT 1
                """)
        {
            return (seq, "it names a call that does not exist or does not match (caller or time)")
        }
        if let seq = try Int64.fetchOne(
            db,
            sql: """
                SELECT r.seq FROM consent_records r LEFT JOIN callbacks b ON b.id = r.callback_id
                WHERE r.mechanism = 'web-form' AND (b.id IS NULL OR b.phone_sha256 != r.caller_sha256) ORDER BY r.seq LIMIT 1
                """)
        {
            return (seq, "it names a web-form request that does not exist or does not match")
        }
        if let seq = try Int64.fetchOne(
            db,
            sql: """
                SELECT max(seq) FROM consent_records WHERE call_id IS NOT NULL AND kind = 'consent'
                GROUP BY call_id HAVING count(*) > 1 ORDER BY 1 LIMIT 1
                """)
        {
            return (seq, "a second consent record for the same call")
        }
        if let id = try Int64.fetchOne(
            db,
            sql: """
                SELECT b.id FROM callbacks b WHERE b.status = 'revoked' AND NOT EXISTS (
                    SELECT 1 FROM consent_records r WHERE r.kind = 'revocation' AND r.recorded_at = b.closed_at)
                ORDER BY b.id LIMIT 1
                """)
        {
            return (0, "callback \(id) was closed by a revocation that is no longer in the ledger; records were removed")
        }
        return nil
    }

    static func isHex64(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    /// Whether the caller's latest ledger record is a revocation.
    static func isRevoked(caller: PhoneNumber, db: Database) throws -> Bool {
        // One index probe per key: an IN list would make SQLite build a temporary table on every
        // call that checks. The latest record under any key decides.
        var latest: (seq: Int64, kind: String)?
        for hash in try CallerKeys.hashes(caller.e164, db: db) {
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT seq, kind FROM consent_records WHERE caller_sha256 = ? ORDER BY seq DESC LIMIT 1"),
                arguments: [hash])
            if let row, let seq: Int64 = row[0], let kind: String = row[1], seq > latest?.seq ?? .min { latest = (seq, kind) }
        }
        return latest?.kind == ConsentRecord.Kind.revocation.rawValue
    }
}

extension Helpline {
    /// Recomputes the consent ledger's chain and names the first record that does not match.
    ///
    /// - Throws: `StoreError` when the database can't be read.
    ///
    /// - Parameter anchor: a head kept from an earlier verify or report; the chain must extend it.
    public func verifyConsent(anchor: ConsentAnchor? = nil) throws -> ConsentVerification {
        try read { db in try ConsentLedger.verify(db: db, anchor: anchor) }
    }

    /// The ledger's head (its last record's sequence number and hash), to keep outside the
    /// database; nil while the ledger is empty.
    public func consentAnchor() throws -> ConsentAnchor? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT seq, hash FROM consent_records ORDER BY seq DESC LIMIT 1").map {
                ConsentAnchor(seq: $0[0], hash: $0[1])
            }
        }
    }

    /// Every ledger record for a caller, oldest first: the proof of what they agreed to.
    ///
    /// - Throws: `StoreError` when the database can't be read.
    public func consentProof(caller: PhoneNumber) throws -> ConsentProof {
        try read { db in
            // A record whose hash was turned into a BLOB would drop out of this lookup silently.
            try ColumnTypes.check("consent_records", filter: "typeof(caller_sha256) != 'text'", db: db)
            let hashes = try CallerKeys.hashes(caller.e164, db: db)
            return ConsentProof(
                callerHashes: hashes,
                records: try Row.fetchAll(
                    db, sql: "SELECT * FROM consent_records WHERE \(CallerKeys.inList("caller_sha256", hashes.count)) ORDER BY seq",
                    arguments: StatementArguments(hashes)
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
        return try write { db in
            let record = try ConsentLedger.append(
                db: db, kind: .revocation, mechanism: .operator, callerSHA256: try CallerKeys.hash(caller.e164, at: when, db: db), callID: nil,
                callbackID: nil, terms: try ConsentLedger.termsStamp(at: when, db: db), at: when)
            let hashes = try CallerKeys.hashes(caller.e164, db: db)
            let matching = CallerKeys.inList("phone_sha256", hashes.count)
            let closed = try Int64.fetchAll(
                db, sql: "SELECT id FROM callbacks WHERE \(matching) AND status = 'pending' ORDER BY id", arguments: StatementArguments(hashes))
            try db.execute(
                sql: "UPDATE callbacks SET status = 'revoked', closed_at = ? WHERE \(matching) AND status = 'pending'",
                arguments: [when.epochMilliseconds] + StatementArguments(hashes))
            return (record, closed)
        }
    }
}
