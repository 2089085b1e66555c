import Foundation
import GRDB
import Testing

@testable import HelplineRouting

/// Forgeries an adversary tried with the sqlite3 shell, each caught by `verify` (and so by
/// `doctor`), and the anchors that catch what a chain inside one file can't.
@Suite("Ledger forgeries")
struct LedgerForgeryTests {
    /// A ledger with three calls, a web-form request and a revocation that closed a callback.
    static func ledger() throws -> RoutingFixture {
        let f = try RoutingFixture()
        for n in 1...3 { _ = try f.helpline.route(to: f.helplineNumber, from: "212555090\(n)") }
        _ = try f.helpline.requestCallback(phoneField: "(212) 555-0909")
        f.clock.advance(seconds: 60)
        _ = try f.helpline.revokeConsent(caller: try phone("2125550909"))
        #expect(try f.helpline.verifyConsent().isIntact)
        return f
    }

    static func tamper(_ f: RoutingFixture, _ sql: String) throws {
        try CLI.outside(
            f.helpline.path, "DROP TRIGGER IF EXISTS consent_records_no_update", "DROP TRIGGER IF EXISTS consent_records_no_delete",
            "DROP TRIGGER IF EXISTS terms_versions_no_update", sql)
    }

    @Test(
        "type and form forgeries are caught",
        arguments: [
            "UPDATE consent_records SET caller_sha256 = CAST(caller_sha256 AS BLOB) WHERE kind = 'revocation'",
            "UPDATE consent_records SET recorded_at = recorded_at + 0.4 WHERE seq = 2",
            "UPDATE consent_records SET terms_version = 1.9 WHERE seq = 1",
            "UPDATE consent_records SET hash = upper(hash) WHERE seq = 5",
        ])
    func typeForgeries(sql: String) throws {
        let f = try Self.ledger()
        try Self.tamper(f, sql)
        let v = try f.helpline.verifyConsent()
        #expect(!v.isIntact, "\(sql)")
        // Doctor fails too: on the column types, or on the chain.
        let doctor = try f.helpline.doctor()
        #expect(doctor.checks.contains { !$0.ok && ($0.name == "consent chain" || $0.name == "column types") })
    }

    @Test("a BLOB caller hash makes consent show fail loudly instead of saying 'not revoked'")
    func blobHashInConsentShow() throws {
        let f = try Self.ledger()
        try Self.tamper(f, "UPDATE consent_records SET caller_sha256 = CAST(caller_sha256 AS BLOB) WHERE kind = 'revocation'")
        let r = try CLI.run(["consent", "show", "--caller", "2125550909"], db: f.helpline.path)
        #expect(r.status == 74, "\(r.stdout)\(r.stderr)")
        #expect(!r.stdout.contains("revoked"))
    }

    @Test("a replaced terms text is caught by verify, and terms show refuses to print it")
    func replacedTerms() throws {
        let f = try Self.ledger()
        try Self.tamper(f, "UPDATE terms_versions SET text = 'You waive every right.' WHERE version = 1")
        let v = try f.helpline.verifyConsent()
        #expect(v.problem?.contains("terms version 1") == true)
        let show = try CLI.run(["terms", "show", "1"], db: f.helpline.path)
        #expect(show.status == 65)
        #expect(!show.stdout.contains("waive"))
    }

    @Test("an appended record with a correct hash that names a call it doesn't match is caught")
    func appendedRecord() throws {
        let f = try Self.ledger()
        let last = try #require(try f.helpline.consentAnchor())
        // A consent record for call 2, but for another caller, chained and hashed correctly.
        let forged = ConsentLedger.canonical(
            seq: last.seq + 1, recordedAt: f.clock.now.epochMilliseconds, kind: "consent", mechanism: "call",
            callerSHA256: sha256Hex("+19999999999"), callID: 2, callbackID: nil, termsVersion: 1,
            termsSHA256: sha256Hex("Terms of use v1\n"), note: "", prevHash: last.hash)
        let outside = try DatabaseQueue(path: f.helpline.path)
        try outside.write { db in
            try db.execute(
                sql: """
                    INSERT INTO consent_records (seq, recorded_at, kind, mechanism, caller_sha256, call_id, callback_id, terms_version,
                        terms_sha256, note, prev_hash, hash) VALUES (?, ?, 'consent', 'call', ?, 2, NULL, 1, ?, '', ?, ?)
                    """,
                arguments: [
                    last.seq + 1, f.clock.now.epochMilliseconds, sha256Hex("+19999999999"), sha256Hex("Terms of use v1\n"), last.hash,
                    sha256Hex(forged),
                ])
        }
        try outside.close()
        let v = try f.helpline.verifyConsent()
        #expect(v.firstBadSeq == last.seq + 1)
    }

    @Test("deleting the last records (the revocation) is caught: by the revoked callback, and by the anchor")
    func truncatedLedger() throws {
        let f = try Self.ledger()
        let anchor = try #require(try f.helpline.consentAnchor())
        #expect(try f.helpline.verifyConsent(anchor: anchor).isIntact)
        try Self.tamper(f, "DELETE FROM consent_records WHERE seq = (SELECT max(seq) FROM consent_records)")
        #expect(try f.helpline.verifyConsent().problem?.contains("revocation") == true)
        // Even with the callback's trace removed too, the anchor kept outside still catches it.
        try Self.tamper(f, "UPDATE callbacks SET status = 'pending', closed_at = NULL WHERE status = 'revoked'")
        #expect(try f.helpline.verifyConsent().isIntact)  // what no chain inside one file can see
        let v = try f.helpline.verifyConsent(anchor: anchor)
        #expect(!v.isIntact)
        #expect(v.problem?.contains("removed") == true)
    }

    @Test("a full re-hash passes the chain but not the anchor; the CLI prints and checks anchors")
    func rehashAndCLI() throws {
        let f = try Self.ledger()
        let db = f.helpline.path
        let printed = try CLI.run(["consent", "anchor"], db: db)
        #expect(printed.status == 0)
        let anchor = printed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try ConsentAnchor(parsing: anchor) == f.helpline.consentAnchor())
        #expect(try CLI.run(["consent", "verify", "--anchor", anchor], db: db).status == 0)
        // The daily report carries the head too.
        let report = try CLI.json(try CLI.run(["report", "daily", "--date", "2026-11-25", "--json"], db: db))
        #expect(report["ledger_head"] as? String == anchor)
        // Rewrite record 1's note and re-hash the whole chain: internally consistent again.
        let outside = try DatabaseQueue(path: db)
        try outside.write { db in
            try db.execute(sql: "DROP TRIGGER consent_records_no_update")
            var prev = ConsentLedger.genesisHash
            for row in try Row.fetchAll(db, sql: "SELECT * FROM consent_records ORDER BY seq") {
                var record = ConsentLedger.record(from: row)
                if record.seq == 1 { record.note = "rewritten" }
                record.prevHash = prev
                let hash = sha256Hex(record.canonicalText)
                try db.execute(
                    sql: "UPDATE consent_records SET note = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                    arguments: [record.note, prev, hash, record.seq])
                prev = hash
            }
        }
        try outside.close()
        #expect(try CLI.run(["consent", "verify"], db: db).status == 0)
        let caught = try CLI.run(["consent", "verify", "--anchor", anchor], db: db)
        #expect(caught.status == 65)
        #expect(caught.stderr.contains("no longer extends the anchor"))
        #expect(try CLI.run(["consent", "verify", "--anchor", "12:nothex"], db: db).status == 65)
    }
}
