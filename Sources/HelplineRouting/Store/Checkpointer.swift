import Foundation
import GRDB
import Logging

/// Copies the write-ahead log into the database file from a thread and a connection of its own.
///
/// SQLite normally checkpoints inside the COMMIT that crosses 1,000 WAL pages, on the writing
/// connection: with group commit that is the one thread every caller waits on, and the copy
/// and its fsync stall all of them. Here a PASSIVE checkpoint runs every `interval` (250 ms: each
/// checkpoint costs two fsyncs, so copying often in small pieces would cost more CPU than the
/// 1,000-page rhythm it replaces at SIP call rates) beside the
/// writer (it never takes the write lock, and it never waits). The writer keeps a much higher
/// automatic threshold as a backstop, and does the final catch-up that lets SQLite restart the
/// log, so the WAL stays bounded even if this thread falls behind.
final class Checkpointer: @unchecked Sendable {
    /// Pages the writer lets the WAL reach before it checkpoints itself (64 MB at 4 KB pages):
    /// four times what 5,000 calls a second write between two background checkpoints.
    static let writerThreshold = 16_000

    private let connection: DatabaseQueue
    private let stop = Locked(false)
    private let done = DispatchSemaphore(value: 0)

    /// Opens the checkpointing connection and starts its thread.
    ///
    /// - Parameters:
    ///   - path: the database file, already in WAL mode.
    ///   - synchronous: the writer's `synchronous` setting, which the checkpoint's fsyncs follow.
    ///   - interval: seconds between checkpoints.
    ///   - logger: where a failing checkpoint is reported (once per kind of failure).
    /// - Throws: `DatabaseError` when the connection can't be opened.
    init(path: String, synchronous: String, interval: Double = 0.25, logger: Logger) throws {
        var config = Configuration()
        config.label = "helpline-checkpoint"
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = \(synchronous)") }
        connection = try DatabaseQueue(path: path, configuration: config)
        let (connection, stop, done) = (self.connection, self.stop, self.done)
        let thread = Thread {
            var lastFailure: String?
            while !stop.withLock({ $0 }) {
                Thread.sleep(forTimeInterval: interval)
                do {
                    try connection.inDatabase { db in _ = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)") }
                    lastFailure = nil
                } catch {
                    // A busy or failed PASSIVE checkpoint costs nothing: the next one, or the
                    // writer's own, catches up. Said once, not 20 times a second.
                    let text = "\(error)"
                    if text != lastFailure { logger.warning("background checkpoint failed", metadata: ["error": "\(text)"]) }
                    lastFailure = text
                }
            }
            done.signal()
        }
        thread.name = "helpline-checkpoint"
        thread.start()
    }

    /// Stops the thread (after at most one more checkpoint) and waits for it.
    func close() {
        stop.withLock { $0 = true }
        done.wait()
    }
}
