import Foundation
import GRDB
import Testing

@testable import HelplineRouting

/// The database and the reports are files other people's tools touch: modes, symlinks, FIFOs,
/// devices and full disks must never turn into a silent success or a leak.
@Suite("Files: modes, links, FIFOs, devices")
struct FileSafetyTests {
    static func mode(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) & 0o777
    }

    @Test("a world-readable file (touch, then init) becomes 0600, with its -wal and -shm")
    func touchedFileBecomesPrivate() throws {
        let dir = try TempDir()
        let db = dir.path("x.db")
        #expect(FileManager.default.createFile(atPath: db, contents: nil, attributes: [.posixPermissions: 0o644]))
        #expect(try CLI.run(["init"], db: db).status == 0)
        #expect(try CLI.run(["number", "add", "--number", "8009151270"], db: db).status == 0)
        for file in [db, db + "-wal", db + "-shm"] where FileManager.default.fileExists(atPath: file) {
            #expect(try Self.mode(file) == 0o600, "\(file)")
        }
        // A -wal left loose by another tool is made private at the next open.
        let h = try Helpline(path: db)
        try h.addHelplineNumber(try phone("8009151271"))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: db + "-wal")
        #expect(try CLI.run(["provider", "list"], db: db).status == 0)
        #expect(try Self.mode(db + "-wal") == 0o600)
    }

    @Test("a dangling symlink as --db creates a private WAL database at its target")
    func danglingSymlink() throws {
        let dir = try TempDir()
        let link = dir.path("link.db")
        let target = dir.path("real.db")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "real.db")
        #expect(try CLI.run(["init"], db: link).status == 0)
        #expect(try Self.mode(target) == 0o600)
        let h = try Helpline(path: link)
        #expect(h.path == target)
        #expect(try h.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
        // The link is judged as its file: doctor is clean, not stuck on the link's own mode.
        let doctor = try CLI.run(["doctor"], db: link)
        #expect(doctor.status == 0, "\(doctor.stdout)\(doctor.stderr)")
    }

    @Test("a FIFO as --db is refused at once (74), not waited on forever")
    func fifoRefused() throws {
        let dir = try TempDir()
        let fifo = dir.path("pipe.db")
        #expect(mkfifo(fifo, 0o600) == 0)
        let r = try CLI.run(["provider", "list"], db: fifo)
        #expect(r.status == 74)
        #expect(r.stderr.contains("not a regular file"))
    }

    @Test("--out refuses symlinks, FIFOs and devices (74); a full stdout fails the command")
    func outTargets() throws {
        let dir = try TempDir()
        let db = try CLI.newDatabase(dir)
        let elsewhere = dir.path("elsewhere.txt")
        try Data("keep\n".utf8).write(to: URL(fileURLWithPath: elsewhere))
        let link = dir.path("report.html")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: elsewhere)
        let viaLink = try CLI.run(["report", "daily", "--format", "html", "--out", link], db: db)
        #expect(viaLink.status == 74)
        #expect(viaLink.stderr.hasPrefix("error: cannot write \(link): it exists and is not a regular file"))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == elsewhere)
        #expect(try String(contentsOfFile: elsewhere, encoding: .utf8) == "keep\n")
        let device = try CLI.run(["report", "daily", "--out", "/dev/full"], db: db)
        #expect(device.status == 74)
        #expect(!device.stderr.contains("database"))
        #expect(try CLI.shell("test -c /dev/full") == 0)
        // A regular file is still replaced, atomically.
        #expect(try CLI.run(["report", "daily", "--out", dir.path("r.txt")], db: db).status == 0)
        #expect(try CLI.run(["report", "daily", "--out", dir.path("r.txt")], db: db).status == 0)
        // Standard output that can't be written is a failure.
        let hl = CLI.binary.path
        #expect(try CLI.shell("HELPLINE_DB='\(db)' '\(hl)' report daily >/dev/full 2>/dev/null") == 74)
    }

    @Test("a wrong-typed value is exit 74 naming table, row and column, for call show and doctor; never a crash")
    func wrongTypedColumn() throws {
        let f = try RoutingFixture()
        for n in 1...3 { _ = try f.helpline.route(to: f.helplineNumber, from: "212555060\(n)") }
        try CLI.outside(f.helpline.path, "UPDATE attempts SET offered_at = 'x' WHERE call_id = 2")
        let attemptRow = try f.helpline.read { try Int64.fetchOne($0, sql: "SELECT id FROM attempts WHERE call_id = 2") } ?? 0
        let expected = "attempts row \(attemptRow), column offered_at is text, not integer"
        for args in [["call", "show", "2"], ["doctor"], ["doctor", "--repair"], ["call", "answered", "2"]] {
            let r = try CLI.run(args, db: f.helpline.path)
            #expect(r.status == 74, "\(args): \(r.status) \(r.stderr)")
            #expect(r.stderr.hasPrefix("error: ") && r.stderr.contains(expected), "\(args): \(r.stderr)")
        }
        // The other calls still read.
        #expect(try CLI.run(["call", "show", "1"], db: f.helpline.path).status == 0)
        #expect(throws: StoreError.self) { try f.helpline.call(id: 2) }
    }

    @Test("an outside edit of a call this process created and trusts is still an error on its next event, never a crash")
    func outsideEditOfATrustedCall() throws {
        let f = try RoutingFixture()
        let r = try f.helpline.route(to: f.helplineNumber, from: "2125550631")
        f.clock.advance(seconds: 1)
        try f.helpline.answered(callID: r.callID)
        try CLI.outside(f.helpline.path, "UPDATE attempts SET answered_at = 'x' WHERE call_id = \(r.callID)")
        f.clock.advance(seconds: 30)
        #expect(throws: StoreError.self) { try f.helpline.ended(callID: r.callID) }
        // A call routed after the edit is trusted and its events work.
        let next = try f.helpline.route(to: f.helplineNumber, from: "2125550632")
        f.clock.advance(seconds: 1)
        #expect(try f.helpline.answered(callID: next.callID).status == .connected)
    }

    @Test("doctor --repair converts a wrong-typed value that converts without loss, and leaves the rest to a person")
    func repairConvertibleValues() throws {
        let f = try RoutingFixture()
        for n in 1...2 { _ = try f.helpline.route(to: f.helplineNumber, from: "212555061\(n)") }
        // SQLite's affinity turns '42' into 42 by itself; a BLOB stays a BLOB.
        try CLI.outside(
            f.helpline.path, "UPDATE calls SET caller_sha256 = CAST(caller_sha256 AS BLOB), dialed = CAST(dialed AS BLOB) WHERE id = 1",
            "UPDATE attempts SET offered_at = offered_at + 0.5 WHERE call_id = 2")
        #expect(try f.helpline.doctor().checks.first { $0.name == "column types" }?.ok == false)
        let repaired = try f.helpline.doctor(repair: true)
        #expect(repaired.repaired.contains("converted 2 values stored with the wrong type"))
        // The half millisecond can't be converted without loss: it is left, and named.
        #expect(repaired.checks.first { $0.name == "column types" }?.detail.contains("column offered_at is real") == true)
        #expect(try f.helpline.call(id: 1).attempts.count == 1)
    }
}
