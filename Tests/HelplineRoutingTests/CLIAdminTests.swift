import Foundation
import Testing

@testable import HelplineRouting

func sha256Of(_ s: String) -> String { sha256Hex(s) }

@Suite("helpline CLI: admin commands end to end")
struct CLIAdminTests {
    @Test("the README walkthrough: 3 providers, a listing, a helpline number and the terms")
    func walkthrough() throws {
        let dir = try TempDir()
        let db = dir.path("walk.sqlite")
        #expect(try CLI.run(["init"], db: db).stdout.hasPrefix("schema version "))
        let ids = try [
            ["--name", "ARK Behavioral Health", "--phone", "(303) 555-0101", "--tz", "America/Denver", "--weight", "2"],
            [
                "--name", "Recovery Helpline", "--phone", "2125550142", "--tz", "America/New_York", "--hours", "mon-fri 08:00-20:00; sat 10:00-14:00",
                "--states", "NY,NJ",
            ],
            ["--name", "Alli Addiction Services", "--phone", "+16175550177", "--tz", "America/New_York", "--daily-cap", "25", "--priority", "2"],
        ].map { args -> String in
            let r = try CLI.run(["provider", "add"] + args, db: db)
            #expect(r.status == 0, "\(r.stderr)")
            return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(ids == ["1", "2", "3"])
        let listing = try CLI.run(["listing", "add", "--name", "ARK Denver", "--number", "(888) 555-0199", "--provider", "1", "--json"], db: db)
        #expect(listing.status == 0)
        let listingJSON = try CLI.json(listing)
        #expect(listingJSON["id"] as? Int == 1)
        #expect(listingJSON["number"] as? String == "+18885550199")
        let number = try CLI.run(["number", "add", "--number", "(800) 915-1270", "--name", "Main helpline"], db: db)
        #expect(number.status == 0 && number.stdout == "1\n")
        try Data("By calling the helpline you agree to these terms.\n".utf8).write(to: dir.url.appendingPathComponent("terms.txt"))
        let terms = try CLI.run(["terms", "publish", "--file", dir.path("terms.txt"), "--json"], db: db)
        #expect(try CLI.json(terms)["version"] as? Int == 1)
        #expect(
            (try CLI.json(terms)["sha256"] as? String) == sha256Of("By calling the helpline you agree to these terms.\n")
        )

        let list = try CLI.run(["provider", "list"], db: db)
        #expect(list.stdout.contains("Alli Addiction Services"))
        #expect(list.stdout.contains("mon-fri 08:00-20:00; sat 10:00-14:00"))
        let providers =
            try JSONSerialization.jsonObject(with: Data(try CLI.run(["provider", "list", "--json"], db: db).stdout.utf8)) as? [[String: Any]]
        #expect(providers?.map { $0["name"] as? String } == ["ARK Behavioral Health", "Recovery Helpline", "Alli Addiction Services"])
        #expect(providers?[2]["daily_cap"] as? Int == 25)
        let show = try CLI.json(try CLI.run(["number", "show", "8009151270", "--json"], db: db))
        #expect(show["all_providers"] as? Bool == true)
        #expect(show["max_attempts"] as? Int == 3)
    }

    @Test func hereAndEnvironmentChooseTheDatabase() throws {
        let dir = try TempDir()
        #expect(try CLI.run(["init"], db: dir.path("env.sqlite")).status == 0)
        let viaEnv = try CLI.run(["provider", "add", "--name", "A", "--phone", "2125550142"], db: dir.path("env.sqlite"))
        #expect(viaEnv.status == 0)
        let viaFlag = try CLI.run(["provider", "list", "--db", dir.path("env.sqlite"), "--json"])
        #expect(viaFlag.stdout.contains("+12125550142"))
        #expect(FileManager.default.fileExists(atPath: dir.path("env.sqlite")))
    }

    @Test(
        "bad input exits 65 with error and hint lines",
        arguments: [
            ["provider", "add", "--name", "X", "--phone", "555-0101"],
            ["provider", "add", "--name", "X", "--phone", "2125550142", "--hours", "mon-fri 9-5"],
            ["provider", "add", "--name", "X", "--phone", "2125550142", "--tz", "EST"],
            ["provider", "add", "--name", "X", "--phone", "2125550142", "--states", "NY,ZZ"],
            ["provider", "add", "--name", "X", "--phone", "2125550142", "--weight", "101"],
            ["provider", "add", "--name", "X", "--phone", "2125550142", "--daily-cap=-3"],
            ["provider", "show", "42"],
            ["provider", "pause", "abc"],
            ["listing", "add", "--name", "L", "--number", "8885550199", "--provider", "42"],
            ["number", "show", "8005550100"],
            ["number", "add", "--number", "8005550101", "--strategy", "highest-bidder"],
            ["terms", "show", "7"],
        ])
    func badData(arguments: [String]) throws {
        let dir = try TempDir()
        let r = try CLI.run(arguments, db: try CLI.newDatabase(dir))
        #expect(r.status == 65, "\(arguments): \(r.stderr)")
        #expect(r.stderr.hasPrefix("error: "))
        #expect(r.stdout.isEmpty)
    }

    @Test(
        "bad usage exits 64",
        arguments: [["route", "--nonsense"], ["provider", "add", "--name"], ["frobnicate"], ["provider", "add", "--bogus", "1"]])
    func badUsage(arguments: [String]) throws {
        let dir = try TempDir()
        let r = try CLI.run(arguments, db: dir.path("h.sqlite"))
        #expect(r.status == 64)
        #expect(r.stderr.hasPrefix("error: "))
        #expect(r.stderr.contains("\nhint: "))
    }

    @Test func unreadableCorruptAndForeignDatabasesExit74() throws {
        let dir = try TempDir()
        let notDB = dir.path("notes.sqlite")
        try Data("hello".utf8).write(to: URL(fileURLWithPath: notDB))
        let r1 = try CLI.run(["provider", "list"], db: notDB)
        #expect(r1.status == 74)
        #expect(r1.stderr.hasPrefix("error: ") && r1.stderr.contains("not an SQLite database"))

        let r2 = try CLI.run(["init"], db: dir.url.path)  // a folder, not a file
        #expect(r2.status == 74)
        let r3 = try CLI.run(["init"], db: dir.path("no/such/folder/h.sqlite"))
        #expect(r3.status == 74)
        #expect(r3.stderr.contains("does not exist"))

        let corrupt = dir.path("corrupt.sqlite")
        #expect(try CLI.run(["init"], db: corrupt).status == 0)
        let handle = try #require(FileHandle(forUpdatingAtPath: corrupt))
        try handle.seek(toOffset: 100)
        handle.write(Data(repeating: 0x5A, count: 3000))
        try handle.close()
        let r4 = try CLI.run(["provider", "list"], db: corrupt)
        #expect(r4.status == 74, "\(r4.stderr)")
        #expect(r4.stderr.hasPrefix("error: "))
    }

    @Test("only init and demo create a database; every other command refuses a missing file with 74")
    func missingDatabaseIsRefused() throws {
        let dir = try TempDir()
        let typo = dir.path("helpline.sqllite")
        for args in [["report", "daily"], ["provider", "list"], ["route", "--to", "8009151270", "--from", "2125550100"], ["doctor"]] {
            let r = try CLI.run(args, db: typo)
            #expect(r.status == 74, "\(args): \(r.stderr)")
            #expect(r.stderr == "error: no database at \(typo)\nhint: run 'helpline init' (or set --db / HELPLINE_DB)\n")
            #expect(!FileManager.default.fileExists(atPath: typo))
        }
        // The shared options may come before the subcommand.
        #expect(try CLI.run(["--db", typo, "init"]).status == 0)
        #expect(try CLI.run(["--db", typo, "provider", "list"]).status == 0)
        #expect(try CLI.run(["--db=\(typo)", "route", "--to", "8009151270", "--from", "2125550100"]).status == 65)
        let version = try CLI.run(["--version"])
        #expect(version.status == 0 && version.stdout.hasPrefix("helpline "))
    }

    @Test func importNamesTheBadRowAndWritesNothing() throws {
        let dir = try TempDir()
        let db = try CLI.newDatabase(dir, "h.sqlite")
        let csv = dir.path("providers.csv")
        try Data("name,phone,hours\nA,2125550142,24/7\nB,2125550143,mon-fri 25:00-26:00\n".utf8).write(to: URL(fileURLWithPath: csv))
        let r = try CLI.run(["import", "providers", csv], db: db)
        #expect(r.status == 65)
        #expect(r.stderr.contains("row 3, field hours"))
        let listed = try JSONSerialization.jsonObject(with: Data(try CLI.run(["provider", "list", "--json"], db: db).stdout.utf8))
        #expect((listed as? [Any])?.isEmpty == true)
        try Data("name,phone,hours\nA,2125550142,24/7\nB,2125550143,\"sat 10:00-14:00\"\n".utf8).write(to: URL(fileURLWithPath: csv))
        let ok = try CLI.run(["import", "providers", csv], db: db)
        #expect(ok.status == 0)
        #expect(ok.stdout.contains("imported 2 providers"))
        #expect(try CLI.run(["import", "providers", dir.path("missing.csv")], db: db).status == 74)
    }

    @Test func migrateStatusListsAppliedMigrations() throws {
        let dir = try TempDir()
        let db = dir.path("h.sqlite")
        // An empty file: a database with nothing applied yet.
        #expect(FileManager.default.createFile(atPath: db, contents: nil, attributes: [.posixPermissions: 0o600]))
        let r = try CLI.run(["migrate", "--status", "--json"], db: db)
        let json = try CLI.json(r)
        #expect((json["migrations"] as? [[String: Any]])?.allSatisfy { $0["state"] as? String == "pending" } == true)
        _ = try CLI.run(["migrate"], db: db)
        let after = try CLI.json(try CLI.run(["migrate", "--status", "--json"], db: db))
        #expect(after["schema_version"] as? Int == after["code_version"] as? Int)
    }
}
