import Foundation
import GRDB

/// The invariants `helpline doctor` checks, and what it found.
public struct DoctorReport: Sendable, Hashable {
    /// What a failed check means, and so what an operator does about it.
    public enum Kind: String, Sendable, Hashable {
        /// The file is damaged (integrity, values of the wrong type): restore or correct it.
        case damage
        /// Derived state drifted from the record (live counters, modes, open future offers):
        /// `doctor --repair` rebuilds it from the record.
        case repairable
        /// The record itself is wrong (the ledger, a missing decision or consent, a reroute):
        /// keep the file as evidence and investigate.
        case evidence
    }

    /// One invariant.
    public struct Check: Sendable, Hashable {
        public var name: String
        public var ok: Bool
        public var detail: String
        public var kind: Kind

        public init(name: String, ok: Bool, detail: String, kind: Kind = .evidence) {
            self.name = name
            self.ok = ok
            self.detail = detail
            self.kind = kind
        }
    }

    public var checks: [Check]
    /// What `repair` changed.
    public var repaired: [String]
    /// True when every check passed (after any repair).
    public var isClean: Bool { checks.allSatisfy(\.ok) }
}

extension Helpline {
    /// Checks the database's invariants: SQLite's integrity check and foreign keys, the consent
    /// chain, each provider's live counters against a recount of its attempts, a consent record
    /// and a decision for every routable call, no listing call offered to another provider, and
    /// private file modes.
    ///
    /// - Parameter repair: rebuild the live counters from the recount and make the files 0600.
    ///   Nothing else is changed: a broken ledger or a corrupt file needs a person.
    /// - Throws: `StoreError` when the database can't be read or written.
    public func doctor(repair: Bool = false) throws -> DoctorReport {
        var repaired: [String] = []
        if repair {
            let converted = try configWrite { db in try ColumnTypes.tables(db).reduce(0) { $0 + (try ColumnTypes.repair($1, db: db)) } }
            if converted > 0 { repaired.append("converted \(converted) values stored with the wrong type") }
        }
        // Values of the wrong type would trap when decoded: find them first, and check nothing
        // that reads them until a person has corrected them.
        let badValues = try read { db -> [String] in
            var problems: [String] = []
            for table in try ColumnTypes.tables(db) {
                do { try ColumnTypes.check(table, db: db) } catch let error as StoreError {
                    if case .badValue(_, let table, let row, let column, let found, let expected) = error {
                        problems.append("\(table) row \(row), column \(column) is \(found), not \(expected)")
                    } else {
                        throw error
                    }
                }
            }
            return problems
        }
        if !badValues.isEmpty {
            let basic = try read { db -> [DoctorReport.Check] in
                let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check")
                return [.init(name: "integrity", ok: integrity == ["ok"], detail: integrity.prefix(5).joined(separator: "; "), kind: .damage)]
            }
            return DoctorReport(
                checks: basic + [
                    .init(
                        name: "column types", ok: false, detail: badValues.joined(separator: "; ") + " (correct or restore; other checks skipped)",
                        kind: .damage)
                ],
                repaired: repaired + (repair ? ["nothing else: the values left need a person"] : []))
        }
        if repair {
            let fixes = try write { db -> [String] in
                let now = options.now()
                var fixes: [String] = []
                // Offers dated past the clock hold concurrency slots and move the live periods
                // into the future; close them (their history stays) before recounting.
                let limit = now.addingTimeInterval(Self.futureTolerance).epochMilliseconds
                try db.execute(
                    sql:
                        "UPDATE attempts SET outcome = 'failed', ended_at = offered_at WHERE offered_at > ? AND outcome IS NULL AND ended_at IS NULL",
                    arguments: [limit])
                let closedRinging = db.changesCount
                try db.execute(
                    sql: "UPDATE attempts SET ended_at = answered_at WHERE offered_at > ? AND outcome = 'answered' AND ended_at IS NULL",
                    arguments: [limit])
                let closed = closedRinging + db.changesCount
                if closed > 0 { fixes.append("closed \(closed) future-dated offers that held concurrency slots") }
                if try Self.ringingTableDiffers(db) {
                    // The totals start from nothing: the deadlines' insert trigger adds them up again.
                    try db.execute(sql: "DELETE FROM ringing_deadlines")
                    try db.execute(sql: "DELETE FROM ringing_totals")
                    try db.execute(sql: "INSERT INTO ringing_deadlines (deadline, provider_id, n) \(Self.ringingRecount)")
                    fixes.append("rebuilt the count of offers ringing per provider")
                }
                let recount = try Self.recountLive(db, now: now)
                for (providerID, counts) in recount.expected where counts != recount.stored[providerID] {
                    try Self.writeLive(providerID: providerID, counts, db: db)
                    fixes.append("rebuilt live counters of provider \(providerID)")
                }
                return fixes
            }
            repaired += fixes
            for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
                if let mode = try? FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int, mode & 0o777 != 0o600 {
                    try? FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
                    repaired.append("made \(file) mode 0600")
                }
            }
        }
        let checks = try read { db -> [DoctorReport.Check] in
            var checks: [DoctorReport.Check] = []
            let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check")
            checks.append(.init(name: "integrity", ok: integrity == ["ok"], detail: integrity.prefix(5).joined(separator: "; "), kind: .damage))
            checks.append(.init(name: "column types", ok: true, detail: "every value has its column's type", kind: .damage))
            let foreign = try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").count
            checks.append(.init(name: "foreign keys", ok: foreign == 0, detail: foreign == 0 ? "ok" : "\(foreign) rows point nowhere"))
            let ledger = try ConsentLedger.verify(db: db)
            checks.append(
                .init(
                    name: "consent chain", ok: ledger.isIntact,
                    detail: ledger.isIntact ? "\(ledger.records) records verify" : "record \(ledger.firstBadSeq ?? 0): \(ledger.problem ?? "")"))
            let now = options.now()
            let limit = now.addingTimeInterval(Self.futureTolerance).epochMilliseconds
            let future = try Int64.fetchAll(
                db,
                sql: """
                    SELECT DISTINCT call_id FROM attempts INDEXED BY attempts_offered WHERE offered_at > ?
                    AND ((outcome IS NULL AND ended_at IS NULL) OR (outcome = 'answered' AND ended_at IS NULL)) ORDER BY call_id
                    """, arguments: [limit])
            checks.append(
                .init(
                    name: "no open future-dated offers", ok: future.isEmpty,
                    detail: future.isEmpty
                        ? "ok"
                        : "calls \(future.prefix(10).map(String.init).joined(separator: ", ")) have offers dated after now that hold slots (run with --repair)",
                    kind: .repairable))
            let history = try ConfigHistory.verify(db)
            checks.append(
                .init(
                    name: "configuration history", ok: history.bad == nil,
                    detail: history.bad.map { "change \($0.seq): \($0.problem)" } ?? "\(history.count) changes verify"))
            let recount = try Self.recountLive(db, now: now)
            let wrong = recount.expected.keys.sorted().filter { recount.expected[$0] != recount.stored[$0] }
            checks.append(
                .init(
                    name: "live counters = recount", ok: wrong.isEmpty,
                    detail: wrong.isEmpty
                        ? "the \(recount.expected.count) providers with offers match a recount of their attempts"
                        : "providers \(wrong.map(String.init).joined(separator: ", ")) differ from the recount (run with --repair)",
                    kind: .repairable))
            let ringingDiffers = try Self.ringingTableDiffers(db)
            checks.append(
                .init(
                    name: "ringing counts = recount", ok: !ringingDiffers,
                    detail: ringingDiffers
                        ? "ringing_deadlines or ringing_totals differ from the offers still ringing (run with --repair)"
                        : "the offers ringing per provider and deadline, and their totals, match the attempts",
                    kind: .repairable))
            let unconsented =
                try Int.fetchOne(
                    db,
                    sql: """
                        SELECT count(*) FROM calls c WHERE c.kind != 'unroutable'
                        AND NOT EXISTS (SELECT 1 FROM consent_records r WHERE r.call_id = c.id)
                        """) ?? 0
            checks.append(
                .init(
                    name: "consent for every routable call", ok: unconsented == 0, detail: unconsented == 0 ? "ok" : "\(unconsented) calls have none")
            )
            let undecided =
                try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM calls c WHERE NOT EXISTS (SELECT 1 FROM routing_decisions d WHERE d.call_id = c.id)") ?? 0
            checks.append(
                .init(name: "a decision for every call", ok: undecided == 0, detail: undecided == 0 ? "ok" : "\(undecided) calls have none"))
            let reroutes =
                try Int.fetchOne(
                    db,
                    sql: """
                        SELECT count(*) FROM attempts a JOIN calls c ON c.id = a.call_id JOIN listings l ON l.id = c.listing_id
                        WHERE c.kind = 'direct' AND a.provider_id != l.provider_id
                        """) ?? 0
            checks.append(
                .init(
                    name: "listing reroutes", ok: reroutes == 0,
                    detail: reroutes == 0 ? "none" : "\(reroutes) listing calls offered to another provider"))
            return checks
        }
        var all = checks
        var loose: [String] = []
        for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
            if let mode = try? FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int, mode & 0o777 != 0o600 {
                loose.append("\(file) is \(String(mode & 0o777, radix: 8))")
            }
        }
        all.append(
            .init(name: "file modes 0600", ok: loose.isEmpty, detail: loose.isEmpty ? "ok" : loose.joined(separator: "; "), kind: .repairable))
        return DoctorReport(checks: all, repaired: repaired)
    }

    /// The rows `ringing_deadlines` should hold, recounted from the attempts: the open offers
    /// whose deadline is after the retired horizon.
    static let ringingRecount = """
        SELECT ring_deadline, provider_id, count(*) FROM attempts
        WHERE outcome IS NULL AND ended_at IS NULL AND ring_deadline > (SELECT retired_through FROM ringing_horizon WHERE id = 1)
        GROUP BY 1, 2
        """

    /// Whether `ringing_deadlines` differs from a recount, or `ringing_totals` from the sums of
    /// its rows (an edit with the triggers dropped, say).
    static func ringingTableDiffers(_ db: Database) throws -> Bool {
        let sums = "SELECT provider_id, sum(n) FROM ringing_deadlines GROUP BY 1"
        let totals = "SELECT provider_id, n FROM ringing_totals WHERE n != 0"
        let differing = try Int.fetchOne(
            db,
            sql: """
                SELECT (SELECT count(*) FROM (\(ringingRecount) EXCEPT SELECT deadline, provider_id, n FROM ringing_deadlines))
                     + (SELECT count(*) FROM (SELECT deadline, provider_id, n FROM ringing_deadlines EXCEPT \(ringingRecount)))
                     + (SELECT count(*) FROM (\(sums) EXCEPT \(totals)))
                     + (SELECT count(*) FROM (\(totals) EXCEPT \(sums)))
                """)
        return (differing ?? 0) > 0
    }

    static func rebuildLive(providerID: Int64, zone: TimeZone, now: Date, db: Database) throws {
        let limit = now.addingTimeInterval(futureTolerance).epochMilliseconds
        guard
            let last = try Int64.fetchOne(
                db, sql: "SELECT max(offered_at) FROM attempts WHERE provider_id = ? AND offered_at <= ?", arguments: [providerID, limit])
        else {
            try db.execute(
                sql: """
                    UPDATE provider_live SET hour_key = 0, hour_offered = 0, day_key = 0, day_offered = 0, month_key = 0,
                        month_offered = 0, last_offer_at = NULL WHERE provider_id = ?
                    """, arguments: [providerID])
            return
        }
        let at = Date(epochMilliseconds: last)
        let local = CivilTime(at, in: zone)
        let counts = try recount(providerID: providerID, zone: zone, at: at, db: db)
        try writeLive(
            providerID: providerID,
            LiveCounts(
                hourKey: local.hourKey, hour: counts.hour, dayKey: local.dayKey, day: counts.day, monthKey: local.monthKey,
                month: counts.month, lastOfferAt: last), db: db)
    }

    static func writeLive(providerID: Int64, _ counts: LiveCounts, db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO provider_live (provider_id, hour_key, hour_offered, day_key, day_offered, month_key, month_offered, last_offer_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (provider_id) DO UPDATE SET hour_key = excluded.hour_key, hour_offered = excluded.hour_offered,
                    day_key = excluded.day_key, day_offered = excluded.day_offered, month_key = excluded.month_key,
                    month_offered = excluded.month_offered, last_offer_at = excluded.last_offer_at
                """,
            arguments: [
                providerID, counts.hourKey, counts.hour, counts.dayKey, counts.day, counts.monthKey, counts.month, counts.lastOfferAt,
            ])
    }

    struct LiveCounts: Equatable {
        var hourKey = 0
        var hour = 0
        var dayKey = 0
        var day = 0
        var monthKey = 0
        var month = 0
        var lastOfferAt: Int64?
    }

    /// The stored live counters, and what a recount of attempts says they should be: for each
    /// provider, its offers in the current hour, day and month of its zone (as of its latest offer).
    static func recountLive(_ db: Database, now: Date) throws -> (stored: [Int64: LiveCounts], expected: [Int64: LiveCounts]) {
        let limit = now.addingTimeInterval(futureTolerance).epochMilliseconds
        var stored: [Int64: LiveCounts] = [:]
        for row in try Row.fetchAll(
            db, sql: "SELECT provider_id, hour_key, hour_offered, day_key, day_offered, month_key, month_offered, last_offer_at FROM provider_live")
        {
            stored[row[0]] = LiveCounts(
                hourKey: row[1], hour: row[2], dayKey: row[3], day: row[4], monthKey: row[5], month: row[6], lastOfferAt: row[7])
        }
        var zones: [Int64: TimeZone] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, time_zone FROM providers") {
            zones[row[0]] = TimeZone(identifier: row[1]) ?? TimeZone(identifier: "UTC")
        }
        // The latest offer fixes each provider's current periods.
        var expected: [Int64: LiveCounts] = [:]
        for row in try Row.fetchAll(
            db, sql: "SELECT provider_id, max(offered_at) FROM attempts WHERE offered_at <= ? GROUP BY provider_id", arguments: [limit])
        {
            let id: Int64 = row[0]
            let last: Int64 = row[1]
            guard let zone = zones[id] else { continue }
            let local = CivilTime(Date(epochMilliseconds: last), in: zone)
            expected[id] = LiveCounts(hourKey: local.hourKey, dayKey: local.dayKey, monthKey: local.monthKey, lastOfferAt: last)
        }
        // One scan of the attempts in the span of all those months (a day of margin each side).
        guard let earliest = expected.values.compactMap(\.lastOfferAt).min() else { return (stored, expected) }
        let from = earliest - 33 * 86_400_000
        let rows = try Row.fetchCursor(
            db, sql: "SELECT provider_id, offered_at FROM attempts WHERE offered_at >= ? AND offered_at <= ?", arguments: [from, limit])
        while let row = try rows.next() {
            let id: Int64 = row[0]
            guard var counts = expected[id], let zone = zones[id] else { continue }
            let local = CivilTime(Date(epochMilliseconds: row[1]), in: zone)
            if local.monthKey == counts.monthKey { counts.month += 1 }
            if local.dayKey == counts.dayKey { counts.day += 1 }
            if local.hourKey == counts.hourKey { counts.hour += 1 }
            expected[id] = counts
        }
        // A stored row whose periods are older than the latest offer is fine only if it is the
        // same as the recount; stored rows for providers without attempts must be empty.
        for (id, counts) in stored where expected[id] == nil && (counts.hour != 0 || counts.day != 0 || counts.month != 0) {
            expected[id] = LiveCounts()
        }
        // Normalize stored rows for comparison: rows never offered to have zero counts and keys.
        var normalized = stored
        for (id, counts) in stored where counts.lastOfferAt == nil && counts.hour == 0 && counts.day == 0 && counts.month == 0 {
            normalized[id] = nil
        }
        return (normalized, expected)
    }
}
