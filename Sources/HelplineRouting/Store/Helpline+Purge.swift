public import Foundation
import GRDB

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a purge redacted, or would redact.
public struct PurgeResult: Sendable, Hashable, Encodable {
    public var before: Date
    public var calls: Int
    public var callbacks: Int
    /// Callbacks still pending before the date: kept, because a redacted number can't be called back.
    public var pendingKept: Int
    /// Calls before the date still ringing or connected: kept until they end.
    public var liveKept: Int
    /// The UTC months whose caller keys were deleted: their hashes can no longer be confirmed.
    public var shreddedPeriods: [Int]
    public var dryRun: Bool

    enum CodingKeys: String, CodingKey {
        case before, calls, callbacks, pendingKept = "pending_kept", liveKept = "live_kept", shreddedPeriods = "shredded_periods"
        case dryRun = "dry_run"
    }
}

extension Helpline {
    /// Redacts caller numbers in calls and callbacks before `before`, and shreds the caller keys
    /// of the months that lie wholly before it.
    ///
    /// Reports for those days still compute: they never read numbers. The hashes stay, so the
    /// consent chain still verifies; once a month's key is deleted nobody can confirm a number
    /// against that month's hashes (`CallerKeys`). Calls still ringing or connected, and pending
    /// callbacks, keep their numbers. Freed space is zeroed (`secure_delete`), the WAL is
    /// checkpointed and truncated, and the file is then searched for every redacted number: a
    /// purge that can't prove the numbers are gone fails.
    ///
    /// - Parameters:
    ///   - before: redact what was received before this instant; no later than the start of
    ///     today in the default zone (today's calls may still be live, and a later date would
    ///     purge what hasn't happened yet).
    ///   - dryRun: count only.
    ///   - zone: the zone "today" is judged in; the default zone when nil.
    /// - Throws: `InputError.outOfRange` for a `before` after yesterday; `StoreError.purgeIncomplete`
    ///   when the numbers are still in the file (another process holding an old snapshot);
    ///   `StoreError`.
    @discardableResult
    public func purge(before: Date, dryRun: Bool = false, in zone: TimeZone? = nil) throws -> PurgeResult {
        let now = options.now()
        let zone = zone ?? defaultTimeZone
        let today = LocalDate(now, in: zone)
        guard before <= today.start(in: zone) else {
            throw InputError.outOfRange(
                field: "before", value: Instant.format(before, in: zone),
                allowed: "up to the end of yesterday (\(today.previous) in \(zone.identifier))")
        }
        let ms = before.epochMilliseconds
        let live = "('ringing', 'connected')"
        func count(_ db: Database) throws -> PurgeResult {
            let periods = try Int.fetchAll(db, sql: "SELECT period FROM caller_keys ORDER BY period").filter {
                CallerKeys.start(of: CallerKeys.next($0)) <= before
            }
            return PurgeResult(
                before: before,
                calls: try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM calls WHERE received_at < ? AND caller != '' AND status NOT IN \(live)", arguments: [ms])
                    ?? 0,
                callbacks: try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM callbacks WHERE requested_at < ? AND phone != '' AND status != 'pending'", arguments: [ms]
                ) ?? 0,
                pendingKept: try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM callbacks WHERE requested_at < ? AND status = 'pending'", arguments: [ms]) ?? 0,
                liveKept: try Int.fetchOne(db, sql: "SELECT count(*) FROM calls WHERE received_at < ? AND status IN \(live)", arguments: [ms])
                    ?? 0,
                shreddedPeriods: periods, dryRun: dryRun)
        }
        if dryRun { return try read(count) }
        do {
            return try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA secure_delete = ON")
                defer { try? db.execute(sql: "PRAGMA secure_delete = OFF") }
                var result: PurgeResult?
                var redacted: Set<String> = []
                try db.inTransaction(.immediate) {
                    let r = try count(db)
                    result = r
                    redacted.formUnion(
                        try String.fetchAll(
                            db, sql: "SELECT DISTINCT caller FROM calls WHERE received_at < ? AND caller != '' AND status NOT IN \(live)",
                            arguments: [ms]))
                    redacted.formUnion(
                        try String.fetchAll(
                            db, sql: "SELECT DISTINCT phone FROM callbacks WHERE requested_at < ? AND phone != '' AND status != 'pending'",
                            arguments: [ms]))
                    try db.execute(
                        sql: "UPDATE calls SET caller = '' WHERE received_at < ? AND caller != '' AND status NOT IN \(live)", arguments: [ms])
                    try db.execute(
                        sql: "UPDATE callbacks SET phone = '' WHERE requested_at < ? AND phone != '' AND status != 'pending'", arguments: [ms])
                    for period in r.shreddedPeriods {
                        try db.execute(sql: "DELETE FROM caller_keys WHERE period = ?", arguments: [period])
                    }
                    try db.execute(
                        sql: "INSERT INTO purges (at, before, calls, callbacks, shredded_periods) VALUES (?, ?, ?, ?, ?)",
                        arguments: [
                            now.epochMilliseconds, ms, r.calls, r.callbacks, r.shreddedPeriods.map(String.init).joined(separator: ","),
                        ])
                    // Numbers still held by rows that stay (a later call, a pending callback) are
                    // not expected to vanish from the file.
                    let kept = Set(
                        try String.fetchAll(db, sql: "SELECT DISTINCT caller FROM calls WHERE caller != ''")
                            + String.fetchAll(db, sql: "SELECT DISTINCT phone FROM callbacks WHERE phone != ''"))
                    redacted.subtract(kept)
                    return .commit
                }
                // This process's prepared keys of the shredded months go with them (another
                // process forgets them at its next lookup over those months).
                for period in result?.shreddedPeriods ?? [] { preparedKeys.forgetAbsent(in: period...period, present: []) }
                try checkpointFully(db)
                if try !numbersStillInFile(redacted).isEmpty {
                    // Earlier updates of a row can leave its old bytes in a page's free space,
                    // which secure_delete (on only now) never saw: rebuild the file without them.
                    try db.execute(sql: "VACUUM")
                    try checkpointFully(db)
                    let left = try numbersStillInFile(redacted)
                    if !left.isEmpty { throw StoreError.purgeIncomplete(path: path, numbers: left.count) }
                }
                return result ?? PurgeResult(before: before, calls: 0, callbacks: 0, pendingKept: 0, liveKept: 0, shreddedPeriods: [], dryRun: false)
            }
        } catch {
            throw StoreError.wrap(error, path: path, busyTimeout: options.busyTimeout)
        }
    }

    /// Copies the WAL into the file and truncates it, waiting up to the busy timeout for
    /// readers of older snapshots to finish; a reader still there means the old pages stay.
    private func checkpointFully(_ db: Database) throws {
        let deadline = Date().addingTimeInterval(options.busyTimeout)
        while true {
            let row = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)")
            let busy: Int = row?[0] ?? 0
            if busy == 0 { return }
            if Date() >= deadline {
                throw StoreError.purgeIncomplete(path: path, numbers: -1)
            }
            usleep(50_000)
        }
    }

    /// The numbers of `numbers` whose E.164 text is still somewhere in the file or its WAL.
    private func numbersStillInFile(_ numbers: Set<String>) throws -> Set<String> {
        guard !numbers.isEmpty else { return [] }
        var found: Set<String> = []
        // Every stored number is "+" and 8 to 15 digits, and a record may put more digits right
        // after it (a hash): at each "+", try each length the numbers have.
        let lengths = Set(numbers.map(\.utf8.count))
        let overlap = 16
        for file in [path, path + "-wal"] {
            // In chunks, each starting 16 bytes before the last one ended, so a number across a
            // chunk boundary is still seen, and a large file never sits in memory whole.
            guard let handle = FileHandle(forReadingAtPath: file) else { continue }
            defer { try? handle.close() }
            var carry: [UInt8] = []
            while true {
                let chunk = handle.readData(ofLength: 8 << 20)
                if chunk.isEmpty { break }
                let bytes = carry + [UInt8](chunk)
                var i = 0
                while i < bytes.count {
                    if bytes[i] == UInt8(ascii: "+") {
                        var end = i + 1
                        while end < bytes.count, end - i <= 16, bytes[end] >= 0x30, bytes[end] <= 0x39 { end += 1 }
                        for length in lengths where length <= end - i {
                            let text = String(decoding: bytes[i..<(i + length)], as: UTF8.self)
                            if numbers.contains(text) { found.insert(text) }
                        }
                        i = end
                    } else {
                        i += 1
                    }
                }
                carry = Array(bytes.suffix(overlap))
            }
        }
        return found
    }
}
