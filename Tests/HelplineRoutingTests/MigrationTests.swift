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

    @Test("migration 0011 starts the ringing totals at the latest offer: offers that rang out long ago are retired at once")
    func ringingTotalsStartAtTheLatestOffer() throws {
        let dir = try TempDir()
        let path = dir.path("v10.sqlite")
        var config = Configuration()
        // Attempts alone, without the calls and providers they belong to.
        config.foreignKeysEnabled = false
        let queue = try DatabaseQueue(path: path, configuration: config)
        try queue.write { db in
            try db.execute(sql: Migrator.createLedger)
            for m in Migration.shipped where m.version <= 10 {
                try db.execute(sql: m.sql)
                try db.execute(sql: "INSERT INTO schema_migrations VALUES (?, ?, ?, 0)", arguments: [m.version, m.name, m.sha256])
            }
            try db.execute(sql: "PRAGMA writable_schema = RESET")
            // Provider 7: an offer whose events were lost long ago, one answered, and the latest,
            // still ringing at the time it was made. Provider 8: an offer that rang out.
            for (call, provider, offered, deadline, outcome) in [
                (1, 7, 1_000, 21_000, nil), (2, 7, 5_000, 25_000, "answered"), (3, 7, 100_000, 120_000, nil),
                (4, 8, 50_000, 70_000, nil),
            ] as [(Int, Int, Int, Int, String?)] {
                try db.execute(
                    sql: "INSERT INTO attempts (call_id, seq, provider_id, offered_at, ring_deadline, outcome) VALUES (?, 1, ?, ?, ?, ?)",
                    arguments: [call, provider, offered, deadline, outcome])
            }
        }
        try queue.close()
        let h = try Helpline(path: path)
        try h.read { db in
            #expect(try Int64.fetchOne(db, sql: "SELECT retired_through FROM ringing_horizon") == 100_000)
            let deadlines = try Row.fetchAll(db, sql: "SELECT deadline, provider_id, n FROM ringing_deadlines").map {
                [$0[0] as Int64, $0[1] as Int64, $0[2] as Int64]
            }
            #expect(deadlines == [[120_000, 7, 1]])
            #expect(try Int.fetchOne(db, sql: "SELECT sum(n) FROM ringing_totals") == 1)
            #expect(try Helpline.ringingTableDiffers(db) == false)
            // From the horizon on, the totals agree with the attempts; before it, the attempts answer.
            for ms: Int64 in [50_000, 60_000, 100_000, 119_999, 120_000] {
                let fast = try Helpline.liveCalls(at: ms, latestOffer: 0, maxCallLength: 7200, db: db)
                let exact = try Helpline.liveCalls(at: ms, latestOffer: .max, maxCallLength: 7200, db: db)
                #expect(fast.filter { $0.value != 0 } == exact.filter { $0.value != 0 }, "at \(ms)")
            }
            #expect(try Helpline.liveCalls(at: 110_000, latestOffer: 0, maxCallLength: 7200, db: db) == [7: 1])
        }
    }

    /// Statements every routed call or event runs, each with its table's CHECK constraints.
    static let hotWrites = [
        "INSERT INTO calls (received_at, caller, caller_sha256, dialed, kind, status, updated_at) VALUES (1, '', '', '', 'pool', 'ringing', 1)",
        "UPDATE calls SET status = ?, kind = ?, caller_kind = ? WHERE id = 1",
        "INSERT INTO attempts (call_id, seq, provider_id, offered_at, ring_deadline) VALUES (1, 1, 1, 1, 1)",
        "UPDATE attempts SET outcome = ?, ended_at = 1 WHERE call_id = 1 AND seq = 1",
        "UPDATE attempts SET ended_at = 1 WHERE call_id = 1 AND seq = 1",
        "INSERT INTO routing_decisions (call_id, attempt, decided_at, kind, strategy, outcome) VALUES (1, 1, 1, 'pool', '', 'offer')",
        "INSERT INTO consent_records (seq, recorded_at, kind, mechanism, caller_sha256, prev_hash, hash) VALUES (1, 1, 'consent', 'call', '', '', '')",
        "UPDATE callbacks SET status = ?, reason = ? WHERE id = 1",
    ]

    /// How many temporary b-trees a statement opens when it runs.
    static func ephemeralTables(_ sql: String, _ db: Database) throws -> Int {
        try Row.fetchAll(db, sql: "EXPLAIN " + sql, arguments: StatementArguments(Array(repeating: "x", count: sql.filter { $0 == "?" }.count)))
            .filter { ($0["opcode"] as String?) == "OpenEphemeral" }.count
    }

    @Test("after migration 0010 no CHECK builds a temporary table, in this connection and in one already open")
    func checksCompileToComparisons() throws {
        let dir = try TempDir()
        let path = dir.path("old.sqlite")
        // A database as version 9 left it, and a connection that has read that schema.
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: Migrator.createLedger)
            for m in Migration.shipped where m.version <= 9 {
                try db.execute(sql: m.sql)
                try db.execute(sql: "INSERT INTO schema_migrations VALUES (?, ?, ?, 0)", arguments: [m.version, m.name, m.sha256])
            }
        }
        let before = try queue.read { db in try Self.hotWrites.map { try Self.ephemeralTables($0, db) } }
        #expect(before.reduce(0, +) >= 9, "version 9's IN lists each build a table: \(before)")

        let h = try Helpline(path: path)
        let mine = try h.write { db in try Self.hotWrites.map { try Self.ephemeralTables($0, db) } }
        #expect(mine.allSatisfy { $0 == 0 }, "\(mine)")
        // EXPLAIN compiles against the schema in memory; running any statement first makes the
        // connection check the schema version, as every real statement does.
        let theirs = try queue.read { db in
            _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM calls")
            return try Self.hotWrites.map { try Self.ephemeralTables($0, db) }
        }
        #expect(theirs.allSatisfy { $0 == 0 }, "the other connection reparsed: \(theirs)")
        // No IN list of three or more constants is left in any table's CHECK.
        let tables = try queue.read { try Row.fetchAll($0, sql: "SELECT name, sql FROM sqlite_master WHERE type = 'table'") }
        for row in tables {
            let sql: String = row["sql"]
            #expect(sql.range(of: #"IN \('[^)]*', '[^)]*', '"#, options: .regularExpression) == nil, "\(row["name"] as String)")
        }
        #expect(try queue.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } == "ok")
    }

    @Test("the rewritten CHECKs accept exactly the values the IN lists accepted")
    func rewrittenChecksKeepTheirValues() throws {
        let dir = try TempDir()
        let h = try openHelpline(dir)
        // Every rewritten column: its values, each accepted, and near misses, each refused.
        let columns: [(table: String, column: String, values: [String])] = [
            ("providers", "status", ["active", "paused", "removed"]),
            ("helplines", "strategy", ["weighted-round-robin", "least-recent", "fewest-calls", "weighted-random"]),
            ("provider_events", "event", ["added", "paused", "resumed", "removed", "auto-paused"]),
            ("calls", "kind", ["direct", "pool", "unroutable"]),
            ("calls", "status", ["ringing", "connected", "ended", "callback", "unroutable"]),
            ("calls", "caller_kind", ["number", "international", "withheld"]),
            ("attempts", "outcome", ["answered", "no-answer", "busy", "failed"]),
            ("callbacks", "reason", ["no-eligible-provider", "no-answer", "caller-hung-up", "web-form"]),
            ("callbacks", "status", ["pending", "returned", "abandoned", "revoked"]),
            ("consent_records", "mechanism", ["call", "web-form", "operator"]),
            ("config_changes", "entity", ["provider", "helpline", "listing", "terms"]),
            ("routing_decisions", "kind", ["direct", "pool", "unroutable"]),
            ("routing_decisions", "outcome", ["offer", "callback", "unroutable"]),
        ]
        try h.read { db in
            for (table, column, values) in columns {
                let sql = try #require(try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = ?", arguments: [table]))
                // The CHECK's own text, evaluated on a candidate value.
                let pattern = #"\("# + column + " = '[^']*'( OR " + column + #" = '[^']*')+\)"#
                let range = try #require(sql.range(of: pattern, options: .regularExpression), "\(table).\(column)")
                let check = String(sql[range]).replacingOccurrences(of: column, with: "?1")
                let probes = values + values.map { $0.uppercased() } + values.map { $0 + " " } + ["", "other"]
                for value in probes {
                    let passes = try Bool.fetchOne(db, sql: "SELECT coalesce(\(check), 1)", arguments: [value])
                    #expect(passes == values.contains(value), "\(table).\(column) = '\(value)'")
                }
                #expect(try Bool.fetchOne(db, sql: "SELECT coalesce(\(check), 1)", arguments: [DatabaseValue.null]) == true)
            }
        }
        // And a write with a value off the list is refused.
        #expect(throws: (any Error).self) {
            try h.write {
                try $0.execute(
                    sql:
                        "INSERT INTO calls (received_at, caller, caller_sha256, dialed, kind, status, updated_at) VALUES (1, '', '', '', 'pool', 'lost', 1)"
                )
            }
        }
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
