import Crypto
import Foundation
import GRDB
import Testing

@testable import HelplineRouting

/// The adversarial run's smaller findings, each pinned.
@Suite("Smaller points")
struct SmallPointsTests {
    @Test("stats publishes a 0% response rate (no time), and names the real reason when it withholds")
    func zeroPercentIsPublished() throws {
        let f = try RoutingFixture()
        for n in 1...3 {
            let r = try f.helpline.route(to: f.helplineNumber, from: "212555080\(n)")
            for attempt in 1...3 { _ = try f.helpline.noAnswer(callID: r.callID, attempt: attempt) }
        }
        let banner = try f.helpline.banner(days: 30, minCalls: 0)
        #expect(banner.line == "Response rate 0%")
        #expect(try f.helpline.banner(days: 30, minCalls: 10).withheldReason == "3 routable calls in the window, fewer than the minimum of 10")
        let empty = try RoutingFixture()
        #expect(try empty.helpline.banner(days: 30, minCalls: 0).withheldReason == "no routable calls in the window")
    }

    @Test("'nothing to update' is bad usage: exit 64")
    func nothingToUpdate() throws {
        let dir = try TempDir()
        let db = try CLI.seededDatabase(dir)
        for args in [["provider", "update", "1"], ["number", "update", "8009151270"]] {
            let r = try CLI.run(args, db: db)
            #expect(r.status == 64, "\(args)")
            #expect(r.stderr.hasPrefix("error: nothing to update\nhint: "))
        }
    }

    @Test("a removed provider, or one not a member of the helpline, can't complete its callback")
    func callbackByAnOutsider() throws {
        let f = try RoutingFixture()
        try f.helpline.updateHelplineNumber(try phone(f.helplineNumber), settings: HelplineSettings(members: .some([f.a.id, f.b.id])))
        let r = try f.helpline.route(to: f.helplineNumber, from: "2125550811")
        _ = try f.helpline.noAnswer(callID: r.callID, attempt: 1)
        let callback = try #require(try f.helpline.noAnswer(callID: r.callID, attempt: 2).callbackID)
        #expect(throws: StoreError.self) { try f.helpline.completeCallback(id: callback, providerID: f.c.id) }
        try f.helpline.removeProvider(id: f.b.id)
        #expect(throws: StoreError.self) { try f.helpline.completeCallback(id: callback, providerID: f.b.id) }
        #expect(try f.helpline.completeCallback(id: callback, providerID: f.a.id).status == .returned)
    }

    @Test("terms can't take effect before calls already recorded")
    func pastEffectiveTerms() throws {
        let f = try RoutingFixture()
        let r = try f.helpline.route(to: f.helplineNumber, from: "2125550821")
        #expect(throws: StoreError.self) { try f.helpline.publishTerms("v2\n", effectiveAt: f.clock.now.addingTimeInterval(-3600)) }
        #expect(try f.helpline.termsVersions().count == 1)
        let v2 = try f.helpline.publishTerms("v2\n")
        #expect(v2.version == 2)
        #expect(try f.helpline.call(id: r.callID).termsVersion == 1)
    }

    @Test("errors and reports mask a number the same way: the exchange is hidden")
    func oneMaskingRule() throws {
        let number = try phone("3035550123")
        #expect(number.masked == "+1303***0123")
        #expect(InputError.maskDigits("3035550123x") == "303***0123x")
        #expect(InputError.maskDigits("+1 303 555 0123 9") == "+1 303 *** *123 9")
        #expect(InputError.maskDigits("(303) 555-0123") == "(303) ***-0123")
        #expect(InputError.maskDigits("555-0123") == "555-0123")
    }

    @Test("a dropped table is exit 74 (damage), not 70 (a bug)")
    func droppedTable() throws {
        let dir = try TempDir()
        let db = try CLI.newDatabase(dir)
        #expect(try CLI.run(["provider", "add", "--name", "A", "--phone", "3035550101"], db: db).status == 0)
        try CLI.outside(db, "PRAGMA foreign_keys = OFF", "DROP TABLE callbacks")
        let r = try CLI.run(["callback", "list"], db: db)
        #expect(r.status == 74, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("error: database \(db) is corrupt: the schema is damaged (no such table: callbacks)"))
    }

    @Test("a bad --at is refused (65) before the database is opened, and ids go through one parser")
    func atBeforeOpen() throws {
        let dir = try TempDir()
        let missing = dir.path("missing.sqlite")
        for args in [
            ["route", "--to", "8009151270", "--from", "2125550100", "--at", "yesterday-ish"],
            ["call", "answered", "1", "--at", "not a time"], ["provider", "pause", "1", "--at", "noon"],
        ] {
            let r = try CLI.run(args, db: missing)
            #expect(r.status == 65, "\(args): \(r.stderr)")
            #expect(r.stderr.hasPrefix("error: invalid date"), "\(args): \(r.stderr)")
        }
        let db = try CLI.newDatabase(dir)
        #expect(try CLI.run(["call", "show", "x1"], db: db).stderr.hasPrefix("error: no call with id 'x1'"))
        #expect(try CLI.run(["callback", "abandon", "0"], db: db).stderr.hasPrefix("error: no callback with id '0'"))
    }

    @Test("a second provider with a listed provider's phone is refused (65) unless --allow-same-phone")
    func duplicateProviders() throws {
        let dir = try TempDir()
        let db = try CLI.newDatabase(dir)
        #expect(try CLI.run(["provider", "add", "--name", "ARK", "--phone", "(303) 555-0101"], db: db).status == 0)
        let again = try CLI.run(["provider", "add", "--name", "ARK", "--phone", "3035550101"], db: db)
        #expect(again.status == 65)
        #expect(again.stderr.hasPrefix("error: provider 1 (ARK) already answers on +13035550101"))
        #expect(try CLI.run(["provider", "add", "--name", "ARK 2", "--phone", "3035550101", "--allow-same-phone"], db: db).status == 0)
        let csv = dir.path("p.csv")
        try Data("name,phone\nNew,2125550199\nCopy,3035550101\n".utf8).write(to: URL(fileURLWithPath: csv))
        let imported = try CLI.run(["import", "providers", csv], db: db)
        #expect(imported.status == 65)
        #expect(imported.stderr.contains("row 3"))
        #expect(try CLI.run(["provider", "list", "--json"], db: db).stdout.components(separatedBy: "\"id\"").count - 1 == 2)
        // A removed provider's phone is free again.
        #expect(try CLI.run(["provider", "remove", "1"], db: db).status == 0)
        #expect(try CLI.run(["provider", "remove", "2"], db: db).status == 0)
        #expect(try CLI.run(["provider", "add", "--name", "ARK new", "--phone", "3035550101"], db: db).status == 0)
    }

    @Test("the HTML report fits a phone: charts scale with the page, the table scrolls, no fixed 940 px width")
    func htmlScales() throws {
        let f = try RoutingFixture()
        _ = try f.helpline.route(to: f.helplineNumber, from: "2125550960")
        let html = try f.helpline.dailyReport(for: LocalDate(f.clock.now, in: Fixture.ny), in: Fixture.ny).html()
        #expect(!html.contains("<svg width="))
        #expect(html.components(separatedBy: "<svg class=\"chart\" viewBox=").count - 1 == 2)
        #expect(html.contains(".chart{display:block;width:100%;height:auto}"))
        #expect(html.contains("<div class=\"scroll\"><table>"))
    }

    @Test("even errors: missing input is 64 with a hint, the form's hint shows its format, the operator's own number is not masked")
    func evenErrors() throws {
        let dir = try TempDir()
        let db = try CLI.newDatabase(dir)
        let missing = try CLI.run(["provider", "add", "--name", "X"], db: db)
        #expect(missing.status == 64)
        #expect(missing.stderr == "error: phone is required\nhint: give --phone (see the command's --help)\n")
        let form = try CLI.run(["callback", "request", "--phone", "3035550126"], db: db)
        #expect(form.status == 65)
        #expect(form.stderr.contains("hint: type it exactly as (212) 555-0142"))
        let own = try CLI.run(["provider", "add", "--name", "X", "--phone", "(123) 555-0101"], db: db)
        #expect(own.status == 65)
        #expect(own.stderr.hasPrefix("error: invalid phone number '(123) 555-0101'"))
        let caller = try CLI.run(["consent", "show", "--caller", "(123) 555-0101"], db: db)
        #expect(caller.stderr.hasPrefix("error: invalid phone number '(123) ***-0101'"))
    }

    @Test("smaller things an operator trips on: ended, a resent no-answer, doctor's wording, a cap passed by listing calls")
    func operatorDetails() throws {
        let dir = try TempDir()
        let db = try CLI.seededDatabase(dir, providers: 2)
        #expect(try CLI.run(["route", "--to", "8009151270", "--from", "2125550970"], db: db).status == 0)
        #expect(try CLI.run(["call", "no-answer", "1", "--attempt", "1"], db: db).status == 0)
        let resent = try CLI.run(["call", "no-answer", "1", "--attempt", "1"], db: db)
        #expect(resent.stdout.hasPrefix("nothing changed: "))
        #expect(try CLI.json(try CLI.run(["call", "no-answer", "1", "--attempt", "1", "--json"], db: db))["repeated"] as? Bool == true)
        #expect(try CLI.run(["call", "answered", "1", "--attempt", "2"], db: db).status == 0)
        #expect(try CLI.run(["call", "ended", "1"], db: db).stdout == "call 1 ended\n")
        let doctor = try CLI.run(["doctor", "--repair"], db: db)
        #expect(doctor.stdout.hasPrefix("repaired: nothing needed repair\n"))
        #expect(doctor.stdout.contains("the 2 providers with offers match"))
        var line = DailyReport.ProviderLine(
            id: 1, name: "A", status: "active", offered: 61, firstOffers: 40, answered: 50, noAnswer: 11, answerRate: nil,
            medianSecondsToAnswer: nil, expectedOffered: 40, dailyCap: 60, dailyCapUsed: 61)
        #expect(line.dailyCapText == "60/60 + 1 listing call")
        line.dailyCapUsed = 12
        #expect(line.dailyCapText == "12/60")
    }

    @Test("a provider is a value: a copy's change never shows in the original, and equal fields are equal and hash alike")
    func providerIsAValue() {
        let original = Fixture.provider(7, weight: 3)
        var copy = original
        copy.weight = 9
        copy.sipURI = "sip:intake@example.org"
        #expect(original.weight == 3 && original.sipURI == nil)
        #expect(copy.weight == 9 && copy.sipURI == "sip:intake@example.org" && copy.id == 7)
        #expect(copy != original)
        // Built apart, with the same fields: equal, and one entry in a set.
        let twin = Fixture.provider(7, weight: 3)
        #expect(twin == original && Set([twin, original]).count == 1)
        var back = copy
        back.weight = 3
        back.sipURI = nil
        #expect(back == original && back.hashValue == original.hashValue)
    }

    @Test("a caller's keyed hash is the same from a prepared key as from a fresh one, for each key, in any order; a month starts at 00:00 UTC")
    func callerKeysPrepared() {
        let keys = [Data(repeating: 7, count: 32), Data((0..<32).map { UInt8($0) })]
        func fresh(_ text: String, _ key: Data) -> String {
            lowercaseHex(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: SymmetricKey(data: key)))
        }
        let prepared = PreparedKeys()
        for text in ["+13035550123", "+12125550199", "+13035550123"] {
            for (i, key) in keys.enumerated() {
                #expect(CallerKeys.hmac(text, key: key, prepared: prepared, period: 202_611 + i) == fresh(text, key))
            }
        }
        #expect(Set(prepared.keys) == Set(keys))
        // A month given another key (recreated after a purge) is prepared again, not reused.
        let other = Data(repeating: 9, count: 32)
        #expect(CallerKeys.hmac("+13035550123", key: other, prepared: prepared, period: 202_611) == fresh("+13035550123", other))
        #expect(CallerKeys.hmac("+13035550123", key: keys[0]) != CallerKeys.hmac("+13035550123", key: keys[1]))
        // A new month to write in drops the months before it; only a lookup brings one back.
        _ = CallerKeys.hmac("+13035550123", key: keys[0], prepared: prepared, period: 202_612, dropsOlder: true)
        #expect(prepared.keys == [keys[0]])
        #expect(CallerKeys.period(of: Date(timeIntervalSince1970: 1_796_083_199)) == 202_611)  // 2026-11-30 23:59:59Z
        #expect(CallerKeys.period(of: Date(timeIntervalSince1970: 1_796_083_200)) == 202_612)  // 2026-12-01 00:00:00Z
        #expect(CallerKeys.period(of: Date(timeIntervalSince1970: 1_798_761_599.5)) == 202_612)  // 2026-12-31 23:59:59.5Z
        #expect(CallerKeys.period(of: Date(timeIntervalSince1970: 1_798_761_600)) == 202_701)
        #expect(CallerKeys.previous(202_701) == 202_612 && CallerKeys.previous(202_612) == 202_611)
        #expect(CallerKeys.next(202_612) == 202_701 && CallerKeys.next(202_611) == 202_612)
    }
}
