import Foundation
import Testing

@testable import HelplineRouting

@Suite("helpline CLI: routing, calls, callbacks and consent end to end")
struct CLIRoutingTests {
    func setUp(_ dir: TempDir, terms: Bool = true) throws -> String {
        let db = try CLI.newDatabase(dir, "h.sqlite")
        for args in [
            ["provider", "add", "--name", "ARK", "--phone", "3035550101"],
            ["provider", "add", "--name", "Recovery", "--phone", "2125550102"],
            ["number", "add", "--number", "(800) 915-1270"],
            ["listing", "add", "--name", "ARK Denver", "--number", "8885550199", "--provider", "1"],
        ] {
            let r = try CLI.run(args, db: db)
            #expect(r.status == 0, "\(args): \(r.stderr)")
        }
        if terms {
            try Data("Terms\n".utf8).write(to: dir.url.appendingPathComponent("terms.txt"))
            #expect(try CLI.run(["terms", "publish", "--file", dir.path("terms.txt")], db: db).status == 0)
        }
        return db
    }

    @Test("route --json has the contract's fields, and no-answer prints the next offer in the same shape")
    func routeJSON() throws {
        let dir = try TempDir()
        let db = try setUp(dir)
        let r = try CLI.run(["route", "--to", "8009151270", "--from", "(303) 555-0123", "--caller-state", "CO", "--json"], db: db)
        #expect(r.status == 0, "\(r.stderr)")
        let json = try CLI.json(r)
        for key in ["call_id", "kind", "outcome", "provider", "fallbacks", "sticky", "strategy", "candidates", "callback_id", "consent"] {
            #expect(json.keys.contains(key), "missing \(key)")
        }
        #expect(json["kind"] as? String == "pool")
        #expect(json["outcome"] as? String == "offer")
        #expect(json["strategy"] as? String == "weighted-round-robin")
        #expect((json["provider"] as? [String: Any])?["phone"] as? String == "+13035550101")
        #expect(json["fallbacks"] as? [Int] == [2])
        #expect((json["consent"] as? [String: Any])?["terms_version"] as? Int == 1)
        let candidates = try #require(json["candidates"] as? [[String: Any]])
        #expect(candidates.map { $0["share"] as? Double } == [0.5, 0.5])
        let callID = try #require(json["call_id"] as? String)

        let next = try CLI.json(try CLI.run(["call", "no-answer", callID, "--attempt", "1", "--json"], db: db))
        #expect(next["outcome"] as? String == "offer")
        #expect((next["provider"] as? [String: Any])?["id"] as? Int == 2)
        let again = try CLI.run(["call", "no-answer", callID, "--attempt", "1", "--json"], db: db)
        #expect(again.status == 0)
        #expect(try CLI.json(again)["attempt"] as? Int == 2)
        #expect(try CLI.run(["call", "answered", callID], db: db).status == 0)
        #expect(try CLI.run(["call", "answered", callID], db: db).status == 0)
        let contradiction = try CLI.run(["call", "no-answer", callID], db: db)
        #expect(contradiction.status == 65)
        #expect(contradiction.stderr.hasPrefix("error: "))
        #expect(try CLI.run(["call", "ended", callID], db: db).status == 0)
        let show = try CLI.run(["call", "show", callID], db: db)
        #expect(show.stdout.contains("no-answer") && show.stdout.contains("answered"))
        let list = try CLI.run(["call", "list", "--date", "today", "--json"], db: db)
        #expect(list.status == 0)
        #expect((try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [Any])?.count == 1)
    }

    @Test func unknownNumberAndBadInput() throws {
        let dir = try TempDir()
        let db = try setUp(dir)
        let r = try CLI.run(["route", "--to", "8005550100", "--from", "3035550123"], db: db)
        #expect(r.status == 65)
        #expect(r.stderr.contains("unroutable call"))
        #expect(try CLI.run(["route", "--to", "8009151270", "--from", "555"], db: db).status == 0)  // logged as withheld
        #expect(try CLI.run(["call", "answered", "12345"], db: db).status == 65)
        #expect(try CLI.run(["call", "answered", "abc"], db: db).status == 65)
        #expect(try CLI.run(["route", "--nonsense"], db: db).status == 64)
    }

    @Test("no terms: routed, with a warning on stderr")
    func noTermsWarns() throws {
        let dir = try TempDir()
        let db = try setUp(dir, terms: false)
        let r = try CLI.run(["route", "--to", "8009151270", "--from", "3035550123", "--json"], db: db)
        #expect(r.status == 0)
        #expect(r.stderr.contains("warning: no terms"))
        #expect((try CLI.json(r)["consent"] as? [String: Any])?["terms_version"] is NSNull)
    }

    @Test("callbacks: the form, the honeypot, the queue")
    func callbacks() throws {
        let dir = try TempDir()
        let db = try setUp(dir)
        let bot = try CLI.run(["callback", "request", "--phone", "(303) 555-0126", "--honeypot", "filled"], db: db)
        #expect(bot.status == 65)
        #expect(bot.stderr.contains("honeypot"))
        #expect(try CLI.run(["callback", "request", "--phone", "303-555-0126"], db: db).status == 65)
        let ok = try CLI.run(["callback", "request", "--phone", "(303) 555-0126"], db: db)
        #expect(ok.status == 0 && ok.stdout == "1\n")
        let pending =
            try JSONSerialization.jsonObject(with: Data(try CLI.run(["callback", "list", "--pending", "--json"], db: db).stdout.utf8))
            as? [[String: Any]]
        #expect(pending?.count == 1)
        #expect(pending?.first?["phone"] as? String == "+13035550126")
        #expect(try CLI.run(["callback", "complete", "1", "--provider", "2"], db: db).status == 0)
        #expect(try CLI.run(["callback", "abandon", "1"], db: db).status == 65)
        #expect(try CLI.run(["callback", "complete", "7", "--provider", "2"], db: db).status == 65)
    }

    @Test("consent verify passes, then catches an edit made with the sqlite3 shell")
    func consentVerifyAndTamper() throws {
        let dir = try TempDir()
        let db = try setUp(dir)
        for n in 0..<3 { _ = try CLI.run(["route", "--to", "8009151270", "--from", "303555012\(n)"], db: db) }
        let ok = try CLI.run(["consent", "verify"], db: db)
        #expect(ok.status == 0 && ok.stdout.contains("3 records"))
        let proof = try CLI.json(try CLI.run(["consent", "show", "--caller", "3035550121", "--json"], db: db))
        #expect((proof["records"] as? [Any])?.count == 1)
        let revoke = try CLI.run(["consent", "revoke", "--caller", "3035550121"], db: db)
        #expect(revoke.status == 0)
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        sqlite.arguments = [
            "sqlite3", db, "DROP TRIGGER consent_records_no_update; UPDATE consent_records SET recorded_at = recorded_at + 1 WHERE seq = 2;",
        ]
        try sqlite.run()
        sqlite.waitUntilExit()
        #expect(sqlite.terminationStatus == 0)
        let bad = try CLI.run(["consent", "verify"], db: db)
        #expect(bad.status == 65)
        #expect(bad.stderr.contains("record 2"))
    }
}
