import Foundation
import GRDB
import Testing

@testable import HelplineRouting

@Suite("Consent ledger")
struct ConsentLedgerTests {
    @Test("every routable call and accepted form request appends a chained record with the terms in effect")
    func chain() throws {
        let f = try RoutingFixture()
        _ = try f.helpline.route(to: f.helplineNumber, from: "3035550123")
        try f.helpline.publishTerms("Terms of use v2\n")
        _ = try f.helpline.route(to: f.listingNumber, from: "3035550124")
        _ = try f.helpline.requestCallback(phoneField: "(303) 555-0125")
        _ = try? f.helpline.route(to: "8005550100", from: "3035550126")  // unroutable: no record
        let v = try f.helpline.verifyConsent()
        #expect(v.isIntact && v.records == 3)
        let records = try f.helpline.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM consent_records ORDER BY seq").map(ConsentLedger.record(from:))
        }
        #expect(records.map(\.termsVersion) == [1, 2, 2])
        #expect(records.map(\.mechanism) == [.call, .call, .webForm])
        #expect(records[0].prevHash == String(repeating: "0", count: 64))
        #expect(records[1].prevHash == records[0].hash)
        #expect(records[2].termsSHA256 == sha256Hex("Terms of use v2\n"))
        #expect(records.allSatisfy { sha256Hex($0.canonicalText) == $0.hash })
        // The ledger keeps a keyed hash of the caller (the month's key), not the number, nor a
        // plain SHA-256 that anyone could compute from a guess.
        #expect(records[0].callerSHA256 != sha256Hex("+13035550123"))
        #expect(try f.helpline.consentProof(caller: try phone("3035550123")).records.first?.seq == records[0].seq)
    }

    @Test("the ledger refuses UPDATE and DELETE")
    func appendOnly() throws {
        let f = try RoutingFixture()
        _ = try f.helpline.route(to: f.helplineNumber, from: "3035550123")
        #expect(throws: (any Error).self) { try f.helpline.write { try $0.execute(sql: "UPDATE consent_records SET note = 'x'") } }
        #expect(throws: (any Error).self) { try f.helpline.write { try $0.execute(sql: "DELETE FROM consent_records") } }
    }

    @Test("a record edited outside the program is caught, and named")
    func tampering() throws {
        let f = try RoutingFixture()
        for n in 0..<5 { _ = try f.helpline.route(to: f.helplineNumber, from: "303555012\(n)") }
        // Outside the program: another connection drops the guard and edits record 3.
        let outside = try DatabaseQueue(path: f.helpline.path)
        try outside.write { db in
            try db.execute(sql: "DROP TRIGGER consent_records_no_update")
            try db.execute(sql: "UPDATE consent_records SET terms_version = 9 WHERE seq = 3")
        }
        try outside.close()
        let v = try f.helpline.verifyConsent()
        #expect(!v.isIntact)
        #expect(v.firstBadSeq == 3)
    }

    @Test("a deleted record breaks the chain at the gap")
    func deletion() throws {
        let f = try RoutingFixture()
        for n in 0..<4 { _ = try f.helpline.route(to: f.helplineNumber, from: "303555012\(n)") }
        let outside = try DatabaseQueue(path: f.helpline.path)
        try outside.write { db in
            try db.execute(sql: "DROP TRIGGER consent_records_no_delete")
            try db.execute(sql: "DELETE FROM consent_records WHERE seq = 2")
        }
        try outside.close()
        #expect(try f.helpline.verifyConsent().firstBadSeq == 3)
    }

    @Test("revocation is a ledger entry and closes the caller's pending callbacks")
    func revocation() throws {
        let f = try RoutingFixture()
        let cb = try f.helpline.requestCallback(phoneField: "(303) 555-0125")
        let (record, closed) = try f.helpline.revokeConsent(caller: try phone("3035550125"))
        #expect(record.kind == .revocation)
        #expect(closed == [cb.id])
        #expect(try f.helpline.callbacks(pendingOnly: true).isEmpty)
        #expect(try f.helpline.consentProof(caller: try phone("+13035550125")).isRevoked)
        #expect(try f.helpline.verifyConsent().isIntact)
    }
}
