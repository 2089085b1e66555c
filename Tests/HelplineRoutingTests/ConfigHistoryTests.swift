import Foundation
import GRDB
import Testing

@testable import HelplineRouting

/// Configuration has a verifiable history, and the neutrality audit can't be fooled by changing
/// membership for a while.
@Suite("Configuration history and the neutrality audit")
struct ConfigHistoryTests {
    @Test("members narrowed for 60 of 100 calls: the audit flags the split, quantifies the exclusions and lists the changes")
    func membershipCannotFoolTheAudit() throws {
        let f = try RoutingFixture(start: "2026-11-10T09:00:00-05:00")
        let number = try phone(f.helplineNumber)
        func calls(_ n: Int, from base: Int) throws {
            for i in 0..<n {
                let r = try f.helpline.route(to: f.helplineNumber, from: "21255\(String(format: "%05d", base + i))")
                try f.helpline.answered(callID: r.callID)
                try f.helpline.ended(callID: r.callID)
                f.clock.advance(seconds: 60)
            }
        }
        // Repeat callers would be sticky; every caller here is new.
        try f.helpline.updateHelplineNumber(number, settings: HelplineSettings(repeatWindowDays: 0))
        try calls(20, from: 10_000)
        try f.helpline.updateHelplineNumber(number, settings: HelplineSettings(members: .some([f.a.id])))
        try calls(60, from: 20_000)
        try f.helpline.updateHelplineNumber(number, settings: HelplineSettings(members: .some(nil)))
        try calls(20, from: 30_000)
        let day = try LocalDate(parsing: "2026-11-10")
        let report = try f.helpline.neutralityReport(from: day, to: day.next, in: Fixture.ny)
        let byID = Dictionary(uniqueKeysWithValues: report.lines.map { ($0.id, $0) })
        #expect(byID[f.a.id]?.offered == 80)
        #expect(byID[f.b.id]?.offered == 10)
        // Each decision followed its entitlement ...
        #expect(report.lines.allSatisfy { !$0.significant })
        // ... but not the configured weights: the audit is not neutral, and says why.
        #expect(!report.isNeutral)
        #expect(byID[f.a.id]?.configuredSignificant == true)
        #expect(abs((byID[f.a.id]?.configured ?? 0) - 50) < 1e-9)
        #expect(byID[f.b.id]?.exclusions[.notMember] == 60)
        #expect(byID[f.c.id]?.exclusions[.notMember] == 60)
        let memberChanges = report.changes.filter { $0.action == "updated" && $0.fields.contains { $0.name == "members" } }
        #expect(memberChanges.map { $0.fields.first { $0.name == "members" }?.new } == ["1", "all"])
        #expect(report.text().contains("members all→1"))
        let cli = try CLI.run(["report", "neutrality", "--from", "2026-11-10", "--to", "2026-11-11"], db: f.helpline.path)
        #expect(cli.status == 65)
        #expect(cli.stdout.contains("not-member 60"))
    }

    @Test("every change is recorded with its source, including one made with sqlite3; the chain verifies and catches edits")
    func historyRecordsEveryChange() throws {
        let dir = try TempDir()
        let db = try CLI.newDatabase(dir)
        #expect(try CLI.run(["provider", "add", "--name", "A", "--phone", "3035550101"], db: db).status == 0)
        #expect(try CLI.run(["--db", db, "provider", "update", "1", "--weight", "3"]).status == 0)
        #expect(try CLI.run(["number", "add", "--number", "8009151270", "--max-attempts", "2"], db: db).status == 0)
        try CLI.outside(db, "UPDATE providers SET daily_cap = 5 WHERE id = 1")
        #expect(try CLI.run(["provider", "pause", "1"], db: db).status == 0)
        let history = try CLI.run(["history", "--json"], db: db)
        #expect(history.status == 0)
        let items = try #require(try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]])
        #expect(
            items.map { $0["source"] as? String } == [
                "helpline provider add", "helpline provider update", "helpline number add", "outside helpline", "helpline provider pause",
            ])
        #expect(items.map { $0["action"] as? String } == ["added", "updated", "added", "updated", "paused"])
        let weight = (items[1]["changes"] as? [[String: Any]])?.first { $0["name"] as? String == "weight" }
        #expect(weight?["old"] as? String == "1" && weight?["new"] as? String == "3")
        #expect(try CLI.run(["consent", "verify"], db: db).status == 0)
        try CLI.outside(
            db, "DROP TRIGGER config_changes_no_update",
            "UPDATE config_changes SET state = replace(state, '\"weight\":3', '\"weight\":1') WHERE seq = 2")
        let verify = try CLI.run(["consent", "verify"], db: db)
        #expect(verify.status == 65)
        #expect(verify.stderr.contains("configuration history change 2"))
        #expect(try CLI.run(["doctor"], db: db).status == 65)
    }

    @Test("an auto-pause is recorded with the source auto-pause")
    func autoPause() throws {
        let f = try RoutingFixture(aFields: ["auto-pause-after": "1"])
        let r = try f.helpline.route(to: f.listingNumber, from: "2125550950")
        _ = try f.helpline.noAnswer(callID: r.callID, attempt: 1)
        let last = try #require(try f.helpline.configHistory(entity: "provider").last)
        #expect(last.source == "auto-pause" && last.action == "paused" && last.entityID == f.a.id)
        #expect(try f.helpline.verifyConfigHistory().problem == nil)
    }
}
