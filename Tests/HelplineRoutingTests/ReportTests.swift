import Foundation
import GRDB
import Testing

@testable import HelplineRouting

@Suite("Reports")
struct ReportTests {
    /// A day with known answers: 2026-11-01 in New York, when clocks fall back and 01:30 happens twice.
    /// Calls either side of midnight fall outside it.
    func knownDay() throws -> (RoutingFixture, Provider, Provider) {
        let f = try RoutingFixture(start: "2026-11-05T00:00:00Z", aFields: ["weight": "1"])
        try f.helpline.removeProvider(id: f.c.id)
        let (a, b) = (f.a, f.b)
        let h = f.helpline
        let pool = f.helplineNumber
        func t(_ iso: String, plus seconds: Double = 0) -> Date { instant(iso).addingTimeInterval(seconds) }
        // 1. The evening before: not in the report.
        let c1 = try h.route(to: pool, from: "2125550001", at: t("2026-10-31T23:59:00-04:00"))
        #expect(c1.provider?.id == a.id)
        // 2. Just after midnight: B answers in 10 s.
        let c2 = try h.route(to: pool, from: "2125550002", at: t("2026-11-01T00:00:30-04:00"))
        #expect(c2.provider?.id == b.id)
        try h.answered(callID: c2.callID, at: t("2026-11-01T00:00:30-04:00", plus: 10))
        try h.ended(callID: c2.callID, at: t("2026-11-01T00:00:30-04:00", plus: 300))
        // 3. 01:30 EDT: A misses, B answers 30 s after the call came in (failover).
        let c3 = try h.route(to: pool, from: "2125550003", at: t("2026-11-01T01:30:00-04:00"))
        #expect(c3.provider?.id == a.id)
        #expect(try h.noAnswer(callID: c3.callID, at: t("2026-11-01T01:30:00-04:00", plus: 20)).provider?.id == b.id)
        try h.answered(callID: c3.callID, at: t("2026-11-01T01:30:00-04:00", plus: 30))
        // 4. 01:30 EST, an hour later: both miss; A returns the call 600 s after it came in.
        let c4 = try h.route(to: pool, from: "2125550004", at: t("2026-11-01T01:30:00-05:00"))
        #expect(c4.provider?.id == b.id)
        _ = try h.noAnswer(callID: c4.callID, at: t("2026-11-01T01:30:00-05:00", plus: 20))
        let cb4 = try h.noAnswer(callID: c4.callID, at: t("2026-11-01T01:30:00-05:00", plus: 40))
        try h.completeCallback(id: try #require(cb4.callbackID), providerID: a.id, at: t("2026-11-01T01:30:00-05:00", plus: 600))
        // 5. Noon: a listing call, answered by A in 5 s.
        let c5 = try h.route(to: f.listingNumber, from: "2125550005", at: t("2026-11-01T12:00:00-05:00"))
        try h.answered(callID: c5.callID, at: t("2026-11-01T12:00:00-05:00", plus: 5))
        // 6. 30 s before midnight: both miss; the callback is queued after midnight and is pending.
        let c6 = try h.route(to: pool, from: "2125550006", at: t("2026-11-01T23:59:30-05:00"))
        #expect(c6.provider?.id == a.id)
        _ = try h.noAnswer(callID: c6.callID, at: t("2026-11-01T23:59:30-05:00", plus: 20))
        #expect(try h.noAnswer(callID: c6.callID, at: t("2026-11-01T23:59:30-05:00", plus: 40)).outcome == .callback)
        // 7. Just after midnight: the next day.
        _ = try h.route(to: pool, from: "2125550007", at: t("2026-11-02T00:00:10-05:00"))
        // 8. A wrong number at 09:00.
        #expect(throws: RoutingError.self) { try h.route(to: "8005550100", from: "2125550008", at: t("2026-11-01T09:00:00-05:00")) }
        // 9. A web-form request at 10:00, pending.
        _ = try h.requestCallback(phoneField: "(212) 555-0009", at: t("2026-11-01T10:00:00-05:00"))
        return (f, a, b)
    }

    @Test("the daily report on a DST day with calls either side of midnight matches hand-computed values")
    func dailyReportKnownDay() throws {
        let (f, a, b) = try knownDay()
        let report = try f.helpline.dailyReport(for: try LocalDate(parsing: "2026-11-01"), in: Fixture.ny)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.render(.json).utf8)) as? [String: Any])
        #expect(json["date"] as? String == "2026-11-01")
        #expect(json["time_zone"] as? String == "America/New_York")
        #expect(json["calls"] as? Int == 6)
        #expect(json["direct"] as? Int == 1)
        #expect(json["pool"] as? Int == 4)
        #expect(json["unroutable"] as? Int == 1)
        #expect(json["answered"] as? Int == 3)
        #expect(json["answered_after_failover"] as? Int == 1)
        // Callbacks for the day's calls (4 returned, 6 pending); the 10:00 web-form request apart.
        #expect(json["callbacks_queued"] as? Int == 2)
        #expect(json["callbacks_returned"] as? Int == 1)
        #expect(json["callbacks_pending"] as? Int == 1)
        #expect(json["web_form_requests"] as? Int == 1)
        #expect(json["web_form_pending"] as? Int == 1)
        #expect(json["web_form_returned"] as? Int == 0)
        #expect(json["response_rate"] as? Double == 0.8)  // (3 answered + 1 returned) / (6 - 1)
        #expect(json["median_response_seconds"] as? Double == 20)  // of 5, 10, 30, 600
        #expect(json["p90_response_seconds"] as? Double == 600)  // nearest rank: the 4th of 4
        #expect(json["consent_coverage"] as? Double == 1)
        #expect(json["listing_reroutes"] as? Int == 0)
        var hours = Array(repeating: 0, count: 24)
        hours[0] = 1
        hours[1] = 2  // 01:30 EDT and 01:30 EST
        hours[9] = 1
        hours[12] = 1
        hours[23] = 1
        #expect(json["hours"] as? [Int] == hours)
        let providers = try #require(json["providers"] as? [[String: Any]])
        #expect(providers.count == 2)  // C is removed and had no offers
        let pa = try #require(providers.first { $0["id"] as? Int == Int(a.id) })
        let pb = try #require(providers.first { $0["id"] as? Int == Int(b.id) })
        #expect(pa["offered"] as? Int == 4)
        #expect(pa["answered"] as? Int == 1)
        #expect(pa["no_answer"] as? Int == 3)
        #expect(pa["answer_rate"] as? Double == 0.25)
        #expect(pa["median_seconds_to_answer"] as? Double == 5)
        #expect(pa["expected_offered"] as? Double == 2)
        #expect(pa["first_offers"] as? Int == 2)
        #expect(pa["daily_cap_used"] is NSNull)  // no cap, no cap usage
        #expect(pb["offered"] as? Int == 4)
        #expect(pb["answered"] as? Int == 2)
        #expect(pb["no_answer"] as? Int == 2)
        #expect(pb["answer_rate"] as? Double == 0.5)
        #expect(pb["median_seconds_to_answer"] as? Double == 10)
        #expect(pb["expected_offered"] as? Double == 2)
        #expect(pb["first_offers"] as? Int == 2)
        // The days either side hold the calls at 23:59 and 00:00:10.
        #expect(try f.helpline.dailyReport(for: try LocalDate(parsing: "2026-10-31"), in: Fixture.ny).calls == 1)
        #expect(try f.helpline.dailyReport(for: try LocalDate(parsing: "2026-11-02"), in: Fixture.ny).calls == 1)
        // The same day in another zone is a different window.
        #expect(try f.helpline.dailyReport(for: try LocalDate(parsing: "2026-11-01"), in: TimeZone(identifier: "UTC")!).calls == 6)
    }

    @Test("text, CSV and HTML renderings carry the same figures")
    func renderings() throws {
        let (f, _, _) = try knownDay()
        let report = try f.helpline.dailyReport(for: try LocalDate(parsing: "2026-11-01"), in: Fixture.ny)
        let text = report.text()
        #expect(text.contains("response rate 80.0%"))
        #expect(text.contains("listing reroutes 0"))
        let csv = try report.csv()
        let lines = csv.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("date,time_zone,id,name,status,offered"))
        #expect(lines[1].hasPrefix("2026-11-01,America/New_York,1,A,active,4,2,2.000,1,3,0.2500,5.0"))
        let html = report.html()
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<svg") && html.contains("Calls per hour"))
        #expect(!html.lowercased().contains("<script"))
        #expect(!html.contains("http://") && !html.contains("https://"))
        #expect(!html.contains("+1212"))  // no caller numbers
    }

    @Test("CSV quotes names with commas and quotes per RFC 4180")
    func csvQuoting() throws {
        let f = try RoutingFixture(aFields: ["name": "ARK, \"Behavioral\" Health"])
        let report = try f.helpline.dailyReport(for: try LocalDate(parsing: "2026-11-25"), in: Fixture.ny)
        #expect(try report.csv().contains("\"ARK, \"\"Behavioral\"\" Health\""))
    }

    @Test("the neutrality audit sets offers against recorded shares and counts sticky calls apart")
    func neutrality() throws {
        let f = try RoutingFixture()
        for n in 0..<40 {
            let r = try f.helpline.route(to: f.helplineNumber, from: "21255501\(String(format: "%02d", n))")
            if n < 4 { try f.helpline.answered(callID: r.callID) }
        }
        // Four repeat callers go back (sticky).
        for n in 0..<4 { _ = try f.helpline.route(to: f.helplineNumber, from: "21255501\(String(format: "%02d", n))") }
        let day = try LocalDate(parsing: "2026-11-25")
        let report = try f.helpline.neutralityReport(from: day, to: day, in: Fixture.ny)
        #expect(report.decisions == 40)
        #expect(report.stickyDecisions == 4)
        #expect(report.lines.map(\.offered) == [20, 10, 10])  // weights 2:1:1
        #expect(report.lines.map(\.entitled) == [20, 10, 10])
        #expect(report.isNeutral)
        // Offers that contradict the shares are flagged: rewrite history outside the program.
        let outside = try DatabaseQueue(path: f.helpline.path)
        try outside.write { db in
            try db.execute(sql: "UPDATE routing_decisions SET chosen_provider_id = ? WHERE sticky = 0", arguments: [f.a.id])
        }
        try outside.close()
        let skewed = try f.helpline.neutralityReport(from: day, to: day, in: Fixture.ny)
        #expect(!skewed.isNeutral)
        #expect(skewed.lines.first?.significant == true)
    }

    @Test("the banner rounds time to minutes, rounds the rate down, and is withheld on a small sample")
    func banner() throws {
        let f = try RoutingFixture(start: "2026-11-25T12:00:00-05:00")
        try f.helpline.updateHelplineNumber(try phone(f.helplineNumber), settings: HelplineSettings(maxAttempts: 1))
        var answeredIDs: [Int64] = []
        for n in 0..<9 {
            let r = try f.helpline.route(to: f.helplineNumber, from: "21255502\(String(format: "%02d", n))")
            answeredIDs.append(r.callID)
            f.clock.advance(seconds: 100)
            try f.helpline.answered(callID: r.callID)
        }
        // 9 calls answered after 100 s each: withheld below 10 calls.
        #expect(try f.helpline.banner(minCalls: 10).line == nil)
        #expect(try f.helpline.banner(minCalls: 9).line == "Response time about 2 min | Response rate 100%")
        // A 10th call that nobody answers: 90%.
        let missed = try f.helpline.route(to: f.helplineNumber, from: "2125550299")
        _ = try f.helpline.noAnswer(callID: missed.callID)
        let b10 = try f.helpline.banner(minCalls: 10)
        #expect(b10.line == "Response time about 2 min | Response rate 90%", "\(b10)")
        #expect(
            Banner(
                calls: 1000, responded: 996, windowStart: Date(), windowEnd: Date(), days: 30, minCalls: 10, responseRate: 0.996,
                medianResponseSeconds: 59.9
            ).line == "Response time under 1 min | Response rate 99%")
        #expect(
            Banner(
                calls: 10, responded: 10, windowStart: Date(), windowEnd: Date(), days: 30, minCalls: 10, responseRate: 1,
                medianResponseSeconds: 89
            ).line == "Response time about 1 min | Response rate 100%")
    }

    @Test("the disclosure names active advertisers alphabetically; a paused one drops out")
    func disclosure() throws {
        let f = try RoutingFixture(aFields: ["name": "Zephyr Recovery"], bFields: ["name": "alpha House"], cFields: ["name": "Beacon"])
        #expect(try f.helpline.disclosure().contains("paid advertiser: alpha House, Beacon, and Zephyr Recovery."))
        try f.helpline.pauseProvider(id: f.c.id)
        let text = try f.helpline.disclosure()
        #expect(text.contains("paid advertiser: alpha House and Zephyr Recovery."))
        #expect(!text.contains("Beacon"))
        #expect(text.contains("We do not receive any commission or fee"))
    }
}
