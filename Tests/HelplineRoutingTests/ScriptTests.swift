import Foundation
import GRDB
import Testing

@testable import HelplineRouting

@Suite("Scripts/daily-report.sh")
struct DailyReportScriptTests {
    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Scripts/daily-report.sh").path
    }

    func runScript(_ out: String, db: String) throws -> CommandResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [Self.script, out]
        var env = ProcessInfo.processInfo.environment
        env["HELPLINE_BIN"] = CLI.binary.path
        env["HELPLINE_DB"] = db
        env["HELPLINE_TZ"] = "America/New_York"
        p.environment = env
        let err = Pipe()
        let outPipe = Pipe()
        p.standardError = err
        p.standardOutput = outPipe
        try p.run()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        let outData = outPipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return CommandResult(
            status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    @Test("writes yesterday's HTML and JSON, and a rerun replaces them")
    func writesReports() throws {
        let dir = try TempDir()
        let db = try CLI.newDatabase(dir)
        let zone = try TimeZone(iana: "America/New_York")
        let yesterday = LocalDate(Date(), in: zone).previous
        // One call yesterday at noon, so the report has something in it.
        let at = Instant.format(yesterday.start(in: zone).addingTimeInterval(12 * 3600), in: zone)
        _ = try CLI.run(["provider", "add", "--name", "A", "--phone", "3035550101"], db: db)
        _ = try CLI.run(["number", "add", "--number", "8009151270"], db: db)
        #expect(try CLI.run(["route", "--to", "8009151270", "--from", "3035550123", "--at", at], db: db).status == 0)
        let out = dir.path("reports")
        let first = try runScript(out, db: db)
        #expect(first.status == 0, "\(first.stderr)")
        let html = "\(out)/helpline-\(yesterday).html"
        let json = "\(out)/helpline-\(yesterday).json"
        #expect(try String(contentsOfFile: html, encoding: .utf8).contains("<svg"))
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        #expect(report["calls"] as? Int == 1)
        #expect(report["date"] as? String == yesterday.description)
        // Idempotent: the rerun replaces the files and leaves nothing else behind.
        let second = try runScript(out, db: db)
        #expect(second.status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).sorted() == ["helpline-\(yesterday).html", "helpline-\(yesterday).json"])
    }

    @Test("an unreadable database exits non-zero with a message and writes nothing")
    func failure() throws {
        let dir = try TempDir()
        let db = dir.path("broken.sqlite")
        try Data("not a database".utf8).write(to: URL(fileURLWithPath: db))
        let out = dir.path("reports")
        let r = try runScript(out, db: db)
        #expect(r.status != 0)
        #expect(r.stderr.contains("error: ") && r.stderr.contains("daily-report: "))
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).isEmpty)
        // A folder in place of the database fails the same way.
        let r2 = try runScript(out, db: dir.url.path)
        #expect(r2.status != 0)
    }
}

@Suite("Benchmark setup (tiny size, no timing)")
struct BenchSetupTests {
    @Test("the benchmark's 50-provider setup routes calls that pass the doctor")
    func tinyBench() throws {
        let dir = try TempDir()
        let bench = CLI.binary.deletingLastPathComponent().appendingPathComponent("helpline-bench")
        let p = Process()
        p.executableURL = bench
        p.arguments = ["profile-route", dir.path("bench.sqlite"), "20"]
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let h = try Helpline(path: dir.path("bench.sqlite"))
        #expect(try h.providers().count == 50)
        #expect(try h.providers().contains { $0.timeZone.identifier == "America/Phoenix" && $0.caps.daily != nil })
        #expect(try h.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM calls") } == 20)
        #expect(try h.doctor().isClean)
    }
}

@Suite("Installing and running like production")
struct InstallTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Runs a program with exactly `environment` (as cron does), returning its status and output.
    static func run(_ program: String, _ arguments: [String], environment: [String: String]) throws -> CommandResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: program)
        p.arguments = arguments
        p.environment = environment
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return CommandResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    @Test(
        "every script answers --help (0) and refuses an unknown flag (64)",
        arguments: [
            "daily-report.sh", "install.sh", "install-deps.sh", "render-report-png.sh", "bench.sh", "crash-test.sh", "fuzz.sh",
            "build-release.sh", "build-docs.sh",
        ])
    func scriptsAnswerHelp(script: String) throws {
        let path = Self.root.appendingPathComponent("Scripts/\(script)").path
        let env = ["PATH": "/usr/bin:/bin"]
        let help = try Self.run("/bin/bash", [path, "--help"], environment: env)
        #expect(help.status == 0, "\(script): \(help.stderr)")
        #expect(!help.stdout.isEmpty)
        let bad = try Self.run("/bin/bash", [path, "--no-such-flag"], environment: env)
        #expect(bad.status == 64, "\(script): \(bad.stderr)")
    }

    @Test("the installed layout's daily-report.sh runs under cron's bare environment; a mistyped database path is 74 and writes nothing")
    func installedDailyReportUnderCron() throws {
        let dir = try TempDir()
        let prefix = dir.path("opt/helpline")
        let install = try Self.run(
            "/bin/bash", [Self.root.appendingPathComponent("Scripts/install.sh").path, "--prefix", prefix, "--binary", CLI.binary.path],
            environment: ["PATH": "/usr/bin:/bin"])
        #expect(install.status == 0, "\(install.stderr)")
        #expect(install.stdout.contains("5 0 * * * HELPLINE_DB="))
        for file in [
            "bin/helpline", "bin/daily-report.sh", "share/bash-completion/completions/helpline", "share/doc/helpline/help/helpline.txt",
            "share/doc/helpline/help/helpline-report-daily.txt",
        ] {
            #expect(FileManager.default.fileExists(atPath: "\(prefix)/\(file)"), "\(file)")
        }
        // Idempotent.
        #expect(
            try Self.run(
                "/bin/bash", [Self.root.appendingPathComponent("Scripts/install.sh").path, "--prefix", prefix, "--binary", CLI.binary.path],
                environment: ["PATH": "/usr/bin:/bin"]
            ).status == 0)
        // A database whose zone is stored in it, with one call yesterday at noon there.
        let db = dir.path("helpline.sqlite")
        let hl = "\(prefix)/bin/helpline"
        let env = ["PATH": "/usr/bin:/bin", "HELPLINE_DB": db]
        #expect(try Self.run(hl, ["init", "--tz", "America/Los_Angeles"], environment: env).status == 0)
        #expect(try Self.run(hl, ["provider", "add", "--name", "A", "--phone", "3035550101"], environment: env).status == 0)
        #expect(try Self.run(hl, ["number", "add", "--number", "8009151270"], environment: env).status == 0)
        let zone = try TimeZone(iana: "America/Los_Angeles")
        let yesterday = LocalDate(Date(), in: zone).previous
        let noon = Instant.format(yesterday.start(in: zone).addingTimeInterval(12 * 3600), in: zone)
        #expect(try Self.run(hl, ["route", "--to", "8009151270", "--from", "3035550123", "--at", noon], environment: env).status == 0)
        let reports = dir.path("reports")
        let cron = try Self.run(
            "/usr/bin/env", ["-i", "PATH=/usr/bin:/bin", "HELPLINE_DB=\(db)", "\(prefix)/bin/daily-report.sh", reports], environment: [:])
        #expect(cron.status == 0, "\(cron.stderr)")
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(reports)/helpline-\(yesterday).json"))) as? [String: Any])
        #expect(json["time_zone"] as? String == "America/Los_Angeles")
        #expect(json["calls"] as? Int == 1)
        // A mistyped path: 74, and no report written.
        let typo = try Self.run(
            "/usr/bin/env", ["-i", "PATH=/usr/bin:/bin", "HELPLINE_DB=\(db)x", "\(prefix)/bin/daily-report.sh", dir.path("typo-reports")],
            environment: [:])
        #expect(typo.status == 74)
        #expect(typo.stderr.contains("error: no database at"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path("typo-reports")).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: db + "x"))
    }
}

@Suite("The demo and the auditor's recipe")
struct DemoAndAuditTests {
    @Test("`helpline demo` builds a day that passes doctor and replays; the Python recipe agrees with the CLI on every public figure")
    func demoAndRecipe() throws {
        let dir = try TempDir()
        let db = dir.path("demo.sqlite")
        let demo = try CLI.run(["demo", "--db", db, "--calls", "150"])
        #expect(demo.status == 0, "\(demo.stderr)")
        #expect(demo.stdout.contains("Listing reroutes: 0."))
        #expect(try CLI.run(["doctor"], db: db).status == 0)
        // The database keeps the demo's zone: its day's report needs no --tz and no $HELPLINE_TZ.
        let demoDay = LocalDate(Date(), in: Fixture.ny).previous
        let report = try CLI.json(try CLI.run(["report", "daily", "--date", demoDay.description, "--json"], db: db, env: ["HELPLINE_TZ": ""]))
        #expect(report["time_zone"] as? String == "America/New_York")
        #expect(report["calls"] as? Int == 150)
        // Listing a day in another zone prints its times in that zone.
        let list = try CLI.run(["call", "list", "--date", demoDay.description, "--tz", "America/Denver"], db: db, env: ["HELPLINE_TZ": ""])
        #expect(list.stdout.contains("-07:00") && !list.stdout.contains("Z "))
        let lastCall = try Helpline(path: db).read { try Int64.fetchOne($0, sql: "SELECT max(id) FROM calls") } ?? 0
        #expect(try CLI.run(["call", "replay", String(lastCall)], db: db).status == 0)
        // The recipe and the CLI, over the same window ending at the same instant.
        let end = Date(epochMilliseconds: Date().epochMilliseconds)
        let recipe = try InstallTests.run(
            "/usr/bin/env",
            ["python3", InstallTests.root.appendingPathComponent("Scripts/audit-recipe.py").path, db, "--at", String(end.epochMilliseconds)],
            environment: ["PATH": "/usr/bin:/bin:/usr/local/bin"])
        #expect(recipe.status == 0, "\(recipe.stderr)")
        let figures = try #require(try JSONSerialization.jsonObject(with: Data(recipe.stdout.utf8)) as? [String: Any])
        let stats = try CLI.json(try CLI.run(["stats", "--json", "--at", Instant.format(end, in: Fixture.ny)], db: db))
        let banner = try #require(figures["banner"] as? [String: Any])
        #expect(banner["n"] as? Int == stats["denominator"] as? Int)
        #expect(banner["responded"] as? Int == stats["numerator"] as? Int)
        #expect(banner["median_response_seconds"] as? Double == stats["median_response_seconds"] as? Double)
        #expect((stats["denominator"] as? Int ?? 0) > 100)
        #expect(figures["listing_reroutes"] as? Int == 0)
        #expect(figures["consent_chain_intact"] as? Bool == true)
        let day = LocalDate(end, in: Fixture.ny).previous
        let neutrality = try CLI.json(
            try CLI.run(["report", "neutrality", "--from", day.previous.description, "--to", day.next.description, "--json"], db: db))
        let recipeLines = try #require(figures["neutrality"] as? [String: [String: Any]])
        for line in try #require(neutrality["providers"] as? [[String: Any]]) {
            let id = String(try #require(line["id"] as? Int))
            #expect(recipeLines[id]?["first_offers"] as? Int == line["offered"] as? Int, "provider \(id)")
            #expect(recipeLines[id]?["entitled"] as? Double == line["entitled"] as? Double, "provider \(id)")
        }
    }
}

@Suite("The README")
struct ReadmeTests {
    @Test("the operator walkthrough runs as written, every line, with `helpline` on PATH")
    func walkthroughRuns() throws {
        let readme = try String(contentsOf: InstallTests.root.appendingPathComponent("README.md"), encoding: .utf8)
        let start = try #require(readme.range(of: "## Operator walkthrough"))
        let end = try #require(readme.range(of: "## Linking the library"))
        let section = readme[start.upperBound..<end.lowerBound]
        var script = ""
        for block in section.components(separatedBy: "```sh\n").dropFirst() {
            script += (block.components(separatedBy: "```").first ?? "") + "\n"
        }
        #expect(script.contains("helpline route"))
        // The first line builds and puts the debug binary on PATH; the test has built it already.
        let dir = try TempDir()
        try FileManager.default.createDirectory(atPath: dir.path("docs"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: InstallTests.root.appendingPathComponent("docs/examples").path, toPath: dir.path("docs/examples"))
        let lines = script.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first?.hasPrefix("swift build && export PATH=") == true)
        let body = (["cd '\(dir.url.path)'", "export PATH='\(CLI.binary.deletingLastPathComponent().path)':$PATH"] + lines.dropFirst())
            .joined(separator: "\n")
        let r = try InstallTests.run("/bin/bash", ["-e", "-c", body], environment: ["PATH": "/usr/bin:/bin", "HOME": dir.url.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("imported 3 providers"))
        #expect(FileManager.default.fileExists(atPath: dir.path("report.html")))
    }
}
