import Foundation
import GRDB
import PropertyBased
import Testing

@testable import HelplineRouting

/// Every offer of a call is a recorded, replayable decision made by the pure router.
@Suite("Every offer is a decision")
struct EveryOfferTests {
    @Test("a call with two failovers has three decisions, and replay reproduces every one", arguments: RoutingStrategy.allCases)
    func twoFailovers(strategy: RoutingStrategy) throws {
        let f = try RoutingFixture(strategy: strategy, cFields: ["hours": "mon-fri 09:00-17:00"])
        // Some history first, so the rotation and counters are not at their start.
        for n in 0..<5 { _ = try f.helpline.route(to: f.helplineNumber, from: "21255507\(String(format: "%02d", n))") }
        let r = try f.helpline.route(to: f.helplineNumber, from: "2125550790")
        f.clock.advance(seconds: 20)
        let second = try f.helpline.noAnswer(callID: r.callID, attempt: 1)
        f.clock.advance(seconds: 20)
        let third = try f.helpline.noAnswer(callID: r.callID, attempt: 2)
        #expect([r.provider?.id, second.provider?.id, third.provider?.id].compactMap { $0 }.count == 3)
        let rows = try f.helpline.read { db in
            try Row.fetchAll(
                db, sql: "SELECT attempt, outcome, chosen_provider_id FROM routing_decisions WHERE call_id = ? ORDER BY attempt",
                arguments: [r.callID])
        }
        #expect(rows.map { $0["attempt"] as Int } == [1, 2, 3])
        #expect(rows.map { $0["chosen_provider_id"] as Int64? } == [r.provider?.id, second.provider?.id, third.provider?.id])
        // The third offer goes unanswered too: the callback is a decision as well.
        f.clock.advance(seconds: 20)
        #expect(try f.helpline.noAnswer(callID: r.callID, attempt: 3).outcome == .callback)
        let replay = try f.helpline.replay(callID: r.callID)
        #expect(replay.decisions.map(\.attempt) == [1, 2, 3, 4])
        #expect(replay.decisions.map(\.recordedOutcome) == ["offer", "offer", "offer", "callback"])
        #expect(replay.matches, "\(strategy): \(replay.differences)")
        // Later decisions are not counted as first offers: entitlement stays with attempt 1.
        let day = LocalDate(f.clock.now, in: Fixture.ny)
        let report = try f.helpline.dailyReport(for: day, in: Fixture.ny)
        #expect(report.providers.reduce(0) { $0 + $1.firstOffers } == 6)
        #expect(report.providers.reduce(0) { $0 + $1.offered } == 8)
    }

    @Test("a later decision changed after the fact no longer replays")
    func tamperedLaterDecision() throws {
        let f = try RoutingFixture()
        let r = try f.helpline.route(to: f.helplineNumber, from: "2125550791")
        let second = try f.helpline.noAnswer(callID: r.callID, attempt: 1)
        let ids: [Int64] = [f.a.id, f.b.id, f.c.id]
        let other: Int64 = ids.first { $0 != second.provider?.id && $0 != r.provider?.id } ?? f.c.id
        try CLI.outside(f.helpline.path, "UPDATE routing_decisions SET chosen_provider_id = \(other) WHERE call_id = \(r.callID) AND attempt = 2")
        let replay = try f.helpline.replay(callID: r.callID)
        #expect(!replay.matches)
        #expect(replay.decisions.first { $0.attempt == 1 }?.matches == true)
        #expect(replay.differences.contains { $0.hasPrefix("attempt 2: provider") })
        let cli = try CLI.run(["call", "replay", String(r.callID)], db: f.helpline.path)
        #expect(cli.status == 65)
    }

    @Test("Router alone: a listing call's later offers never go to anyone, whatever the candidates")
    func listingNeverReroutes() async {
        await propertyCheck(count: 300, input: Gen.int(in: 0...Int.max)) { n in
            var rng = SplitMix64(seed: UInt64(n))
            let candidates = (1...Int64(1 + rng.next() % 6)).map { id in
                Candidate(
                    provider: Fixture.provider(id, weight: Int(1 + rng.next() % 5), status: rng.next() % 4 == 0 ? .paused : .active),
                    counters: LiveCounters(), isMember: true)
            }
            let plan = candidates.map(\.provider.id).shuffled(using: &rng)
            let input = NextOfferInput(
                kind: .direct, strategy: "direct", plan: plan, tried: [7], maxAttempts: Int(1 + rng.next() % 5), candidates: candidates,
                call: Fixture.call())
            let decision = Router.nextOffer(input)
            #expect(decision.offeredProviderID == nil)
            #expect(decision.outcome == .callback(.noAnswer))
            #expect(decision.fallbacks.isEmpty)
        }
    }

    @Test("Router alone: a pool call's next offer is the first untried planned provider eligible now, within the attempts")
    func poolFollowsThePlan() async {
        await propertyCheck(count: 300, input: Gen.int(in: 0...Int.max)) { n in
            var rng = SplitMix64(seed: UInt64(n))
            let candidates = (1...Int64(2 + rng.next() % 6)).map { id in
                Candidate(
                    provider: Fixture.provider(id, status: rng.next() % 3 == 0 ? .paused : .active),
                    counters: LiveCounters(), isMember: rng.next() % 5 != 0)
            }
            let plan = candidates.map(\.provider.id).shuffled(using: &rng)
            let tried = Array(plan.prefix(Int(rng.next() % 3)))
            let maxAttempts = Int(1 + rng.next() % 5)
            let untried = candidates.filter { !tried.contains($0.provider.id) }
            let decision = Router.nextOffer(
                NextOfferInput(
                    kind: .pool, strategy: "weighted-round-robin", plan: plan, tried: tried, maxAttempts: maxAttempts, candidates: untried,
                    call: Fixture.call()))
            let expected = plan.first { id in
                !tried.contains(id) && untried.contains { $0.provider.id == id && $0.provider.status == .active && $0.isMember }
            }
            #expect(decision.offeredProviderID == (tried.count < maxAttempts ? expected : nil))
            #expect(decision.verdicts.map(\.providerID) == plan.filter { !tried.contains($0) })
        }
    }
}
