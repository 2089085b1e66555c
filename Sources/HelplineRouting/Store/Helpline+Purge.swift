import Foundation
import GRDB

/// What a purge redacted, or would redact.
public struct PurgeResult: Sendable, Hashable, Encodable {
    public var before: Date
    public var calls: Int
    public var callbacks: Int
    /// Callbacks still pending before the date: kept, because a redacted number can't be called back.
    public var pendingKept: Int
    public var dryRun: Bool

    enum CodingKeys: String, CodingKey {
        case before, calls, callbacks, pendingKept = "pending_kept", dryRun = "dry_run"
    }
}

extension Helpline {
    /// Redacts caller numbers (and their hashes) in calls and callbacks before `before`.
    ///
    /// Reports for those days still compute: they never read numbers. The consent ledger keeps
    /// its SHA-256 of each caller's number, so the chain still verifies and a caller's proof is
    /// still found by hashing their number. Pending callbacks are kept. Freed space is zeroed
    /// (`secure_delete`) and the WAL is checkpointed, so the numbers don't linger in the file.
    ///
    /// - Parameters:
    ///   - before: redact what was received before this instant.
    ///   - dryRun: count only.
    /// - Throws: `StoreError`.
    @discardableResult
    public func purge(before: Date, dryRun: Bool = false) throws -> PurgeResult {
        let ms = before.epochMilliseconds
        func count(_ db: Database) throws -> PurgeResult {
            PurgeResult(
                before: before,
                calls: try Int.fetchOne(db, sql: "SELECT count(*) FROM calls WHERE received_at < ? AND caller != ''", arguments: [ms]) ?? 0,
                callbacks: try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM callbacks WHERE requested_at < ? AND phone != '' AND status != 'pending'", arguments: [ms]
                ) ?? 0,
                pendingKept: try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM callbacks WHERE requested_at < ? AND status = 'pending'", arguments: [ms]) ?? 0,
                dryRun: dryRun)
        }
        if dryRun { return try read(count) }
        do {
            return try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA secure_delete = ON")
                defer { try? db.execute(sql: "PRAGMA secure_delete = OFF") }
                var result: PurgeResult?
                try db.inTransaction(.immediate) {
                    result = try count(db)
                    try db.execute(
                        sql: "UPDATE calls SET caller = '', caller_sha256 = '' WHERE received_at < ? AND caller != ''", arguments: [ms])
                    try db.execute(
                        sql: """
                            UPDATE callbacks SET phone = '', phone_sha256 = ''
                            WHERE requested_at < ? AND phone != '' AND status != 'pending'
                            """, arguments: [ms])
                    return .commit
                }
                try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
                return result ?? PurgeResult(before: before, calls: 0, callbacks: 0, pendingKept: 0, dryRun: false)
            }
        } catch {
            throw StoreError.wrap(error, path: path, busyTimeout: options.busyTimeout)
        }
    }
}
