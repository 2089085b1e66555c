import Foundation
import Testing

@testable import HelplineRouting

/// Events name the attempt they are about, can't precede what they follow, and a resent event
/// never hands telephony a number to dial for a call that is already answered or over.
@Suite("Event order and resent events")
struct EventOrderTests {
    @Test("an answer, an end or a returned callback dated before the call is refused; the banner never goes negative")
    func timesBeforeTheCall() throws {
        let f = try RoutingFixture()
        let r = try f.helpline.route(to: f.helplineNumber, from: "2125550501")
        let before = f.clock.now.addingTimeInterval(-1785)
        #expect(throws: RoutingError.self) { try f.helpline.answered(callID: r.callID, at: before) }
        #expect(throws: RoutingError.self) { try f.helpline.noAnswer(callID: r.callID, attempt: 1, at: before) }
        #expect(throws: RoutingError.self) { try f.helpline.ended(callID: r.callID, at: before) }
        #expect(try f.helpline.call(id: r.callID).status == .ringing)
        f.clock.advance(seconds: 10)
        try f.helpline.answered(callID: r.callID, attempt: 1)
        #expect(throws: RoutingError.self) { try f.helpline.ended(callID: r.callID, at: f.clock.now.addingTimeInterval(-5)) }
        let form = try f.helpline.requestCallback(phoneField: "(212) 555-0502")
        #expect(throws: RoutingError.self) {
            try f.helpline.completeCallback(id: form.id, providerID: f.a.id, at: f.clock.now.addingTimeInterval(-60))
        }
        f.clock.advance(seconds: 50)
        try f.helpline.completeCallback(id: form.id, providerID: f.a.id)
        let banner = try f.helpline.banner(days: 30, minCalls: 1)
        #expect((banner.medianResponseSeconds ?? -1) >= 0)
    }

    @Test("a late 'answered' for attempt 1, after its no-answer, is refused and never credited to attempt 2's provider")
    func lateAnswerForAnEarlierAttempt() throws {
        let f = try RoutingFixture()
        let r = try f.helpline.route(to: f.helplineNumber, from: "2125550511")
        f.clock.advance(seconds: 20)
        let next = try f.helpline.noAnswer(callID: r.callID, attempt: 1)
        #expect(next.outcome == .offer && next.attempt == 2)
        f.clock.advance(seconds: 1)
        #expect(throws: RoutingError.self) { try f.helpline.answered(callID: r.callID, attempt: 1) }
        let call = try f.helpline.call(id: r.callID)
        #expect(call.status == .ringing)
        #expect(call.answeredProviderID == nil)
        #expect(throws: RoutingError.self) { try f.helpline.answered(callID: r.callID, attempt: 3) }
        // Attempt 2's own answer is taken, and resent, is the same answer.
        try f.helpline.answered(callID: r.callID, attempt: 2)
        #expect(try f.helpline.answered(callID: r.callID, attempt: 2).answeredProviderID == next.provider?.id)
    }

    @Test("a resent no-answer on an answered or ended call gives its state and nothing to dial")
    func resentNoAnswerOnAnEndedCall() throws {
        let f = try RoutingFixture()
        let r = try f.helpline.route(to: f.helplineNumber, from: "2125550521")
        f.clock.advance(seconds: 20)
        _ = try f.helpline.noAnswer(callID: r.callID, attempt: 1)
        f.clock.advance(seconds: 5)
        try f.helpline.answered(callID: r.callID, attempt: 2)
        let whileConnected = try f.helpline.noAnswer(callID: r.callID, attempt: 1)
        #expect(whileConnected.outcome == .connected)
        #expect(whileConnected.provider == nil && whileConnected.fallbacks.isEmpty)
        f.clock.advance(seconds: 60)
        try f.helpline.ended(callID: r.callID)
        let afterEnd = try f.helpline.noAnswer(callID: r.callID, attempt: 1)
        #expect(afterEnd.outcome == .ended)
        #expect(afterEnd.provider == nil)
        #expect(try f.helpline.call(id: r.callID).attempts.count == 2)
    }

    @Test("the CLI: --attempt on answered, a resent no-answer prints no phone, an early time exits 65")
    func cli() throws {
        let dir = try TempDir()
        let db = try CLI.seededDatabase(dir, providers: 2)
        let route = try CLI.json(try CLI.run(["route", "--to", "8009151270", "--from", "2125550531", "--json"], db: db))
        let id = try #require(route["call_id"] as? String)
        let early = try CLI.run(["call", "answered", id, "--attempt", "1", "--at", "2020-01-01T00:00:00Z"], db: db)
        #expect(early.status == 65)
        #expect(early.stderr.hasPrefix("error: call \(id) can't take 'answered' at 2020-01-01T00:00:00Z: attempt 1 was offered at"))
        #expect(try CLI.run(["call", "no-answer", id, "--attempt", "1"], db: db).status == 0)
        #expect(try CLI.run(["call", "answered", id, "--attempt", "1"], db: db).status == 65)
        #expect(try CLI.run(["call", "answered", id, "--attempt", "2"], db: db).status == 0)
        #expect(try CLI.run(["call", "ended", id], db: db).status == 0)
        let resent = try CLI.run(["call", "no-answer", id, "--attempt", "1", "--json"], db: db)
        #expect(resent.status == 0)
        let json = try CLI.json(resent)
        #expect(json["outcome"] as? String == "ended")
        #expect(json["provider"] is NSNull)
        #expect(!resent.stdout.contains("+1303"))
    }
}
