import Foundation
import GRDB

/// Commits many threads' write transactions as one SQLite transaction: group commit.
///
/// With `synchronous=FULL` every commit waits for the disk, so a writer that commits call by call
/// is bound by fsync (about 2,000 commits a second on this class of disk), however many threads
/// route. Here the first waiting thread becomes the leader: it runs every queued body in one
/// IMMEDIATE transaction, each inside its own savepoint, commits once, and wakes the others. A body
/// that throws rolls back its savepoint only, and only its caller sees the error; a failed commit
/// fails every body in the batch, and nothing of the batch is stored. Callers return only after
/// the commit, so an answer is never sent for a write that could still roll back.
final class GroupCommit: @unchecked Sendable {
    /// One caller's transaction body, run by whichever thread leads its batch.
    final class Job {
        let work: (Database) -> Void
        /// When its caller asked: its busy timeout counts from here.
        let queuedAt = Date()
        var done = false
        /// Set when the batch as a whole failed (busy, disk full): it outranks the body's own result.
        var batchError: (any Error)?
        init(work: @escaping (Database) -> Void) { self.work = work }
    }

    private let condition = NSCondition()
    private var queue: [Job] = []
    private var leading = false
    /// The most bodies one transaction takes: bounds how long the write lock is held at a time.
    let maxBatch: Int

    init(maxBatch: Int = 64) { self.maxBatch = maxBatch }

    /// Runs `body` inside the next batch and returns its result once the batch has committed.
    ///
    /// - Parameters:
    ///   - writer: the database the batches write to.
    ///   - onBatch: called by the leader before each batch with the oldest caller's arrival
    ///     (to bound the wait for the lock), and with nil after it.
    ///   - onBatchFailure: called by the leader when a batch fails to commit (to drop caches
    ///     filled from its uncommitted rows).
    func run<T>(
        _ writer: any DatabaseWriter, onBatch: (Date?) -> Void, onBatchFailure: () -> Void, _ body: (Database) throws -> T
    ) throws -> T {
        try withoutActuallyEscaping(body) { body in
            var result: Result<T, any Error>?
            let job = Job { db in
                do {
                    var value: T?
                    try db.inSavepoint {
                        value = try body(db)
                        return .commit
                    }
                    if let value { result = .success(value) }
                } catch {
                    result = .failure(error)
                }
            }
            condition.lock()
            queue.append(job)
            while !job.done {
                if leading {
                    condition.wait()
                    continue
                }
                leading = true
                let batch = Array(queue.prefix(maxBatch))
                queue.removeFirst(batch.count)
                condition.unlock()
                onBatch(batch.map(\.queuedAt).min())
                Self.execute(batch, writer: writer, onBatchFailure: onBatchFailure)
                onBatch(nil)
                condition.lock()
                for finished in batch { finished.done = true }
                leading = false
                condition.broadcast()
            }
            condition.unlock()
            if let error = job.batchError { throw error }
            guard let result else { throw StoreError.invariant("a grouped write returned no result") }
            return try result.get()
        }
    }

    private static func execute(_ batch: [Job], writer: any DatabaseWriter, onBatchFailure: () -> Void) {
        do {
            try writer.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    for job in batch {
                        // An error that ends the whole transaction (SQLite rolls back on some I/O
                        // errors) must not let later bodies run in autocommit mode.
                        guard db.isInsideTransaction else {
                            throw StoreError.invariant("the grouped transaction ended early")
                        }
                        job.work(db)
                    }
                    return .commit
                }
            }
        } catch {
            for job in batch { job.batchError = error }
            onBatchFailure()
        }
    }
}
