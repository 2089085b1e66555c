import Foundation
import GRDB
import Testing

@testable import HelplineRouting

@Suite("What telephony needs from the library: events by external id, the sweep, SIP URIs, ring timeouts, group commit")
struct TelephonyStoreTests {
    @Test("an offer left ringing past its timeout + 30 s is closed as no-answer, its call queued for a callback, offered to nobody else")
    func sweep() throws {
        let f = try RoutingFixture()
        let r = try f.helpline.route(to: f.helplineNumber, from: "2125550199", externalID: "sip-call-1")
        #expect(try f.helpline.callID(externalID: "sip-call-1") == r.callID)
        #expect(throws: StoreError.self) { try f.helpline.callID(externalID: "nobody") }
        // 20 s ring timeout + 30 s grace: at 49 s nothing moves; at 51 s the call is closed.
        f.clock.advance(seconds: 49)
        #expect(try f.helpline.closeStaleAttempts().isEmpty)
        f.clock.advance(seconds: 2)
        #expect(try f.helpline.closeStaleAttempts() == [r.callID])
        let call = try f.helpline.call(id: r.callID)
        #expect(call.status == .callback && call.attempts.count == 1 && call.attempts.first?.outcome == .noAnswer)
        #expect(try f.count("callbacks") == 1)
        // Nothing is left to sweep, and a late answer for the closed offer is refused.
        #expect(try f.helpline.closeStaleAttempts().isEmpty)
        #expect(throws: RoutingError.self) { try f.helpline.answered(callID: r.callID, attempt: 1) }
    }

    @Test(
        "ringing counts from the totals equal an exact count of the attempts at random instants and at every deadline ±1 ms, before and after retiring"
    )
    func ringingCountsAgree() throws {
        let f = try RoutingFixture()
        try f.clock.set("2026-11-25T12:00:00.000-05:00")
        var rng = SplitMix64(seed: 20_261_201)
        // 90 offers over 3 s (deadlines 20-23 s later); a third answered, which ends their ringing.
        for i in 0..<90 {
            f.clock.advance(seconds: Double(rng.next() % 67) / 1000)
            let r = try f.helpline.route(to: f.helplineNumber, from: "21255501\(String(format: "%02d", i))")
            if rng.next() % 3 == 0 {
                f.clock.advance(seconds: 0.002)
                try f.helpline.answered(callID: r.callID)
            }
        }
        let start = try #require(try? Instant.parse("2026-11-25T12:00:19.500-05:00")).epochMilliseconds
        let checked = try f.helpline.read { db -> Int in
            var nonzero = 0
            // Random instants, and every deadline with the milliseconds either side of it.
            let deadlines = try Int64.fetchAll(db, sql: "SELECT ring_deadline FROM attempts")
            let instants = (0..<400).map { _ in start + Int64(rng.next() % 4500) } + deadlines.flatMap { [$0 - 1, $0, $0 + 1] }
            for ms in instants {
                // latestOffer 0: the table path. Int64.max: every ringing offer read from the attempts.
                let fast = try Helpline.liveCalls(at: ms, latestOffer: 0, maxCallLength: 7200, db: db).filter { $0.value != 0 }
                let exact = try Helpline.liveCalls(at: ms, latestOffer: .max, maxCallLength: 7200, db: db).filter { $0.value != 0 }
                #expect(fast == exact, "at \(ms % 100_000)")
                if !exact.isEmpty { nonzero += 1 }
            }
            return nonzero
        }
        // The property says something only while offers were ringing for much of the window.
        #expect(checked > 200, "\(checked)")
        // Retired through the middle of the window: later instants read the totals, earlier ones
        // (before the horizon) the attempts, and both still agree with the exact count.
        let horizon = start + 2000
        try f.helpline.write { db in
            try Helpline.retireRinging(through: horizon, db: db)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM ringing_deadlines WHERE deadline <= ?", arguments: [horizon]) == 0)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM ringing_deadlines WHERE deadline > ?", arguments: [horizon]) ?? 0 > 0)
            for ms in (0..<400).map({ _ in start + Int64(rng.next() % 4500) }) {
                let fast = try Helpline.liveCalls(at: ms, latestOffer: 0, maxCallLength: 7200, db: db).filter { $0.value != 0 }
                let exact = try Helpline.liveCalls(at: ms, latestOffer: .max, maxCallLength: 7200, db: db).filter { $0.value != 0 }
                #expect(fast == exact, "at \(ms % 100_000) after retiring")
            }
        }
    }

    @Test("concurrency from the ringing totals: exact to the millisecond at the deadline, equal to a recount, repaired by doctor")
    func ringingTable() throws {
        let f = try RoutingFixture(aFields: ["concurrency": "1"], bFields: ["priority": "2"], cFields: ["priority": "2"])
        // 12:00:00.400: A takes the first call; its offer rings until 12:00:20.400.
        try f.clock.set("2026-11-25T12:00:00.400-05:00")
        let first = try f.helpline.route(to: f.helplineNumber, from: "2125550101")
        #expect(first.provider?.id == f.a.id)
        // 1 ms before the deadline A is still busy; at the deadline it is free again.
        try f.clock.set("2026-11-25T12:00:20.399-05:00")
        let second = try f.helpline.route(to: f.helplineNumber, from: "2125550102")
        #expect(second.provider?.id != f.a.id)
        try f.clock.set("2026-11-25T12:00:20.400-05:00")
        #expect(try f.helpline.route(to: f.helplineNumber, from: "2125550103").provider?.id == f.a.id)
        // The first offer rang out at 20.400 and the third route retired it: two ring on.
        let totals = "SELECT coalesce(sum(n), 0) FROM ringing_totals"
        #expect(try f.helpline.read { db in try Int.fetchOne(db, sql: totals) } == 2)
        let now = try #require(try? Instant.parse("2026-11-25T12:00:20.400-05:00")).epochMilliseconds
        #expect(try f.count("attempts WHERE outcome IS NULL AND ended_at IS NULL AND ring_deadline > \(now)") == 2)
        #expect(try f.count("attempts WHERE outcome IS NULL AND ended_at IS NULL") == 3)
        // Events leave the totals as they leave ringing.
        try f.helpline.answered(callID: second.callID)
        #expect(try f.helpline.read { db in try Int.fetchOne(db, sql: totals) } == 1)
        #expect(try f.helpline.doctor().checks.first { $0.name == "ringing counts = recount" }?.ok == true)
        // Edits made with the triggers gone are found and repaired: a deadline row lost, a total changed.
        for edit in ["DELETE FROM ringing_deadlines", "UPDATE ringing_totals SET n = n + 1"] {
            try f.helpline.write { db in
                let trigger = try #require(try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'ringing_totals_delete'"))
                try db.execute(sql: "DROP TRIGGER ringing_totals_delete")
                try db.execute(sql: edit)
                try db.execute(sql: trigger)
            }
            #expect(try f.helpline.doctor().checks.first { $0.name == "ringing counts = recount" }?.ok == false, "\(edit)")
            let repaired = try f.helpline.doctor(repair: true)
            #expect(repaired.repaired.contains("rebuilt the count of offers ringing per provider"))
            #expect(try f.helpline.doctor().checks.allSatisfy(\.ok))
            #expect(try f.helpline.read { db in try Int.fetchOne(db, sql: totals) } == 1)
        }
    }

    @Test(
        "a call still connected 2 hours after its answer (its end event lost) is ended by the sweep at answer + 2 h, marked assumed; purge then redacts it; a late end event records the real time"
    )
    func lostEndEvent() throws {
        // Answered before midnight, swept after it: the day the purge covers is the call's.
        let f = try RoutingFixture(start: "2026-11-24T22:59:55-05:00")
        let r = try f.helpline.route(to: f.helplineNumber, from: "2125550199")
        let provider = try #require(r.provider?.id)
        f.clock.advance(seconds: 5)
        let answeredAt = try #require(try f.helpline.answered(callID: r.callID).answeredAt)
        func live() throws -> Int? {
            let ms = f.clock.now.epochMilliseconds
            return try f.helpline.read { db in try Helpline.liveCalls(at: ms, latestOffer: ms, maxCallLength: 7200, db: db)[provider] }
        }
        let midnight = instant("2026-11-25T00:00:00-05:00")
        // A second short of the maximum call length the call still counts, and a purge keeps it.
        f.clock.advance(seconds: 7199)
        #expect(try live() == 1)
        #expect(try f.helpline.sweep() == Helpline.Sweep(rungOut: [], endAssumed: []))
        let kept = try f.helpline.purge(before: midnight)
        #expect(kept.liveKept == 1 && kept.calls == 0)
        // At the maximum call length it stops counting, and the sweep ends it there.
        f.clock.advance(seconds: 1)
        #expect(try live() == nil)
        #expect(try f.helpline.sweep() == Helpline.Sweep(rungOut: [], endAssumed: [r.callID]))
        let swept = try f.helpline.call(id: r.callID)
        let assumedEnd = answeredAt.addingTimeInterval(7200)
        #expect(swept.status == .ended && swept.endAssumed && swept.endedAt == assumedEnd)
        #expect(swept.attempts.map(\.endedAt) == [assumedEnd])
        // An auditor reading the file alone learns what the mark means.
        let rule = try f.helpline.read { db in try String.fetchOne(db, sql: "SELECT rule FROM audit_rules WHERE topic = 'assumed ends'") }
        #expect(rule?.contains("answered_at plus that length") == true)
        #expect(try f.helpline.sweep() == Helpline.Sweep(rungOut: [], endAssumed: []))
        let purged = try f.helpline.purge(before: midnight)
        #expect(purged.calls == 1 && purged.liveKept == 0)
        #expect(try f.helpline.call(id: r.callID).caller == nil)
        // The end event, 10 minutes late: its time replaces the assumption; a resend changes nothing.
        f.clock.advance(seconds: 600)
        let late = try f.helpline.ended(callID: r.callID)
        #expect(!late.endAssumed && late.endedAt == f.clock.now && late.attempts.map(\.endedAt) == [f.clock.now])
        f.clock.advance(seconds: 60)
        #expect(try f.helpline.ended(callID: r.callID) == late)
    }

    @Test(
        "the maximum call length is the database's: every handle counts and sweeps by it, a running one takes a change at its next sweep, an option outranks it, and out of range is refused"
    )
    func maxCallLengthSetting() throws {
        let f = try RoutingFixture()
        #expect(f.helpline.maxCallLength == Helpline.defaultMaxCallLength && f.helpline.storedMaxCallLength == nil)
        // Another process (a second handle on the file) stores 3 hours; this one learns it at its sweep.
        var options = Helpline.Options()
        options.now = { f.clock.now }
        let other = try Helpline(path: f.helpline.path, options: options)
        try other.setMaxCallLength(3 * 3600)
        for refused in [299.0, 86_401, -1] {
            #expect(throws: InputError.self) { try other.setMaxCallLength(refused) }
        }
        #expect(other.maxCallLength == 3 * 3600)
        let r = try f.helpline.route(to: f.helplineNumber, from: "2125550199")
        try f.helpline.answered(callID: r.callID)
        f.clock.advance(seconds: 2 * 3600)
        #expect(try f.helpline.sweep().endAssumed.isEmpty)
        #expect(f.helpline.maxCallLength == 3 * 3600)
        // A handle opened now reads it at once.
        #expect(try Helpline(path: f.helpline.path, options: options).storedMaxCallLength == 3 * 3600)
        // An option set for one process outranks the database.
        options.maxCallLength = 2 * 3600
        let overriding = try Helpline(path: f.helpline.path, options: options)
        #expect(overriding.maxCallLength == 2 * 3600 && overriding.storedMaxCallLength == 3 * 3600)
        f.clock.advance(seconds: 3600)
        #expect(try f.helpline.sweep().endAssumed == [r.callID])
        let ended = try f.helpline.call(id: r.callID)
        #expect(ended.endAssumed && ended.endedAt == ended.answeredAt?.addingTimeInterval(3 * 3600))
        // A value edited out of range by hand is ignored: the default applies.
        try f.helpline.write { db in try db.execute(sql: "UPDATE settings SET value = '5' WHERE key = 'max_call_length_s'") }
        _ = try f.helpline.sweep()
        #expect(f.helpline.maxCallLength == Helpline.defaultMaxCallLength)
    }

    @Test("a sweep ends only a call connected through the stale attempt; one edited into another state keeps it, its attempt closed")
    func sweepLeavesEditedCalls() throws {
        let f = try RoutingFixture()
        let r = try f.helpline.route(to: f.helplineNumber, from: "2125550199")
        try f.helpline.answered(callID: r.callID)
        try f.helpline.write { db in try db.execute(sql: "UPDATE calls SET status = 'callback' WHERE id = ?", arguments: [r.callID]) }
        f.clock.advance(seconds: 7200)
        #expect(try f.helpline.endUnheardCalls().isEmpty)
        let call = try f.helpline.call(id: r.callID)
        #expect(call.status == .callback && !call.endAssumed && call.attempts.first?.endedAt != nil)
        // A stale attempt with a value edited to text is an error naming it, not a trap in decoding.
        let other = try f.helpline.route(to: f.helplineNumber, from: "2125550198")
        try f.helpline.answered(callID: other.callID)
        try f.helpline.write { db in try db.execute(sql: "UPDATE attempts SET seq = 'one' WHERE call_id = ?", arguments: [other.callID]) }
        f.clock.advance(seconds: 7200)
        #expect(throws: StoreError.self) { try f.helpline.endUnheardCalls() }
    }

    @Test("helpline sweep from cron prints the calls it closed")
    func sweepCommand() throws {
        let dir = try TempDir()
        let db = try CLI.seededDatabase(dir)
        let route = try CLI.run(["route", "--to", "8009151270", "--from", "2125550199", "--at", "2026-11-25T12:00:00-05:00"], db: db)
        #expect(route.status == 0)
        let early = try CLI.run(["sweep", "--at", "2026-11-25T12:00:40-05:00"], db: db)
        #expect(early.status == 0 && early.stdout.isEmpty)
        let late = try CLI.run(["sweep", "--at", "2026-11-25T12:01:00-05:00", "--json"], db: db)
        #expect(late.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(late.stdout.utf8)) as? [String: [String]])
        #expect(json == ["closed_calls": ["1"], "ended_calls": []])
        // A second call is answered and its end event never comes: 2 hours on, the sweep ends it.
        let second = try CLI.run(["route", "--to", "8009151270", "--from", "2125550198", "--at", "2026-11-25T12:05:00-05:00"], db: db)
        #expect(second.status == 0)
        #expect(try CLI.run(["call", "answered", "2", "--at", "2026-11-25T12:05:10-05:00"], db: db).status == 0)
        let notYet = try CLI.run(["sweep", "--at", "2026-11-25T14:05:09-05:00"], db: db)
        #expect(notYet.status == 0 && notYet.stdout.isEmpty)
        let ends = try CLI.run(["sweep", "--at", "2026-11-25T14:05:10-05:00"], db: db)
        #expect(ends.status == 0 && ends.stdout == "2\n")
        let show = try CLI.run(["call", "show", "2"], db: db)
        #expect(show.status == 0 && show.stdout.contains("(assumed: no end event came within the maximum call length)"))
        #expect(show.stdout.contains("status:       ended"))
        // With 3 hours stored, a third call answered and unheard for 2 hours is not ended; at 3 it is.
        let set = try CLI.run(["settings", "--max-call-length", "10800", "--json"], db: db)
        let shown = try #require(try JSONSerialization.jsonObject(with: Data(set.stdout.utf8)) as? [String: Any])
        #expect(set.status == 0 && shown["max_call_length_s"] as? Int == 10800 && shown["effective_max_call_length_s"] as? Int == 10800)
        let refused = try CLI.run(["settings", "--max-call-length", "60"], db: db)
        #expect(refused.status == 65 && refused.stderr.contains("max-call-length"))
        #expect(try CLI.run(["route", "--to", "8009151270", "--from", "2125550197", "--at", "2026-11-25T15:00:00-05:00"], db: db).status == 0)
        #expect(try CLI.run(["call", "answered", "3", "--at", "2026-11-25T15:00:00-05:00"], db: db).status == 0)
        #expect(try CLI.run(["sweep", "--at", "2026-11-25T17:00:00-05:00"], db: db).stdout.isEmpty)
        #expect(try CLI.run(["sweep", "--at", "2026-11-25T18:00:00-05:00"], db: db).stdout == "3\n")
    }

    @Test("a SIP URI is the destination; a listing's ring timeout is its calls' timeout; both are validated and in the history")
    func destinations() throws {
        let f = try RoutingFixture(
            aFields: ["sip_uri": "sips:intake@pbx.example.org"], bFields: ["priority": "2"], cFields: ["priority": "2"])
        let pool = try f.helpline.route(to: f.helplineNumber, from: "2125550199")
        #expect(pool.provider?.destination == "sips:intake@pbx.example.org" && pool.provider?.ringTimeoutSeconds == 20)
        let listing = try #require(try f.helpline.listings().first)
        try f.helpline.updateListing(id: listing.id, ringTimeout: 45)
        let direct = try f.helpline.route(to: f.listingNumber, from: "2125550198")
        #expect(direct.provider?.ringTimeoutSeconds == 45)
        #expect(try f.helpline.routeResult(callID: direct.callID).provider?.ringTimeoutSeconds == 45)
        #expect(throws: InputError.self) { try f.helpline.updateListing(id: listing.id, ringTimeout: 0) }
        var settings = f.a.settings
        for bad in ["http://x", "sip:", "sip:a b@c", "tel:+18005550100"] {
            #expect(throws: InputError.self, "\(bad)") { try ProviderFields(["sip_uri": bad]).apply(to: &settings) }
        }
        let history = try f.helpline.read { db in
            try String.fetchAll(db, sql: "SELECT state FROM config_changes WHERE entity IN ('provider', 'listing') ORDER BY seq")
        }
        #expect(history.contains { $0.contains("sips:intake@pbx.example.org") })
        #expect(history.contains { $0.contains("\"ring_timeout_s\":45") })
    }

    @Test(
        "the durability asked for is the writer's, with a pool (GRDB sets WAL pools to NORMAL) and with one connection",
        arguments: [(Helpline.Durability.full, 2), (.normal, 1)], [false, true])
    func durabilityReachesTheWriter(durability: (Helpline.Durability, Int), singleConnection: Bool) throws {
        let dir = try TempDir()
        var options = Helpline.Options()
        options.groupCommit = !singleConnection
        options.singleConnection = singleConnection
        options.backgroundCheckpoint = !singleConnection
        options.durability = durability.0
        let h = try Helpline(path: dir.path("d.sqlite"), options: options)
        // 2 is FULL (every commit synced), 1 NORMAL.
        #expect(try h.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") } == durability.1)
    }

    @Test("group commit: 8 threads route 400 calls, every one stored once with its own consent record; a failing call costs only itself")
    func groupCommit() throws {
        let dir = try TempDir()
        let h = try Self.groupCommitHelpline(dir.path("g.sqlite"))
        let failures = Locked(0)
        let ids = Locked<[Int64]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for i in 0..<50 {
                do {
                    // Every tenth call names a time far in the future: refused, alone.
                    let at: Date? = i % 10 == 9 ? Date().addingTimeInterval(3600) : nil
                    let r = try h.route(to: "8009151270", from: "2125550\(100 + worker)", at: at, externalID: "w\(worker)-\(i)")
                    ids.withLock { $0.append(r.callID) }
                } catch {
                    failures.withLock { $0 += 1 }
                }
            }
        }
        #expect(failures.withLock { $0 } == 40)
        let stored = ids.withLock { $0 }
        #expect(stored.count == 360 && Set(stored).count == 360)
        let counts = try h.read { db in
            (
                try Int.fetchOne(db, sql: "SELECT count(*) FROM calls") ?? -1,
                try Int.fetchOne(db, sql: "SELECT count(*) FROM consent_records") ?? -1,
                try Int.fetchOne(db, sql: "SELECT count(*) FROM routing_decisions") ?? -1
            )
        }
        #expect(counts == (360, 360, 360))
        #expect(try h.verifyConsent().isIntact)
        #expect(try h.doctor().checks.allSatisfy(\.ok))
    }

    @Test("group commit: a body that throws after writing leaves nothing, and the calls batched with it are all stored")
    func groupCommitBodyFailsAfterWriting() throws {
        struct Refused: Error, Equatable { let n: Int }
        let dir = try TempDir()
        let h = try Self.groupCommitHelpline(dir.path("f.sqlite"))
        let refused = Locked<[Int]>([])
        let routed = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for i in 0..<40 {
                let n = worker * 100 + i
                if i % 4 == 3 {
                    // Writes a row, then fails: only its own savepoint may roll back.
                    do {
                        try h.write { db in
                            try db.execute(sql: "INSERT INTO settings (key, value, updated_at) VALUES (?, 'x', 0)", arguments: ["junk-\(n)"])
                            throw Refused(n: n)
                        }
                    } catch {
                        // Its own error (the store wraps what isn't a HelplineError), not the batch's.
                        if "\(error)".contains("\(Refused(n: n))") {
                            refused.withLock { $0.append(n) }
                        } else {
                            Issue.record("a failing body got \(String(reflecting: error)), not its own error")
                        }
                    }
                } else if (try? h.route(to: "8009151270", from: "2125551\(String(format: "%03d", n))")) != nil {
                    routed.withLock { $0 += 1 }
                }
            }
        }
        #expect(refused.withLock { $0.count } == 80 && Set(refused.withLock { $0 }).count == 80)
        #expect(routed.withLock { $0 } == 240)
        #expect(try h.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM settings WHERE key LIKE 'junk-%'") } == 0)
        #expect(try h.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM calls") } == 240)
        #expect(try h.verifyConsent().isIntact)
        #expect(try h.doctor().checks.allSatisfy(\.ok))
    }

    /// A group-commit library with three providers in New York behind 800-915-1270.
    static func groupCommitHelpline(_ path: String) throws -> Helpline {
        var options = Helpline.Options()
        options.groupCommit = true
        options.defaultTimeZone = try TimeZone(iana: "America/New_York")
        let h = try Helpline(path: path, options: options)
        for n in 1...3 { try h.addProvider(fields: ProviderFields(["name": "P\(n)", "phone": "30355501\(n)0"])) }
        try h.addHelplineNumber(try phone("8009151270"))
        return h
    }

    /// The database file's size after routing 40 calls, and whether every WAL page reached it.
    static func routeAndWatchTheFile(backgroundCheckpoint: Bool) throws -> (grew: Bool, before: Int, after: Int) {
        let dir = try TempDir()
        var options = Helpline.Options()
        options.groupCommit = true
        options.backgroundCheckpoint = backgroundCheckpoint
        options.defaultTimeZone = try TimeZone(iana: "America/New_York")
        let path = dir.path("c.sqlite")
        let h = try Helpline(path: path, options: options)
        for n in 1...3 { try h.addProvider(fields: ProviderFields(["name": "P\(n)", "phone": "30355501\(n)0"])) }
        try h.addHelplineNumber(try phone("8009151270"))
        // Settle: with the option on, what setup wrote is copied in before the count starts.
        Thread.sleep(forTimeInterval: 0.3)
        func size() -> Int { ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? Int) ?? -1 }
        let before = size()
        // 40 calls are a few hundred WAL pages: under SQLite's own 1,000-page threshold.
        for i in 0..<40 { _ = try h.route(to: "8009151270", from: "21255501\(10 + i)") }
        var after = size()
        let deadline = Date().addingTimeInterval(1)
        while after == before, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
            after = size()
        }
        return (after > before, before, after)
    }

    @Test("background checkpoint: the WAL reaches the database file without a commit crossing SQLite's threshold")
    func backgroundCheckpoint() throws {
        let on = try Self.routeAndWatchTheFile(backgroundCheckpoint: true)
        #expect(on.grew, "\(on)")
        // Without it, those pages wait in the WAL for the 1,000-page checkpoint.
        let off = try Self.routeAndWatchTheFile(backgroundCheckpoint: false)
        #expect(!off.grew, "\(off)")
    }
}
