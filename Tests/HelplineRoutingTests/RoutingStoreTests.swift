import Foundation
import GRDB
import Testing

@testable import HelplineRouting

@Suite("Routing through the store")
struct RoutingStoreTests {
    @Test("route, no-answer to the fallback, answered, ended: each event idempotent")
    func lifecycle() throws {
        let f = try RoutingFixture()
        let first = try f.helpline.route(to: f.helplineNumber, from: "(303) 555-0123")
        #expect(first.outcome == .offer)
        #expect(first.kind == .pool)
        #expect(first.attempt == 1)
        #expect(first.provider?.id == f.a.id)  // weight 2 of 4 goes first
        #expect(first.fallbacks.count == 2)
        #expect(first.consent?.termsVersion == 1)
        #expect(first.candidates.map(\.share) == [0.5, 0.25, 0.25])

        f.clock.advance(seconds: 20)
        let next = try f.helpline.noAnswer(callID: first.callID, attempt: 1)
        #expect(next.outcome == .offer)
        #expect(next.attempt == 2)
        #expect(next.provider?.id == first.fallbacks[0])
        // The same event resent: the same answer, nothing new written.
        let attemptsBefore = try f.count("attempts")
        var again = try f.helpline.noAnswer(callID: first.callID, attempt: 1)
        #expect(again.repeated)
        again.repeated = false
        #expect(again == next)
        #expect(try f.count("attempts") == attemptsBefore)

        f.clock.advance(seconds: 5)
        let answered = try f.helpline.answered(callID: first.callID)
        #expect(answered.status == .connected)
        #expect(answered.answeredProviderID == next.provider?.id)
        #expect(try f.helpline.answered(callID: first.callID) == answered)
        // Contradictions are refused.
        #expect(throws: RoutingError.self) { try f.helpline.noAnswer(callID: first.callID) }
        #expect(throws: RoutingError.self) { try f.helpline.noAnswer(callID: first.callID, attempt: 2) }

        f.clock.advance(seconds: 300)
        let ended = try f.helpline.ended(callID: first.callID)
        #expect(ended.status == .ended)
        #expect(try f.helpline.ended(callID: first.callID) == ended)
        #expect(ended.attempts.map(\.outcome) == [.noAnswer, .answered])
        #expect(throws: StoreError.notFound(kind: "call", id: "999")) { try f.helpline.answered(callID: 999) }
    }

    @Test("when the fallbacks run out a callback is queued, and can be returned once")
    func fallbacksRunOut() throws {
        let f = try RoutingFixture()
        let r = try f.helpline.route(to: f.helplineNumber, from: "3035550123")
        var last = r
        for attempt in 1...3 {
            f.clock.advance(seconds: 20)
            last = try f.helpline.noAnswer(callID: r.callID, attempt: attempt)
        }
        #expect(last.outcome == .callback)
        #expect(last.callbackReason == .noAnswer)
        let callbackID = try #require(last.callbackID)
        #expect(try f.helpline.callbacks(pendingOnly: true).map(\.id) == [callbackID])
        #expect(try f.helpline.call(id: r.callID).status == .callback)
        #expect(throws: RoutingError.self) { try f.helpline.answered(callID: r.callID) }
        let done = try f.helpline.completeCallback(id: callbackID, providerID: f.b.id)
        #expect(done.status == .returned && done.returnedBy == f.b.id)
        #expect(try f.helpline.completeCallback(id: callbackID, providerID: f.b.id) == done)
        #expect(throws: RoutingError.self) { try f.helpline.completeCallback(id: callbackID, providerID: f.c.id) }
        #expect(throws: RoutingError.self) { try f.helpline.abandonCallback(id: callbackID) }
        #expect(try f.helpline.callbacks(pendingOnly: true).isEmpty)
    }

    @Test("max attempts stops failover early")
    func maxAttempts() throws {
        let f = try RoutingFixture()
        try f.helpline.updateHelplineNumber(try phone(f.helplineNumber), settings: HelplineSettings(maxAttempts: 2))
        let r = try f.helpline.route(to: f.helplineNumber, from: "3035550123")
        #expect(r.fallbacks.count == 1)
        _ = try f.helpline.noAnswer(callID: r.callID)
        #expect(try f.helpline.noAnswer(callID: r.callID).outcome == .callback)
        #expect(try f.count("attempts") == 2)
    }

    @Test("a listing call goes to its paused provider and never to another; its callback is owed by it")
    func listingCalls() throws {
        let f = try RoutingFixture(aFields: ["hours": "sat 10:00-11:00", "daily_cap": "0"])
        try f.helpline.pauseProvider(id: f.a.id)
        let r = try f.helpline.route(to: f.listingNumber, from: "3035550123")
        #expect(r.kind == .direct)
        #expect(r.provider?.id == f.a.id)
        #expect(r.fallbacks.isEmpty)
        let next = try f.helpline.noAnswer(callID: r.callID)
        #expect(next.outcome == .callback)
        let callback = try f.helpline.callbacks().first { $0.callID == r.callID }
        #expect(callback?.owedBy == f.a.id)
        #expect(throws: RoutingError.callbackOwedByAnother(id: try #require(callback?.id), owedBy: f.a.id)) {
            try f.helpline.completeCallback(id: try #require(callback?.id), providerID: f.b.id)
        }
        let reroutes = try f.helpline.read { db in
            try Int.fetchOne(
                db,
                sql: """
                    SELECT count(*) FROM attempts JOIN calls ON calls.id = attempts.call_id JOIN listings ON listings.id = calls.listing_id
                    WHERE calls.kind = 'direct' AND attempts.provider_id != listings.provider_id
                    """)
        }
        #expect(reroutes == 0)
    }

    @Test("an unknown dialed number is logged as unroutable and reported")
    func unroutable() throws {
        let f = try RoutingFixture()
        let error = try #require(throws: RoutingError.self) { try f.helpline.route(to: "8005550100", from: "3035550123") }
        guard case .unroutable(let dialed, let callID) = error else {
            Issue.record("expected unroutable, got \(error)")
            return
        }
        #expect(dialed == "+18005550100")
        let call = try f.helpline.call(id: callID)
        #expect(call.kind == .unroutable && call.status == .unroutable)
        #expect(try f.count("consent_records") == 0)
        // A malformed caller ID is still routed and logged (as withheld).
        #expect(try f.helpline.route(to: f.helplineNumber, from: "911").outcome == .offer)
    }

    @Test("no eligible provider queues a callback with the reason; consent is still recorded")
    func noEligible() throws {
        let f = try RoutingFixture()
        for p in [f.a, f.b, f.c] { try f.helpline.pauseProvider(id: p.id) }
        let r = try f.helpline.route(to: f.helplineNumber, from: "3035550123")
        #expect(r.outcome == .callback)
        #expect(r.callbackReason == .noEligibleProvider)
        #expect(r.provider == nil)
        #expect(r.candidates.allSatisfy { $0.reason == .paused })
        #expect(r.consent != nil)
    }

    @Test("a daily cap counts offers in the provider's own zone and resets at its midnight")
    func dailyCapInProviderZone() throws {
        // B is in Denver with a daily cap of 2; A and C are paused, so B is the only option.
        let f = try RoutingFixture(start: "2026-11-30T23:00:00-07:00", bFields: ["tz": "America/Denver", "daily_cap": "2"])
        try f.helpline.pauseProvider(id: f.a.id)
        try f.helpline.pauseProvider(id: f.c.id)
        func route() throws -> RouteResult { try f.helpline.route(to: f.helplineNumber, from: "3035550123") }
        #expect(try route().provider?.id == f.b.id)
        #expect(try route().provider?.id == f.b.id)
        let third = try route()
        #expect(third.outcome == .callback)
        #expect(third.candidates.first { $0.providerID == f.b.id }?.reason == .dailyCap)
        // 00:30 in Denver is a new day (and a new month) there, though it is 02:30 in New York.
        try f.clock.set("2026-12-01T00:30:00-07:00")
        #expect(try route().provider?.id == f.b.id)
        let live = try f.helpline.read { db in
            try Row.fetchOne(
                db, sql: "SELECT hour_key, hour_offered, day_key, day_offered, month_key, month_offered FROM provider_live WHERE provider_id = ?",
                arguments: [f.b.id]
            ).map { row in (0..<6).map { i in row[i] as Int } }
        }
        #expect(live == [2026120100, 1, 20261201, 1, 202612, 1])
        // The report for Nov 30 counts B's two offers against its cap, in Denver's day.
        let report = try f.helpline.dailyReport(for: try LocalDate(parsing: "2026-11-30"), in: Fixture.denver)
        #expect(report.providers.first { $0.id == f.b.id }?.dailyCapUsed == 2)
    }

    @Test("concurrency counts ringing and connected offers; a lost event stops counting after the timeouts")
    func concurrencyAndTimeouts() throws {
        let f = try RoutingFixture(aFields: ["concurrency": "1"])
        try f.helpline.pauseProvider(id: f.b.id)
        try f.helpline.pauseProvider(id: f.c.id)
        let first = try f.helpline.route(to: f.helplineNumber, from: "3035550123")
        #expect(first.provider?.id == f.a.id)
        #expect(try f.helpline.route(to: f.helplineNumber, from: "3035550124").candidates.first?.reason == .concurrency)
        // The first offer rings past its 20 s timeout with no event: it stops counting.
        f.clock.advance(seconds: 21)
        let second = try f.helpline.route(to: f.helplineNumber, from: "3035550125")
        #expect(second.provider?.id == f.a.id)
        try f.helpline.answered(callID: second.callID)
        f.clock.advance(seconds: 600)
        #expect(try f.helpline.route(to: f.helplineNumber, from: "3035550126").candidates.first?.reason == .concurrency)
        // Connected with no end event: it stops counting after the maximum call length (2 h).
        f.clock.advance(seconds: 2 * 3600)
        #expect(try f.helpline.route(to: f.helplineNumber, from: "3035550127").provider?.id == f.a.id)
    }

    @Test("auto-pause after N unanswered offers in a row is logged, and resume lifts it")
    func autoPause() throws {
        let f = try RoutingFixture(aFields: ["auto_pause_after": "2"])
        try f.helpline.pauseProvider(id: f.b.id)
        try f.helpline.pauseProvider(id: f.c.id)
        for n in 0..<2 {
            let r = try f.helpline.route(to: f.helplineNumber, from: "303555012\(n)")
            #expect(r.provider?.id == f.a.id)
            _ = try f.helpline.noAnswer(callID: r.callID)
        }
        #expect(try f.helpline.provider(id: f.a.id).status == .paused)
        #expect(try f.helpline.providerEvents(providerID: f.a.id).last?.event == "auto-paused")
        #expect(try f.helpline.route(to: f.helplineNumber, from: "3035550129").outcome == .callback)
        try f.helpline.resumeProvider(id: f.a.id)
        // The run restarts: one more miss does not pause it again.
        let r = try f.helpline.route(to: f.helplineNumber, from: "3035550130")
        _ = try f.helpline.noAnswer(callID: r.callID)
        #expect(try f.helpline.provider(id: f.a.id).status == .active)
        // A busy signal counts; a telephony failure does not.
        let r2 = try f.helpline.route(to: f.helplineNumber, from: "3035550131")
        _ = try f.helpline.noAnswer(callID: r2.callID, failure: .failed)
        #expect(try f.helpline.provider(id: f.a.id).status == .active)
    }

    @Test("a repeat caller within the window goes back to the provider they reached")
    func repeatCaller() throws {
        let f = try RoutingFixture()
        let first = try f.helpline.route(to: f.helplineNumber, from: "3035550123")
        try f.helpline.answered(callID: first.callID)
        try f.helpline.ended(callID: first.callID)
        f.clock.advance(seconds: 86_400 * 3)
        let again = try f.helpline.route(to: f.helplineNumber, from: "(303) 555-0123")
        #expect(again.sticky)
        #expect(again.provider?.id == first.provider?.id)
        // Outside the 30-day window it is a new caller.
        f.clock.advance(seconds: 86_400 * 31)
        #expect(try !f.helpline.route(to: f.helplineNumber, from: "3035550123").sticky)
    }

    @Test("a repeat caller across a month boundary goes back to the provider of their latest answered call, whichever key hashed it")
    func repeatCallerAcrossKeys() throws {
        let f = try RoutingFixture(start: "2026-11-29T12:00:00-05:00")
        let first = try f.helpline.route(to: f.helplineNumber, from: "3035550123")
        let firstProvider = try #require(first.provider?.id)
        try f.helpline.answered(callID: first.callID)
        try f.helpline.ended(callID: first.callID)
        // December: a new month's key. The first provider is away, so another one answers.
        f.clock.advance(seconds: 86_400 * 3)
        _ = try f.helpline.pauseProvider(id: firstProvider)
        let second = try f.helpline.route(to: f.helplineNumber, from: "3035550123")
        let secondProvider = try #require(second.provider?.id)
        #expect(secondProvider != firstProvider)
        try f.helpline.answered(callID: second.callID)
        try f.helpline.ended(callID: second.callID)
        _ = try f.helpline.resumeProvider(id: firstProvider)
        // Both calls are in the window, under two keys: the later one decides.
        f.clock.advance(seconds: 3600)
        let third = try f.helpline.route(to: f.helplineNumber, from: "3035550123")
        #expect(third.sticky)
        #expect(third.provider?.id == secondProvider)
        // The latest answered call decides alone: with its provider away the caller is not sent
        // back to an older one, but routed as anyone is.
        _ = try f.helpline.pauseProvider(id: secondProvider)
        try f.helpline.noAnswer(callID: third.callID)
        let fourth = try f.helpline.route(to: f.helplineNumber, from: "3035550123")
        #expect(!fourth.sticky)
        #expect(fourth.provider?.id != secondProvider)
    }

    @Test("caller state comes from telephony, else the area code")
    func callerState() throws {
        let f = try RoutingFixture(bFields: ["states": "NY"])
        let fromDenver = try f.helpline.route(to: f.helplineNumber, from: "3035550123")
        #expect(fromDenver.candidates.first { $0.providerID == f.b.id }?.reason == .stateNotServed)
        let told = try f.helpline.route(to: f.helplineNumber, from: "3035550124", callerState: "NY")
        #expect(told.candidates.first { $0.providerID == f.b.id }?.isEligible == true)
        #expect(try f.helpline.call(id: told.callID).callerStateSource == "telephony")
        #expect(try f.helpline.call(id: fromDenver.callID).callerState == "CO")
    }

    @Test("an external id makes a resent route return the first answer")
    func externalID() throws {
        let f = try RoutingFixture()
        let a = try f.helpline.route(to: f.helplineNumber, from: "3035550123", externalID: "CA123")
        let b = try f.helpline.route(to: f.helplineNumber, from: "3035550123", externalID: "CA123")
        #expect(a.callID == b.callID && a.provider == b.provider)
        #expect(try f.count("calls") == 1)
    }

    @Test("each route is one transaction: a failure after the decision leaves no row behind")
    func atomicRoute() throws {
        let f = try RoutingFixture()
        _ = try f.helpline.route(to: f.helplineNumber, from: "3035550100")
        let tables = [
            "calls", "attempts", "routing_decisions", "decision_inputs", "provider_live", "strategy_state", "consent_records", "callbacks",
        ]
        func snapshot() throws -> [String] {
            try tables.map { table in
                try f.helpline.read { db in
                    "\(table):" + (try Row.fetchAll(db, sql: "SELECT * FROM \(table)").map { $0.description }.joined(separator: ";"))
                }
            }
        }
        let before = try snapshot()
        // The consent record is the last write of a route; make it fail.
        try f.helpline.write { db in
            try db.execute(sql: "CREATE TRIGGER inject_failure BEFORE INSERT ON consent_records BEGIN SELECT RAISE(ABORT, 'injected'); END")
        }
        #expect(throws: StoreError.self) { try f.helpline.route(to: f.helplineNumber, from: "3035550123") }
        #expect(try snapshot() == before)
        try f.helpline.write { db in try db.execute(sql: "DROP TRIGGER inject_failure") }
        #expect(try f.helpline.route(to: f.helplineNumber, from: "3035550123").outcome == .offer)
    }

    @Test("without published terms calls are routed and the record says so")
    func noTerms() throws {
        let f = try RoutingFixture(terms: false)
        let r = try f.helpline.route(to: f.helplineNumber, from: "3035550123")
        #expect(r.outcome == .offer)
        #expect(r.consent?.termsVersion == nil)
        #expect(!r.warnings.isEmpty)
        let proof = try f.helpline.consentProof(caller: try phone("3035550123"))
        #expect(proof.records.first?.note == "no terms published")
    }
}
