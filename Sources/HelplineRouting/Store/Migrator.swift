import Crypto
public import Foundation
import GRDB
import HelplineMigrations

/// One schema migration shipped with this build.
public struct Migration: Sendable, Hashable {
    /// The number in the file name: `0002_routing.sql` is version 2.
    public let version: Int
    /// The file name without `.sql`.
    public let name: String
    /// The exact SQL text.
    public let sql: String
    /// Lowercase hex SHA-256 of the SQL text, recorded when the migration is applied.
    public let sha256: String

    /// The migrations embedded at build time, in order.
    public static let shipped: [Migration] = EmbeddedMigrations.all.compactMap { entry in
        // The embedder only passes NNNN_*.sql files; a name without a number is skipped, and
        // the migrations test fails on it.
        guard let version = Int(entry.name.prefix(while: \.isASCIIDigit)) else { return nil }
        // The checksum was computed when the migration was embedded; a test recomputes it.
        return Migration(version: version, name: entry.name, sql: entry.sql, sha256: entry.sha256)
    }.sorted { $0.version < $1.version }

    /// The schema version of this build: the last shipped migration.
    public static var codeVersion: Int { shipped.last?.version ?? 0 }
}

/// Where a database stands against the shipped migrations.
public struct MigrationStatus: Sendable, Equatable {
    /// One migration's state.
    public struct Entry: Sendable, Equatable {
        public let version: Int
        public let name: String
        public let sha256: String
        /// When it was applied, or nil when it is pending.
        public let appliedAt: Date?
    }

    public let entries: [Entry]
    /// The highest applied version (0 for an empty database).
    public var schemaVersion: Int { entries.filter { $0.appliedAt != nil }.map(\.version).max() ?? 0 }
    /// The migrations not applied yet.
    public var pending: [Entry] { entries.filter { $0.appliedAt == nil } }
}

/// Applies the shipped migrations in order, each in its own IMMEDIATE transaction, and records each
/// with its checksum. It refuses a database whose applied migrations differ from the shipped ones.
enum Migrator {
    struct Applied {
        let version: Int
        let name: String
        let sha256: String
        let appliedAt: Int64
    }

    static let createLedger = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version     INTEGER PRIMARY KEY,
            name        TEXT    NOT NULL,
            sha256      TEXT    NOT NULL,
            applied_at  INTEGER NOT NULL
        )
        """

    /// Reads the applied migrations and checks them against the shipped ones.
    static func check(_ db: Database, path: String) throws -> [Applied] {
        // One small query: GRDB's tableExists reads the whole schema into memory first, and
        // every process runs this check.
        let hasLedger =
            try Bool.fetchOne(db, sql: "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'") ?? false
        if !hasLedger {
            let userTables =
                try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'") ?? 0
            if userTables > 0 { throw StoreError.foreignDatabase(path: path) }
            return []
        }
        let applied = try Row.fetchAll(db, sql: "SELECT version, name, sha256, applied_at FROM schema_migrations ORDER BY version")
            .map { Applied(version: $0[0], name: $0[1], sha256: $0[2], appliedAt: $0[3]) }
        let shipped = Dictionary(uniqueKeysWithValues: Migration.shipped.map { ($0.version, $0) })
        for a in applied {
            guard let m = shipped[a.version] else {
                throw StoreError.newerSchema(
                    path: path, databaseVersion: applied.map(\.version).max() ?? a.version, codeVersion: Migration.codeVersion)
            }
            guard m.sha256 == a.sha256 else {
                throw StoreError.migrationChanged(name: m.name, appliedSHA256: a.sha256, shippedSHA256: m.sha256)
            }
        }
        return applied
    }

    /// Brings the database up to the code's version. A database that is already current costs
    /// one read and takes no write lock, so concurrent one-shot commands don't queue on it.
    static func migrate(_ pool: any DatabaseWriter, path: String, now: @Sendable () -> Date) throws {
        let applied = try pool.read { try check($0, path: path) }
        let done = Set(applied.map(\.version))
        for migration in Migration.shipped where !done.contains(migration.version) {
            try pool.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    // Another process may have applied it while this one waited for the lock.
                    try db.execute(sql: createLedger)
                    let again = Set(try check(db, path: path).map(\.version))
                    if again.contains(migration.version) { return .commit }
                    try db.execute(sql: migration.sql)
                    // A migration that edits the schema's text directly (SQLite's procedure for
                    // changing a constraint in place) must tell other open connections to reparse.
                    if migration.sql.contains("writable_schema") {
                        let cookie = try Int.fetchOne(db, sql: "PRAGMA schema_version") ?? 0
                        try db.execute(sql: "PRAGMA schema_version = \(cookie + 1)")
                    }
                    if try Bool.fetchOne(db, sql: "SELECT 1 FROM sqlite_master WHERE name = 'config_changes'") ?? false {
                        try ConfigHistory.seal(db, source: "migration \(migration.name)")
                    }
                    try db.execute(
                        sql: "INSERT INTO schema_migrations (version, name, sha256, applied_at) VALUES (?, ?, ?, ?)",
                        arguments: [migration.version, migration.name, migration.sha256, now().epochMilliseconds])
                    try db.execute(sql: "PRAGMA user_version = \(migration.version)")
                    return .commit
                }
            }
        }
    }

    /// Lists shipped migrations with their state in this database, and any unknown applied ones.
    static func status(_ db: Database, path: String) throws -> MigrationStatus {
        let applied = try check(db, path: path)
        let byVersion = Dictionary(uniqueKeysWithValues: applied.map { ($0.version, $0) })
        return MigrationStatus(
            entries: Migration.shipped.map { m in
                MigrationStatus.Entry(
                    version: m.version, name: m.name, sha256: m.sha256,
                    appliedAt: byVersion[m.version].map { Date(epochMilliseconds: $0.appliedAt) })
            })
    }
}

/// Lowercase hex SHA-256 of a string's UTF-8 bytes.
func sha256Hex(_ text: String) -> String {
    sha256Hex(Data(text.utf8))
}

/// Lowercase hex SHA-256 of some bytes.
func sha256Hex(_ data: Data) -> String {
    lowercaseHex(SHA256.hash(data: data))
}

/// The ASCII digits of lowercase hexadecimal.
let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

/// Bytes (a digest, a MAC) as lowercase hex.
func lowercaseHex(_ bytes: some Sequence<UInt8>) -> String {
    var out = [UInt8]()
    out.reserveCapacity(64)
    for byte in bytes {
        out.append(hexDigits[Int(byte >> 4)])
        out.append(hexDigits[Int(byte & 0x0f)])
    }
    return String(decoding: out, as: UTF8.self)
}

extension Date {
    /// Milliseconds since 1970-01-01T00:00Z, the form instants are stored in.
    public var epochMilliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded(.down)) }

    /// The instant `ms` milliseconds after 1970-01-01T00:00Z.
    public init(epochMilliseconds ms: Int64) {
        self.init(timeIntervalSince1970: Double(ms) / 1000)
    }
}
