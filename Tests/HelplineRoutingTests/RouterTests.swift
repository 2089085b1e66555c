import Foundation
import Testing

@testable import HelplineRouting

/// Builders for the router's pure inputs: no database anywhere in this file.
enum Fixture {
    static let ny = TimeZone(identifier: "America/New_York")!
    static let denver = TimeZone(identifier: "America/Denver")!

    static func provider(
        _ id: Int64, weight: Int = 1, priority: Int = 1, status: ProviderStatus = .active, hours: String = "24/7",
        states: String = "", zone: TimeZone = ny, caps: Caps = Caps()
    ) -> Provider {
        Provider(
            id: id, name: "P\(id)", phone: (try? PhoneNumber(parsing: "212555\(String(format: "%04d", Int(id)))")) ?? placeholderPhone,
            timeZone: zone, hours: (try? WeeklyHours(parsing: hours)) ?? .alwaysOpen, states: (try? USState.parseList(states)) ?? [],
            weight: weight, priority: priority, caps: caps, autoPauseAfter: nil, status: status, revision: 1,
            createdAt: Date(timeIntervalSince1970: 0), updatedAt: Date(timeIntervalSince1970: 0))
    }

    static let placeholderPhone: PhoneNumber = {
        // A fixed valid number; parsing it can't fail.
        (try? PhoneNumber(parsing: "2125550100"))!
    }()

    static func helpline(strategy: RoutingStrategy = .weightedRoundRobin, maxAttempts: Int = 3, members: [Int64]? = nil) -> HelplineNumber {
        HelplineNumber(
            id: 1, number: (try? PhoneNumber(parsing: "8009151270")) ?? placeholderPhone, name: "", strategy: strategy, members: members,
            repeatWindowDays: 30, ringTimeoutSeconds: 20, maxAttempts: maxAttempts, createdAt: Date(timeIntervalSince1970: 0),
            updatedAt: Date(timeIntervalSince1970: 0))
    }

    static func call(_ iso: String = "2026-11-25T12:00:00-05:00", state: String? = nil) -> IncomingCall {
        IncomingCall(
            callerState: state.flatMap { try? USState(parsing: $0) }, receivedAt: instant(iso))
    }

    static func pool(
        _ candidates: [Candidate], strategy: RoutingStrategy = .weightedRoundRobin, call: IncomingCall = call(), repeatProvider: Int64? = nil,
        state: StrategyState = StrategyState(), maxAttempts: Int = 3
    ) -> Decision {
        Router.decide(
            RoutingInput(
                call: call, target: .pool(PoolRules(strategy: strategy, maxAttempts: maxAttempts), candidates),
                repeatProviderID: repeatProvider, strategyState: state))
    }
}

@Suite("Router: eligibility")
struct EligibilityTests {
    @Test("every exclusion reason, each named for the first rule that applies")
    func everyReason() {
        let call = Fixture.call("2026-11-25T12:00:00-05:00", state: "CO")  // a Wednesday noon in New York
        let cases: [(Candidate, ExclusionReason?)] = [
            (Candidate(provider: Fixture.provider(1), counters: LiveCounters()), nil),
            (Candidate(provider: Fixture.provider(2), counters: LiveCounters(), isMember: false), .notMember),
            (Candidate(provider: Fixture.provider(3, status: .paused), counters: LiveCounters()), .paused),
            (Candidate(provider: Fixture.provider(4, hours: "sat 10:00-14:00"), counters: LiveCounters()), .closed),
            (Candidate(provider: Fixture.provider(5, states: "NY,NJ"), counters: LiveCounters()), .stateNotServed),
            (Candidate(provider: Fixture.provider(6, caps: Caps(concurrent: 2)), counters: LiveCounters(concurrent: 2)), .concurrency),
            (Candidate(provider: Fixture.provider(7, caps: Caps(hourly: 5)), counters: LiveCounters(hour: 5)), .hourlyCap),
            (Candidate(provider: Fixture.provider(8, caps: Caps(daily: 10)), counters: LiveCounters(hour: 1, day: 10)), .dailyCap),
            (Candidate(provider: Fixture.provider(9, caps: Caps(monthly: 100)), counters: LiveCounters(day: 3, month: 100)), .monthlyCap),
            (
                Candidate(
                    provider: Fixture.provider(10, caps: Caps(hourly: 5, daily: 10, monthly: 100, concurrent: 2)),
                    counters: LiveCounters(hour: 4, day: 9, month: 99, concurrent: 1)), nil
            ),
            (Candidate(provider: Fixture.provider(11, caps: Caps(daily: 0)), counters: LiveCounters()), .dailyCap),
        ]
        for (candidate, expected) in cases {
            #expect(Router.exclusion(for: candidate, call: call) == expected, "provider \(candidate.provider.id)")
        }
        let decision = Fixture.pool(cases.map(\.0), call: call)
        #expect(decision.verdicts.map(\.reason) == cases.map(\.1))
        #expect(Set(ExclusionReason.allCases) == Set(cases.compactMap(\.1)))
    }

    @Test("an unknown caller state is served by state-limited providers")
    func unknownState() {
        let c = Candidate(provider: Fixture.provider(1, states: "NY"), counters: LiveCounters())
        #expect(Router.exclusion(for: c, call: Fixture.call(state: nil)) == nil)
        #expect(Router.exclusion(for: c, call: Fixture.call(state: "ny")) == nil)
    }

    @Test("hours are judged in the provider's own zone, across DST and midnight")
    func zonesAndDST() {
        // Denver is open 08:00-20:00; 21:30 in New York is 19:30 in Denver.
        let denver = Candidate(provider: Fixture.provider(1, hours: "mon-fri 08:00-20:00", zone: Fixture.denver), counters: LiveCounters())
        #expect(Router.exclusion(for: denver, call: Fixture.call("2026-11-25T21:30:00-05:00")) == nil)
        #expect(Router.exclusion(for: denver, call: Fixture.call("2026-11-25T22:30:00-05:00")) == .closed)
        // Spring forward in Denver (2026-03-08): 09:00 local MDT is 15:00Z; the day before, 09:00 MST was 16:00Z.
        let sunday = Candidate(provider: Fixture.provider(2, hours: "sun 09:00-10:00", zone: Fixture.denver), counters: LiveCounters())
        #expect(Router.exclusion(for: sunday, call: Fixture.call("2026-03-08T15:30:00Z")) == nil)
        #expect(Router.exclusion(for: sunday, call: Fixture.call("2026-03-08T16:30:00Z")) == .closed)
        // A Friday-night block that crosses midnight into Saturday.
        let night = Candidate(provider: Fixture.provider(3, hours: "fri 22:00-02:00"), counters: LiveCounters())
        #expect(Router.exclusion(for: night, call: Fixture.call("2026-11-28T01:30:00-05:00")) == nil)
        #expect(Router.exclusion(for: night, call: Fixture.call("2026-11-28T02:30:00-05:00")) == .closed)
    }
}

@Suite("Router: decisions")
struct DecisionTests {
    @Test("a listing call goes to its provider even when paused, closed and capped, with no fallback")
    func listingIsDirect() {
        let p = Fixture.provider(7, status: .paused, hours: "sat 10:00-11:00", caps: Caps(daily: 0, concurrent: 0))
        let d = Router.decide(
            RoutingInput(call: Fixture.call(), target: .listing(Candidate(provider: p, counters: LiveCounters(day: 50, concurrent: 9)))))
        #expect(d.kind == .direct)
        #expect(d.outcome == .offer(providerID: 7))
        #expect(d.fallbacks.isEmpty)
        #expect(d.strategy == "direct")
    }

    @Test func unknownNumberIsUnroutable() {
        let d = Router.decide(RoutingInput(call: Fixture.call(), target: .unknown))
        #expect(d.kind == .unroutable && d.outcome == .unroutable)
    }

    @Test("no eligible provider queues a callback")
    func noneEligible() {
        let d = Fixture.pool([
            Candidate(provider: Fixture.provider(1, status: .paused), counters: LiveCounters()),
            Candidate(provider: Fixture.provider(2, caps: Caps(daily: 1)), counters: LiveCounters(day: 1)),
        ])
        #expect(d.outcome == .callback(.noEligibleProvider))
        #expect(d.fallbacks.isEmpty)
        #expect(d.verdicts.allSatisfy { !$0.isEligible })
    }

    @Test("the lowest eligible tier takes the call; fallbacks are the rest of it, then the next tiers")
    func tiersAndFallbacks() {
        let candidates = [
            Candidate(provider: Fixture.provider(1, priority: 2), counters: LiveCounters()),
            Candidate(provider: Fixture.provider(2, priority: 1, status: .paused), counters: LiveCounters()),
            Candidate(provider: Fixture.provider(3, priority: 1), counters: LiveCounters(lastOfferAt: instant("2026-11-25T11:00:00Z"))),
            Candidate(provider: Fixture.provider(4, priority: 3), counters: LiveCounters()),
            Candidate(provider: Fixture.provider(5, priority: 1), counters: LiveCounters(lastOfferAt: instant("2026-11-25T10:00:00Z"))),
        ]
        let d = Fixture.pool(candidates, strategy: .leastRecent, maxAttempts: 10)
        #expect(d.outcome == .offer(providerID: 5))
        #expect(d.fallbacks == [3, 1, 4])
        #expect(d.tier == 1)
        // Shares: tier 1's eligible providers split the call; other tiers are entitled to 0.
        #expect(d.verdicts.first { $0.providerID == 5 }?.share == 0.5)
        #expect(d.verdicts.first { $0.providerID == 1 }?.share == 0)
        #expect(d.verdicts.first { $0.providerID == 2 }?.share == nil)
        // Max attempts cuts the fallbacks to what will be tried.
        #expect(Fixture.pool(candidates, strategy: .leastRecent, maxAttempts: 2).fallbacks == [3])
        #expect(Fixture.pool(candidates, strategy: .leastRecent, maxAttempts: 1).fallbacks == [])
    }

    @Test("a repeat caller goes back to an eligible earlier provider, marked sticky, without moving the rotation")
    func sticky() {
        let candidates = (1...3).map { Candidate(provider: Fixture.provider(Int64($0)), counters: LiveCounters()) }
        let d = Fixture.pool(candidates, repeatProvider: 3, state: StrategyState(currentWeights: [1: 0, 2: 0, 3: 0]))
        #expect(d.outcome == .offer(providerID: 3))
        #expect(d.sticky)
        #expect(!d.fallbacks.contains(3))
        #expect(d.stateAfter == d.stateBefore)
        // An ineligible earlier provider is not sticky.
        var paused = candidates
        paused[2].provider.status = .paused
        let other = Fixture.pool(paused, repeatProvider: 3)
        #expect(!other.sticky)
        #expect(other.offeredProviderID != 3)
    }

    @Test("least-recent offers whoever waited longest; never-offered first")
    func leastRecent() {
        let d = Fixture.pool(
            [
                Candidate(provider: Fixture.provider(1), counters: LiveCounters(lastOfferAt: instant("2026-11-25T09:00:00Z"))),
                Candidate(provider: Fixture.provider(2), counters: LiveCounters(lastOfferAt: nil)),
                Candidate(provider: Fixture.provider(3), counters: LiveCounters(lastOfferAt: instant("2026-11-25T08:00:00Z"))),
            ], strategy: .leastRecent)
        #expect(d.offeredProviderID == 2)
        #expect(d.fallbacks == [3, 1])
    }

    @Test("fewest-calls offers the provider with the fewest offers today")
    func fewestCalls() {
        let d = Fixture.pool(
            [
                Candidate(provider: Fixture.provider(1), counters: LiveCounters(day: 4)),
                Candidate(provider: Fixture.provider(2), counters: LiveCounters(day: 2)),
                Candidate(provider: Fixture.provider(3), counters: LiveCounters(day: 3)),
            ], strategy: .fewestCalls)
        #expect(d.offeredProviderID == 2)
        #expect(d.fallbacks == [3, 1])
    }

    @Test("weighted-random replays from its recorded seed and follows weights")
    func weightedRandom() {
        let candidates = [
            Candidate(provider: Fixture.provider(1, weight: 1), counters: LiveCounters()),
            Candidate(provider: Fixture.provider(2, weight: 3), counters: LiveCounters()),
        ]
        var counts: [Int64: Int] = [:]
        for seed in 0..<4000 {
            let state = StrategyState(seed: UInt64(seed) &* 0x9E37_79B9)
            let a = Fixture.pool(candidates, strategy: .weightedRandom, state: state)
            let b = Fixture.pool(candidates, strategy: .weightedRandom, state: state)
            #expect(a == b)
            counts[a.offeredProviderID ?? 0, default: 0] += 1
        }
        // Expect 3000 of 4000 for weight 3; a 5-sigma band is about ±137.
        #expect(abs(counts[2, default: 0] - 3000) < 140)
        #expect(counts[1, default: 0] + counts[2, default: 0] == 4000)
    }
}

@Suite("Router: smooth weighted round robin")
struct SmoothWRRTests {
    func run(weights: [Int], calls: Int, start: StrategyState = StrategyState()) -> (picks: [Int64], state: StrategyState) {
        let candidates = weights.enumerated().map { i, w in Candidate(provider: Fixture.provider(Int64(i + 1), weight: w), counters: LiveCounters()) }
        var state = start
        var picks: [Int64] = []
        for _ in 0..<calls {
            let d = Fixture.pool(candidates, state: state)
            picks.append(d.offeredProviderID ?? 0)
            state = d.stateAfter
        }
        return (picks, state)
    }

    @Test("the classic 5:1:1 sequence is smooth, not bursty")
    func classicSequence() {
        #expect(run(weights: [5, 1, 1], calls: 7).picks == [1, 1, 2, 1, 3, 1, 1])
    }

    @Test(
        "shares are exact over every full cycle; every prefix is within one offer and every window within two",
        arguments: [
            [1, 1], [2, 1], [5, 1, 1], [3, 7, 11], [100, 1], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        ])
    func exactShares(weights: [Int]) {
        let total = weights.reduce(0, +)
        let (picks, state) = run(weights: weights, calls: total * 7)
        func deviation(_ window: ArraySlice<Int64>, _ i: Int) -> Double {
            abs(Double(window.filter { $0 == Int64(i + 1) }.count) - Double(window.count * weights[i]) / Double(total))
        }
        for (i, w) in weights.enumerated() {
            #expect(picks.filter { $0 == Int64(i + 1) }.count == w * 7)
            // After n calls each provider has had n·w/total offers, to within one (its current
            // weight is n·w − total·count, and smooth WRR keeps it inside (−total, total)).
            for n in 1...picks.count {
                #expect(deviation(picks[0..<n], i) < 1.0, "weights \(weights), prefix \(n), provider \(i + 1)")
            }
            // Any window is the difference of two prefixes, so it is within two.
            for n in [2, 3, total / 2 + 1, total + 3] where n <= picks.count {
                for start in 0...(picks.count - n) {
                    #expect(deviation(picks[start..<start + n], i) < 2.0, "weights \(weights), window \(start)+\(n)")
                }
            }
        }
        // The current weights always sum to zero and return to zero after whole cycles.
        #expect(state.currentWeights.values.reduce(0, +) == 0)
        #expect(state.currentWeights.values.allSatisfy { $0 == 0 })
    }

    @Test("the rotation continues across decisions from stored state, as separate processes share it")
    func continuesFromState() {
        let whole = run(weights: [3, 2, 1], calls: 12).picks
        let first = run(weights: [3, 2, 1], calls: 5)
        let rest = run(weights: [3, 2, 1], calls: 7, start: first.state).picks
        #expect(first.picks + rest == whole)
    }

    @Test("fallbacks follow the rotation's next picks")
    func fallbackOrder() {
        let candidates = [1, 2, 3].map { Candidate(provider: Fixture.provider(Int64($0), weight: $0), counters: LiveCounters()) }
        let d = Fixture.pool(candidates)
        #expect(d.offeredProviderID == 3)
        #expect(d.fallbacks == [2, 1])
    }
}
