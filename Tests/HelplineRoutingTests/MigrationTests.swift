import Foundation
import GRDB
import Testing

@testable import HelplineRouting

@Suite("Migrations and opening")
struct MigrationTests {
    @Test func emptyDatabaseIsCreatedMigratedAndPrivate() throws {
        let dir = try TempDir()
        let h = try openHelpline(dir)
        let status = try h.migrationStatus()
        #expect(status.schemaVersion == Migration.codeVersion)
        #expect(status.pending.isEmpty)
        #expect(Migration.shipped.count == EmbeddedMigrationCount.value)
        let mode = try FileManager.default.attributesOfItem(atPath: h.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let journal = try h.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        #expect(journal == "wal")
        let fk = try h.read { try Int.fetchOne($0, sql: "PRAGMA foreign_keys") }
        #expect(fk == 1)
        let sync = try h.read { try Int.fetchOne($0, sql: "PRAGMA synchronous") }
        #expect(sync == 2)  // FULL
    }

    @Test func shippedMigrationsAreNumberedInOrder() {
        let versions = Migration.shipped.map(\.version)
        #expect(versions == Array(1...versions.count))
        #expect(Migration.shipped.allSatisfy { $0.sha256.count == 64 })
        // The checksums embedded at build time are the SHA-256 of the texts.
        for m in Migration.shipped { #expect(m.sha256 == sha256Hex(m.sql), "\(m.name)") }
    }

    @Test func reopeningAnExistingDatabaseKeepsDataAndAppliesNothing() throws {
        let dir = try TempDir()
        let first = try openHelpline(dir)
        try first.addProvider(fields: ProviderFields(["name": "A", "phone": "2125550142"]))
        let applied = try first.migrationStatus().entries.map(\.appliedAt)
        let second = try openHelpline(dir)
        #expect(try second.providers().count == 1)
        #expect(try second.migrationStatus().entries.map(\.appliedAt) == applied)
    }

    @Test func pendingMigrationsAreAppliedToAnOlderDatabase() throws {
        let dir = try TempDir()
        let path = dir.path("old.sqlite")
        // Build a database at version 1 only, the way an older build left it.
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: Migrator.createLedger)
            let m = Migration.shipped[0]
            try db.execute(sql: m.sql)
            try db.execute(
                sql: "INSERT INTO schema_migrations VALUES (?, ?, ?, 0)", arguments: [m.version, m.name, m.sha256])
        }
        try queue.close()
        let h = try Helpline(path: path)
        #expect(try h.migrationStatus().schemaVersion == Migration.codeVersion)
    }

    @Test func statusWithoutMigratingShowsPending() throws {
        let dir = try TempDir()
        var options = Helpline.Options()
        options.migrate = false
        let h = try Helpline(path: dir.path("new.sqlite"), options: options)
        #expect(try h.migrationStatus().pending.count == Migration.shipped.count)
        #expect(try h.migrate().pending.isEmpty)
    }

    @Test func anEditedMigrationIsRefused() throws {
        let dir = try TempDir()
        let h = try openHelpline(dir)
        try h.write { db in
            try db.execute(sql: "UPDATE schema_migrations SET sha256 = ? WHERE version = 1", arguments: [String(repeating: "0", count: 64)])
        }
        let error = try #require(throws: StoreError.self) { try openHelpline(dir) }
        guard case .migrationChanged(let name, _, _) = error else {
            Issue.record("expected migrationChanged, got \(error)")
            return
        }
        #expect(name == Migration.shipped[0].name)
        #expect(error.category == .io)
    }

    @Test func aNewerSchemaIsRefused() throws {
        let dir = try TempDir()
        let h = try openHelpline(dir)
        try h.write { db in try db.execute(sql: "INSERT INTO schema_migrations VALUES (9999, '9999_future', 'x', 0)") }
        let error = try #require(throws: StoreError.self) { try openHelpline(dir) }
        #expect(error == .newerSchema(path: dir.path("h.sqlite"), databaseVersion: 9999, codeVersion: Migration.codeVersion))
        #expect(error.hint?.contains("upgrade") == true)
    }

    @Test func filesThatAreNotHelplineDatabasesAreRefused() throws {
        let dir = try TempDir()
        try Data("this is not a database, just text\n".utf8).write(to: dir.url.appendingPathComponent("text.sqlite"))
        #expect(throws: StoreError.notADatabase(path: dir.path("text.sqlite"))) { try Helpline(path: dir.path("text.sqlite")) }

        let other = try DatabaseQueue(path: dir.path("other.sqlite"))
        try other.write { try $0.execute(sql: "CREATE TABLE notes (body TEXT)") }
        try other.close()
        #expect(throws: StoreError.foreignDatabase(path: dir.path("other.sqlite"))) { try Helpline(path: dir.path("other.sqlite")) }

        #expect(throws: StoreError.self) { try Helpline(path: dir.path("missing-folder/h.sqlite")) }
        #expect(throws: StoreError.self) { try Helpline(path: dir.url.path) }
    }

    @Test func aCorruptFileIsReportedAsCorrupt() throws {
        let dir = try TempDir()
        let path = dir.path("h.sqlite")
        _ = try openHelpline(dir)
        // Keep the 100-byte header, trash the rest of page 1 (the schema).
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: 100)
        handle.write(Data(repeating: 0xA5, count: 3000))
        try handle.close()
        try? FileManager.default.removeItem(atPath: path + "-wal")
        try? FileManager.default.removeItem(atPath: path + "-shm")
        let error = try #require(throws: StoreError.self) { try Helpline(path: path) }
        #expect(error.category == .io)
    }
}

/// How many .sql files the Migrations folder holds, counted independently of the plugin.
enum EmbeddedMigrationCount {
    static var value: Int {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Migrations")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return files.filter { $0.hasSuffix(".sql") }.count
    }
}
