import Foundation
import GRDB

/// Commits many threads' write transactions as one SQLite transaction: group commit.
///
/// With `synchronous=FULL` every commit waits for the disk, so a writer that commits call by call
/// is bound by fsync (about 2,000 commits a second on this class of disk), however many threads
/// route. Here the first waiting thread becomes the leader: it runs every queued body in one
/// IMMEDIATE transaction, commits once, and wakes the others. A body that throws costs only its
/// own caller: the transaction rolls back and the batch runs again with each body inside its own
/// savepoint, so the failing body's savepoint alone rolls back. (Savepoints on every batch made
/// SQLite copy each page a body touched into the sub-journal first: a tenth of a route's time,
/// paid for the rare body that fails.) A failed commit fails every body in the batch, and nothing
/// of the batch is stored. Callers return only after the commit, so an answer is never sent for a
/// write that could still roll back. A body may run twice, so it must not act outside the
/// database except through caches the batch failure hook drops.
final class GroupCommit: @unchecked Sendable {
    /// One caller's transaction body, run by whichever thread leads its batch.
    final class Job {
        /// The body, inside a savepoint of its own when `isolated`; returns whether it succeeded.
        /// Dropped once the batch is done, since it borrows the caller's non-escaping closure,
        /// which must not outlive the caller's wait.
        var work: ((Database, _ isolated: Bool) -> Bool)?
        /// When its caller asked: its busy timeout counts from here.
        let queuedAt = Date()
        var done = false
        /// Set when the batch as a whole failed (busy, disk full): it outranks the body's own result.
        var batchError: (any Error)?
        /// Set when the finishing leader hands the lead to this job's thread.
        var leads = false
        /// Wakes this job's thread alone: done, or its turn to lead. (One broadcast to every
        /// waiting thread per batch made the whole pool wake up to find nothing to do.)
        let wake = DispatchSemaphore(value: 0)
        init(work: @escaping (Database, Bool) -> Bool) { self.work = work }
    }

    private let lock = NSLock()
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
            let job = Job { db, isolated in
                do {
                    if isolated {
                        var value: T?
                        try db.inSavepoint {
                            value = try body(db)
                            return .commit
                        }
                        if let value { result = .success(value) }
                    } else {
                        result = .success(try body(db))
                    }
                    return true
                } catch {
                    result = .failure(error)
                    return false
                }
            }
            lock.lock()
            queue.append(job)
            var leadNow = !leading
            if leadNow { leading = true }
            lock.unlock()
            while true {
                if !leadNow {
                    job.wake.wait()
                    lock.lock()
                    let (done, leads) = (job.done, job.leads)
                    job.leads = false
                    lock.unlock()
                    if done { break }
                    guard leads else { continue }
                }
                // This thread leads: take the queue's head (its own job among it, or ahead of it).
                lock.lock()
                let batch = Array(queue.prefix(maxBatch))
                queue.removeFirst(batch.count)
                lock.unlock()
                onBatch(batch.map(\.queuedAt).min())
                Self.execute(batch, writer: writer, onBatchFailure: onBatchFailure)
                onBatch(nil)
                lock.lock()
                for finished in batch { finished.done = true }
                // Hand the lead to the oldest job still queued, or give it up.
                let next = queue.first
                if let next { next.leads = true } else { leading = false }
                lock.unlock()
                for finished in batch where finished !== job { finished.wake.signal() }
                next?.wake.signal()
                if job.done { break }
                leadNow = false
            }
            if let error = job.batchError { throw error }
            guard let result else { throw StoreError.invariant("a grouped write returned no result") }
            return try result.get()
        }
    }

    /// Thrown inside the first run of a batch when a body failed: the transaction rolls back.
    private struct BodyFailed: Error {}

    private static func execute(_ batch: [Job], writer: any DatabaseWriter, onBatchFailure: () -> Void) {
        defer { for job in batch { job.work = nil } }
        do {
            if try !run(batch, isolated: false, writer: writer) {
                // A body failed and took the transaction with it. The caches may hold rows of
                // the rolled-back run; each body runs again in a savepoint of its own.
                onBatchFailure()
                _ = try run(batch, isolated: true, writer: writer)
            }
        } catch {
            for job in batch { job.batchError = error }
            onBatchFailure()
        }
    }

    /// Runs the batch's bodies in one IMMEDIATE transaction and commits it. Returns false, with
    /// the transaction rolled back, when a body fails outside a savepoint.
    private static func run(_ batch: [Job], isolated: Bool, writer: any DatabaseWriter) throws -> Bool {
        do {
            try writer.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    for job in batch {
                        // An error that ends the whole transaction (SQLite rolls back on some I/O
                        // errors) must not let later bodies run in autocommit mode.
                        guard db.isInsideTransaction else {
                            throw StoreError.invariant("the grouped transaction ended early")
                        }
                        if job.work?(db, isolated) == false && !isolated { throw BodyFailed() }
                    }
                    return .commit
                }
            }
            return true
        } catch is BodyFailed {
            return false
        }
    }
}
