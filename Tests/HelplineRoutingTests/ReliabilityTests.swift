import Foundation
import GRDB
import Testing

@testable import HelplineRouting

@Suite("Doctor and purge")
struct DoctorPurgeTests {
    @Test("doctor is clean after routing, catches counters that drift, and repairs them")
    func doctorRecount() throws {
        let f = try RoutingFixture()
        for n in 0..<12 {
            let r = try f.helpline.route(to: n % 4 == 0 ? f.listingNumber : f.helplineNumber, from: "21255503\(String(format: "%02d", n))")
            if n % 3 == 0 { _ = try f.helpline.noAnswer(callID: r.callID) }
        }
        #expect(try f.helpline.doctor().isClean)
        try f.helpline.write { db in
            try db.execute(sql: "UPDATE provider_live SET day_offered = day_offered + 5 WHERE provider_id = ?", arguments: [f.b.id])
        }
        let broken = try f.helpline.doctor()
        #expect(!broken.isClean)
        #expect(broken.checks.first { $0.name == "live counters = recount" }?.ok == false)
        let repaired = try f.helpline.doctor(repair: true)
        #expect(repaired.isClean)
        #expect(repaired.repaired.contains { $0.contains("provider \(f.b.id)") })
    }

    @Test("doctor reports a broken consent chain and a loose file mode")
    func doctorLedgerAndModes() throws {
        let f = try RoutingFixture()
        _ = try f.helpline.route(to: f.helplineNumber, from: "2125550301")
        let outside = try DatabaseQueue(path: f.helpline.path)
        try outside.write { db in
            try db.execute(sql: "DROP TRIGGER consent_records_no_update")
            try db.execute(sql: "UPDATE consent_records SET note = 'edited'")
        }
        try outside.close()
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: f.helpline.path)
        let report = try f.helpline.doctor()
        #expect(report.checks.first { $0.name == "consent chain" }?.ok == false)
        #expect(report.checks.first { $0.name == "file modes 0600" }?.ok == false)
        #expect(try f.helpline.doctor(repair: true).checks.first { $0.name == "file modes 0600" }?.ok == true)
    }

    @Test("purge redacts numbers before the date; reports and the consent chain are unchanged")
    func purge() throws {
        let f = try RoutingFixture(start: "2026-11-01T12:00:00-05:00")
        let old = try f.helpline.route(to: f.helplineNumber, from: "2125550401")
        _ = try f.helpline.noAnswer(callID: old.callID)
        _ = try f.helpline.noAnswer(callID: old.callID)
        let pending = try f.helpline.noAnswer(callID: old.callID)
        let oldAnswered = try f.helpline.route(to: f.helplineNumber, from: "2125550402")
        try f.helpline.answered(callID: oldAnswered.callID)
        try f.helpline.ended(callID: oldAnswered.callID)
        let form = try f.helpline.requestCallback(phoneField: "(212) 555-0403")
        try f.helpline.completeCallback(id: form.id, providerID: f.a.id)
        try f.clock.set("2026-11-20T12:00:00-05:00")
        let recent = try f.helpline.route(to: f.helplineNumber, from: "2125550404")
        let day = try LocalDate(parsing: "2026-11-01")
        let reportBefore = try f.helpline.dailyReport(for: day, in: Fixture.ny).render(.json)

        let dry = try f.helpline.purge(before: instant("2026-11-10T00:00:00Z"), dryRun: true)
        #expect((dry.calls, dry.callbacks, dry.pendingKept) == (2, 1, 1))
        #expect(try f.helpline.call(id: old.callID).caller != nil)
        let done = try f.helpline.purge(before: instant("2026-11-10T00:00:00Z"))
        #expect((done.calls, done.callbacks) == (2, 1))
        #expect(try f.helpline.call(id: old.callID).caller == nil)
        #expect(try f.helpline.call(id: recent.callID).caller?.e164 == "+12125550404")
        // The pending callback keeps its number: it still has to be returned.
        #expect(try f.helpline.callbacks(pendingOnly: true).first { $0.id == pending.callbackID }?.phone != nil)
        #expect(try f.helpline.dailyReport(for: day, in: Fixture.ny).render(.json) == reportBefore)
        #expect(try f.helpline.verifyConsent().isIntact)
        #expect(try f.helpline.consentProof(caller: try phone("2125550401")).records.count == 1)
        #expect(try f.helpline.doctor().isClean)
        // No number before the date is left in the file's pages.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: f.helpline.path))
        #expect(bytes.range(of: Data("+12125550402".utf8)) == nil)
    }
}

@Suite("Faults")
struct FaultTests {
    @Test("a lock held past the busy timeout gives a clear busy error quickly, not a hang")
    func busyTimeout() throws {
        let dir = try TempDir()
        let db = try CLI.newDatabase(dir, "h.sqlite")
        #expect(try CLI.run(["number", "add", "--number", "8009151270"], db: db).status == 0)
        // Another process holds the write lock for 3 s.
        let holder = try CLI.holdTransaction(db, "BEGIN IMMEDIATE; INSERT INTO rejected_requests (at, reason) VALUES (0, 'lock')")
        let started = Date()
        let r = try CLI.run(["provider", "add", "--name", "A", "--phone", "3035550101", "--busy-timeout", "0.5"], db: db)
        let elapsed = Date().timeIntervalSince(started)
        holder.waitUntilExit()
        #expect(r.status == 69, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("error: ") && r.stderr.contains("locked"))
        #expect(elapsed < 2.5)
        #expect(try CLI.run(["provider", "add", "--name", "A", "--phone", "3035550101"], db: db).status == 0)
    }

    @Test("a truncated file is reported (exit 74) and nothing crashes")
    func truncated() throws {
        let dir = try TempDir()
        let db = try CLI.newDatabase(dir)
        for n in 0..<30 { _ = try CLI.run(["provider", "add", "--name", "P\(n)", "--phone", "30355501\(String(format: "%02d", n))"], db: db) }
        let size = try #require(try FileManager.default.attributesOfItem(atPath: db)[.size] as? Int)
        let handle = try #require(FileHandle(forUpdatingAtPath: db))
        try handle.truncate(atOffset: UInt64(size / 2))
        try handle.close()
        let r = try CLI.run(["doctor"], db: db)
        #expect(r.status == 74, "\(r.status) \(r.stderr)")  // damage is an I/O error, never "bad data"
        #expect(r.stderr.hasPrefix("error: "))
    }

    @Test("database files are mode 0600, WAL and SHM included")
    func fileModes() throws {
        let dir = try TempDir()
        let db = dir.path("h.sqlite")
        let h = try Helpline(path: db)
        try h.addHelplineNumber(try phone("8009151270"))
        for file in [db, db + "-wal", db + "-shm"] {
            let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(file)")
        }
    }

    @Test("a full disk exits 74, leaves the database intact, and work resumes when space returns")
    func fullDisk() throws {
        guard getuid() == 0 else { return }  // Mounting a small tmpfs needs root; CI runs as root.
        let dir = try TempDir()
        let mountPoint = dir.path("small")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mount = try CLI.shell("mount -t tmpfs -o size=1500k tmpfs '\(mountPoint)'")
        guard mount == 0 else {
            Issue.record("could not mount a tmpfs to fill")
            return
        }
        defer { _ = try? CLI.shell("umount '\(mountPoint)'") }
        let db = mountPoint + "/h.sqlite"
        #expect(try CLI.run(["init"], db: db).status == 0)
        #expect(try CLI.run(["provider", "add", "--name", "A", "--phone", "3035550101"], db: db).status == 0)
        #expect(try CLI.run(["number", "add", "--number", "8009151270"], db: db).status == 0)
        // Fill the disk, then route until the disk says no.
        _ = try CLI.shell("dd if=/dev/zero of='\(mountPoint)/filler' bs=4k count=10000 2>/dev/null")
        var sawFull = false
        for n in 0..<400 {
            let r = try CLI.run(["route", "--to", "8009151270", "--from", "30355502\(String(format: "%02d", n % 100))"], db: db)
            if r.status != 0 {
                #expect(r.status == 74, "\(r.stderr)")
                #expect(r.stderr.hasPrefix("error: "))
                sawFull = true
                break
            }
        }
        #expect(sawFull)
        try FileManager.default.removeItem(atPath: mountPoint + "/filler")
        #expect(try CLI.run(["route", "--to", "8009151270", "--from", "3035550299"], db: db).status == 0)
        let doctor = try CLI.run(["doctor"], db: db)
        #expect(doctor.status == 0, "\(doctor.stdout)\(doctor.stderr)")
    }

    @Test("an unwritable folder or file fails with exit 74")
    func readOnly() throws {
        guard getuid() == 0 else { return }
        let dir = try TempDir()
        let mountPoint = dir.path("ro")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        guard try CLI.shell("mount -t tmpfs -o size=2m tmpfs '\(mountPoint)'") == 0 else {
            Issue.record("could not mount a tmpfs")
            return
        }
        defer { _ = try? CLI.shell("umount '\(mountPoint)'") }
        let db = mountPoint + "/h.sqlite"
        #expect(try CLI.run(["init"], db: db).status == 0)
        #expect(try CLI.run(["number", "add", "--number", "8009151270"], db: db).status == 0)
        #expect(try CLI.shell("mount -o remount,ro '\(mountPoint)'") == 0)
        let write = try CLI.run(["provider", "add", "--name", "A", "--phone", "3035550101"], db: db)
        #expect(write.status == 74, "\(write.stderr)")
        #expect(write.stderr.hasPrefix("error: "))
        let fresh = try CLI.run(["init"], db: mountPoint + "/new.sqlite")
        #expect(fresh.status == 74, "\(fresh.stderr)")
    }
}
