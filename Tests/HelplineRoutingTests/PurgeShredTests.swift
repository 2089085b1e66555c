import Crypto
import Foundation
import GRDB
import Testing

@testable import HelplineRouting

/// The purge can't be undone by hashing guesses, never touches live calls, refuses the future,
/// and fails when it can't prove the numbers left the file.
@Suite("Purge: crypto-shredding and its limits")
struct PurgeShredTests {
    @Test("a purged month's key is shredded: its callers can't be confirmed by hashing any guess, and the chain verifies")
    func shreddedMonthCantBeReidentified() throws {
        let f = try RoutingFixture(start: "2026-10-20T12:00:00-04:00")
        let callers = ["2125550401", "2125550402", "2125550403"]
        for c in callers {
            let r = try f.helpline.route(to: f.helplineNumber, from: c)
            try f.helpline.answered(callID: r.callID)
            try f.helpline.ended(callID: r.callID)
        }
        try f.clock.set("2026-11-20T12:00:00-05:00")
        let before = try f.helpline.read { db in try String.fetchAll(db, sql: "SELECT caller_sha256 FROM calls ORDER BY id") }
        let result = try f.helpline.purge(before: instant("2026-11-01T00:00:00Z"))
        #expect(result.calls == 3)
        #expect(result.shreddedPeriods == [202_610])
        // The hashes stay (the chain covers them) ...
        #expect(try f.helpline.read { db in try String.fetchAll(db, sql: "SELECT caller_sha256 FROM calls ORDER BY id") } == before)
        #expect(try f.helpline.verifyConsent().isIntact)
        #expect(try f.helpline.doctor().isClean)
        // ... but no guess confirms them: not a plain SHA-256, nor any key left in the file.
        let keys = try f.helpline.read { db in try Data.fetchAll(db, sql: "SELECT key FROM caller_keys") }
        for c in callers {
            let e164 = "+1" + c
            #expect(!before.contains(sha256Hex(e164)))
            for key in keys { #expect(!before.contains(CallerKeys.hmac(e164, key: key))) }
            #expect(try f.helpline.consentProof(caller: try phone(c)).records.isEmpty)
        }
        let purges = try f.helpline.read { db in try String.fetchOne(db, sql: "SELECT shredded_periods FROM purges") }
        #expect(purges == "202610")
    }

    @Test("a shredded month's key leaves a running process's memory: at once after its own purge, at the next route after another's")
    func shreddedKeyLeavesMemory() throws {
        let f = try RoutingFixture(start: "2026-10-20T12:00:00-04:00")
        let first = try f.helpline.route(to: f.helplineNumber, from: "2125550431")
        try f.helpline.answered(callID: first.callID)
        try f.helpline.ended(callID: first.callID)
        // A November route hashes under November's key and probes October's (its repeat window).
        try f.clock.set("2026-11-10T12:00:00-05:00")
        _ = try f.helpline.route(to: f.helplineNumber, from: "2125550432")
        func key(_ period: Int) throws -> Data? {
            try f.helpline.read { db in try Data.fetchOne(db, sql: "SELECT key FROM caller_keys WHERE period = ?", arguments: [period]) }
        }
        let october = try #require(try key(202_610))
        #expect(f.helpline.preparedKeys.keys.contains(october))
        // Another process (the CLI, on the real clock) purges October: the key leaves the file,
        // and this process's next route over October's days forgets it.
        let purge = try CLI.run(["purge", "--before", "2026-11-01"], db: f.helpline.path)
        #expect(purge.status == 0)
        #expect(try key(202_610) == nil)
        #expect(f.helpline.preparedKeys.keys.contains(october))
        _ = try f.helpline.route(to: f.helplineNumber, from: "2125550433")
        #expect(!f.helpline.preparedKeys.keys.contains(october))
        // Its own purge forgets at once: November's key, prepared by the routes above.
        let november = try #require(try key(202_611))
        #expect(f.helpline.preparedKeys.keys.contains(november))
        try f.clock.set("2026-12-10T12:00:00-05:00")
        _ = try f.helpline.purge(before: instant("2026-12-01T00:00:00-05:00"))
        #expect(try key(202_611) == nil)
        #expect(!f.helpline.preparedKeys.keys.contains(november))
    }

    @Test("a --before later than the end of yesterday is refused (65), and nothing changes")
    func futureBeforeRefused() throws {
        let f = try RoutingFixture()
        _ = try f.helpline.route(to: f.helplineNumber, from: "2125550411")
        #expect(throws: InputError.self) { try f.helpline.purge(before: instant("2099-01-01T00:00:00Z")) }
        #expect(throws: InputError.self) { try f.helpline.purge(before: f.clock.now) }
        let r = try CLI.run(["purge", "--before", "2099-01-01"], db: f.helpline.path)
        #expect(r.status == 65)
        #expect(try f.helpline.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM calls WHERE caller = ''") } == 0)
    }

    @Test("calls still ringing or connected keep their numbers, and their events still work")
    func liveCallsUntouched() throws {
        let f = try RoutingFixture(start: "2026-11-20T23:59:00-05:00")
        let ringing = try f.helpline.route(to: f.helplineNumber, from: "2125550421")
        let listing = try f.helpline.route(to: f.listingNumber, from: "2125550422")
        try f.clock.set("2026-11-21T00:30:00-05:00")
        let result = try f.helpline.purge(before: instant("2026-11-21T00:00:00-05:00"))
        #expect(result.liveKept == 2)
        #expect(result.calls == 0)
        #expect(try f.helpline.noAnswer(callID: ringing.callID, attempt: 1).provider != nil)
        let callback = try f.helpline.noAnswer(callID: listing.callID, attempt: 1)
        #expect(callback.outcome == .callback)
        let owed = try #require(try f.helpline.callbacks(pendingOnly: true).first { $0.id == callback.callbackID })
        #expect(owed.phone?.e164 == "+12125550422")
    }

    @Test("a reader holding an old snapshot makes the purge fail loudly (74), not report success")
    func heldReaderFailsLoudly() throws {
        let dir = try TempDir()
        let db = try CLI.seededDatabase(dir)
        let r = try CLI.run(["route", "--to", "8009151270", "--from", "2125550431", "--at", "2026-01-05T12:00:00Z"], db: db)
        #expect(r.status == 0)
        #expect(try CLI.run(["call", "answered", "1", "--at", "2026-01-05T12:00:10Z"], db: db).status == 0)
        #expect(try CLI.run(["call", "ended", "1", "--at", "2026-01-05T12:01:00Z"], db: db).status == 0)
        // Another process reads inside one transaction for ~3 s, pinning the WAL.
        let holder = try CLI.holdTransaction(db, "BEGIN; SELECT count(*) FROM calls")
        let purge = try CLI.run(["purge", "--before", "2026-02-01", "--busy-timeout", "0.5"], db: db)
        holder.waitUntilExit()
        #expect(purge.status == 74, "\(purge.stdout)\(purge.stderr)")
        #expect(purge.stderr.hasPrefix("error: purge of "))
        // Once the reader is gone, running it again completes and proves the number is gone.
        let again = try CLI.run(["purge", "--before", "2026-02-01"], db: db)
        #expect(again.status == 0, "\(again.stderr)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: db))
        #expect(bytes.range(of: Data("+12125550431".utf8)) == nil)
    }
}
