import Foundation
import GRDB
import Testing

@testable import HelplineRouting

/// Every caller is routed and logged: withheld, malformed, international, Canadian.
@Suite("Any caller is routed and logged")
struct AnyCallerTests {
    static let oddCallers = ["anonymous", "+266696687", "+447911123456", "", "restricted", "12", "+44 7911"]

    @Test("callers without a North American number reach a listing's provider and are logged", arguments: oddCallers)
    func listingTakesAnyCaller(caller: String) throws {
        let f = try RoutingFixture()
        let r = try f.helpline.route(to: f.listingNumber, from: caller)
        #expect(r.outcome == .offer)
        #expect(r.provider?.id == f.a.id)
        let call = try f.helpline.call(id: r.callID)
        #expect(call.callerState == nil)
        #expect(call.consentSeq != nil)
        let kind = try f.helpline.read { try String.fetchOne($0, sql: "SELECT caller_kind FROM calls WHERE id = ?", arguments: [r.callID]) }
        #expect(kind == (caller == "+447911123456" ? "international" : "withheld"))
    }

    @Test("an unanswered withheld caller is unreturnable: no callback to nobody, the report counts it, the banner counts it as not responded")
    func unreturnable() throws {
        let f = try RoutingFixture()
        let listing = try f.helpline.route(to: f.listingNumber, from: "anonymous")
        let after = try f.helpline.noAnswer(callID: listing.callID, attempt: 1)
        #expect(after.outcome == .unreturnable)
        #expect(after.callbackID == nil && after.provider == nil)
        #expect(try f.helpline.call(id: listing.callID).status == .ended)
        for p in [f.a, f.b, f.c] { try f.helpline.pauseProvider(id: p.id) }
        let none = try f.helpline.route(to: f.helplineNumber, from: "+447911123456")
        #expect(none.outcome == .unreturnable)
        #expect(try f.count("callbacks") == 0)
        let report = try f.helpline.dailyReport(for: LocalDate(f.clock.now, in: Fixture.ny), in: Fixture.ny)
        #expect(report.unreturnable == 2)
        #expect(report.responseRate == 0)
        #expect(try f.helpline.doctor().isClean)
    }

    @Test("withheld callers are never sticky and never one caller")
    func neverSticky() throws {
        let f = try RoutingFixture()
        let first = try f.helpline.route(to: f.helplineNumber, from: "anonymous")
        try f.helpline.answered(callID: first.callID, attempt: 1)
        try f.helpline.ended(callID: first.callID)
        let second = try f.helpline.route(to: f.helplineNumber, from: "anonymous")
        #expect(!second.sticky)
        let hashes = try f.helpline.read { try String.fetchAll($0, sql: "SELECT DISTINCT caller_sha256 FROM calls") }
        #expect(hashes.count == 2)
    }

    @Test("a Canadian caller with a province is routed; US-only state lists treat it as not served")
    func canadianProvince() throws {
        let f = try RoutingFixture(aFields: ["states": "NY,NJ"])
        let r = try f.helpline.route(to: f.helplineNumber, from: "4165550123", callerState: "ON")
        #expect(r.outcome == .offer)
        #expect(r.candidates.first { $0.providerID == f.a.id }?.reason == .stateNotServed)
        #expect(try f.helpline.call(id: r.callID).callerState == "ON")
        let listing = try f.helpline.route(to: f.listingNumber, from: "4165550124", callerState: "ON")
        #expect(listing.provider?.id == f.a.id)
    }

    @Test("the CLI routes and logs an anonymous caller to a listing (exit 0)")
    func cli() throws {
        let dir = try TempDir()
        let db = try CLI.newDatabase(dir)
        #expect(try CLI.run(["provider", "add", "--name", "A", "--phone", "3035550101"], db: db).status == 0)
        #expect(try CLI.run(["listing", "add", "--name", "L", "--number", "8885550199", "--provider", "1"], db: db).status == 0)
        for caller in ["anonymous", "+266696687", "+447911123456"] {
            let r = try CLI.run(["route", "--to", "8885550199", "--from", caller, "--json"], db: db)
            #expect(r.status == 0, "\(caller): \(r.stderr)")
            #expect(try CLI.json(r)["outcome"] as? String == "offer")
        }
        let r = try CLI.run(["route", "--to", "8885550199", "--from", "4165550199", "--caller-state", "ON"], db: db)
        #expect(r.status == 0, "\(r.stderr)")
    }
}
