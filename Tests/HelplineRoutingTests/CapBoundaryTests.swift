import Foundation
import GRDB
import Testing

@testable import HelplineRouting

/// Caps hold in every period, whatever order offers commit in: at boundaries under racing
/// processes, for backfills, across a change of zone, and after an offer dated in the future.
@Suite("Caps at period boundaries")
struct CapBoundaryTests {
    /// Provider A's offers per local period key (hour, day or month of `zone`).
    static func offers(of providerID: Int64, by key: (CivilTime) -> Int, zone: TimeZone, in helpline: Helpline) throws -> [Int: Int] {
        let times = try helpline.read { db in
            try Int64.fetchAll(db, sql: "SELECT offered_at FROM attempts WHERE provider_id = ?", arguments: [providerID])
        }
        var counts: [Int: Int] = [:]
        for t in times { counts[key(CivilTime(Date(epochMilliseconds: t), in: zone)), default: 0] += 1 }
        return counts
    }

    /// A fixture where only A takes pool calls (B and C paused), with A's caps given.
    static func onlyA(_ caps: [String: String], start: String = "2026-11-25T12:00:00-05:00") throws -> RoutingFixture {
        let f = try RoutingFixture(start: start, aFields: caps)
        try f.helpline.pauseProvider(id: f.b.id)
        try f.helpline.pauseProvider(id: f.c.id)
        return f
    }

    @Test("a backfill into an earlier day counts that day's offers from the attempts")
    func backfillKeepsDailyCap() throws {
        let f = try Self.onlyA(["daily-cap": "2"])
        #expect(try f.helpline.route(to: f.helplineNumber, from: "2125550100").provider?.id == f.a.id)
        var outcomes: [RouteResult.Outcome] = []
        for n in 1...5 {
            let r = try f.helpline.route(
                to: f.helplineNumber, from: "212555011\(n)", at: instant("2026-11-24T0\(n):00:00-05:00"))
            outcomes.append(r.outcome)
        }
        #expect(outcomes == [.offer, .offer, .callback, .callback, .callback])
        let perDay = try Self.offers(of: f.a.id, by: \.dayKey, zone: Fixture.ny, in: f.helpline)
        #expect(perDay == [20_261_124: 2, 20_261_125: 1])
        // The backfill left the live day alone: today's second offer is still allowed, the third not.
        #expect(try f.helpline.route(to: f.helplineNumber, from: "2125550120").outcome == .offer)
        #expect(try f.helpline.route(to: f.helplineNumber, from: "2125550121").outcome == .callback)
        #expect(try f.helpline.doctor().isClean)
    }

    @Test("changing a provider's zone away and back keeps its daily cap")
    func zoneChangeKeepsDailyCap() throws {
        // 00:30 in New York is 22:30 the day before in Denver.
        let f = try Self.onlyA(["daily-cap": "2"], start: "2026-11-25T00:30:00-05:00")
        for n in 1...2 { #expect(try f.helpline.route(to: f.helplineNumber, from: "212555020\(n)").outcome == .offer) }
        try f.helpline.updateProvider(id: f.a.id, fields: ProviderFields(["tz": "America/Denver"]))
        // Both offers fall on Denver's 2026-11-24 too: the cap is reached there as well.
        let inDenver = try f.helpline.route(to: f.helplineNumber, from: "2125550203")
        #expect(inDenver.outcome == .callback)
        #expect(inDenver.candidates.first { $0.providerID == f.a.id }?.reason == .dailyCap)
        try f.helpline.updateProvider(id: f.a.id, fields: ProviderFields(["tz": "America/New_York"]))
        let back = try f.helpline.route(to: f.helplineNumber, from: "2125550204")
        #expect(back.candidates.first { $0.providerID == f.a.id }?.reason == .dailyCap)
        #expect(try Self.offers(of: f.a.id, by: \.dayKey, zone: Fixture.ny, in: f.helpline).values.max() == 2)
        #expect(try f.helpline.doctor().isClean)
    }

    @Test("an event time more than 5 minutes ahead of the clock is refused, and nothing is written")
    func futureTimeRefused() throws {
        let f = try RoutingFixture()
        let late = f.clock.now.addingTimeInterval(301)
        #expect(throws: InputError.self) { try f.helpline.route(to: f.helplineNumber, from: "2125550301", at: late) }
        #expect(try f.count("calls") == 0)
        // Within the tolerance, a peer's slightly fast clock is accepted.
        let r = try f.helpline.route(to: f.helplineNumber, from: "2125550302", at: f.clock.now.addingTimeInterval(299))
        #expect(throws: InputError.self) { try f.helpline.answered(callID: r.callID, at: late.addingTimeInterval(60)) }
        #expect(throws: InputError.self) { try f.helpline.noAnswer(callID: r.callID, at: late.addingTimeInterval(60)) }
        #expect(throws: InputError.self) { try f.helpline.ended(callID: r.callID, at: late.addingTimeInterval(60)) }
        #expect(try f.helpline.call(id: r.callID).status == .ringing)
    }

    @Test("the CLI refuses a future --at with exit 65 and records nothing")
    func futureAtCLI() throws {
        let dir = try TempDir()
        let helpline = try openHelpline(dir)
        try helpline.addProvider(fields: ProviderFields(["name": "A", "phone": "3035550101"]))
        try helpline.addHelplineNumber(try phone("8009151270"))
        let r = try CLI.run(["route", "--to", "8009151270", "--from", "2125550303", "--at", "2062-01-01T00:00:00Z"], db: helpline.path)
        #expect(r.status == 65)
        #expect(r.stderr.hasPrefix("error: the time '2062-01-01T00:00:00Z' is more than 5 minutes in the future"))
        #expect(try helpline.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM calls") } == 0)
    }

    @Test("an offer dated in the future holds no cap and no concurrency slot; doctor finds it and repair closes it")
    func futureOfferDoesNotDisableCaps() throws {
        let f = try Self.onlyA(["hourly-cap": "2", "daily-cap": "3", "monthly-cap": "50", "concurrency": "1"])
        // A machine whose clock read 2062 for one call.
        let now = f.clock.now
        try f.clock.set("2062-06-01T12:00:00-04:00")
        let future = try f.helpline.route(to: f.helplineNumber, from: "2125550400")
        #expect(future.provider?.id == f.a.id)
        f.clock.set(now)
        var offered = 0
        for n in 1...8 {
            let r = try f.helpline.route(to: f.helplineNumber, from: "212555041\(n)")
            if r.provider?.id == f.a.id {
                offered += 1
                _ = try f.helpline.noAnswer(callID: r.callID)  // frees the slot
            }
            f.clock.advance(seconds: 60)
        }
        #expect(offered == 2)  // the hourly cap, not 8
        let report = try f.helpline.doctor()
        #expect(report.checks.first { $0.name == "no open future-dated offers" }?.ok == false)
        let repaired = try f.helpline.doctor(repair: true)
        #expect(repaired.isClean, "\(repaired.checks.filter { !$0.ok })")
        #expect(repaired.repaired.contains { $0.contains("future-dated") })
        // After the repair the live row is today's again: the next hour allows 1 more (the daily cap is 3).
        f.clock.advance(seconds: 3600)
        #expect(try f.helpline.route(to: f.helplineNumber, from: "2125550420").provider?.id == f.a.id)
    }

    @Test("processes racing across an hour boundary never exceed the hourly cap (injected clock)")
    func raceAcrossBoundary() throws {
        let dir = try TempDir()
        let db = dir.path("race.sqlite")
        let helpline = try openHelpline(dir, name: "race.sqlite")
        let a = try helpline.addProvider(fields: ProviderFields(["name": "A", "phone": "3035550101", "hourly-cap": "2"]))
        let b = try helpline.addProvider(fields: ProviderFields(["name": "B", "phone": "2125550102", "priority": "2"]))
        try helpline.addHelplineNumber(try phone("8009151270"))
        // Every process's clock reads 12:59:59.8 (New York) now, so the hour turns while they race.
        let boundary = instant("2026-11-25T13:00:00-05:00")
        let offset = boundary.timeIntervalSince(Date()) - 0.2
        let out = try TempDir()
        try CLI.workers(
            8,
            script: """
                for i in 1 2 3 4 5 6; do "$HL" route --to 8009151270 --from 21255501$1$i >>"$OUT/$1.out" 2>>"$OUT/$1.err"; done
                """, db: db, out: out, env: ["HELPLINE_CLOCK_OFFSET": String(offset)])
        let perHour = try Self.offers(of: a.id, by: \.hourKey, zone: Fixture.ny, in: helpline)
        let calls = try helpline.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM calls") ?? 0 }
        #expect(calls == 48)
        #expect(perHour.values.allSatisfy { $0 <= 2 }, "offers to A per hour: \(perHour)")
        // The race did cross the boundary: calls were received on both sides of it.
        let perCallHour = try helpline.read { db in
            try Int.fetchOne(
                db, sql: "SELECT count(DISTINCT received_at >= ?) FROM calls", arguments: [boundary.epochMilliseconds])
        }
        #expect(perCallHour == 2)
        // B (tier 2) took the rest: nothing was lost.
        let toB = try Self.offers(of: b.id, by: \.hourKey, zone: Fixture.ny, in: helpline).values.reduce(0, +)
        #expect(perHour.values.reduce(0, +) + toB == 48)
        #expect(try helpline.doctor().isClean)
    }
}
