import Foundation
import GRDB

/// The candidates of a decision and their live counters: read, recounted, and written per offer.
extension Helpline {
    /// Writes one offer: the attempt, the provider's hour, day and month counters in its own zone,
    /// and its last-offer time.
    static func recordOffer(callID: Int64, seq: Int, provider: Provider, at when: Date, ringTimeout: Int, db: Database) throws {
        let ms = when.epochMilliseconds
        try db.cachedStatement(
            sql: "INSERT INTO attempts (call_id, seq, provider_id, offered_at, ring_deadline) VALUES (?, ?, ?, ?, ?)"
        ).execute(arguments: [callID, seq, provider.id, ms, ms + Int64(ringTimeout) * 1000])
        let local = CivilTime(when, in: provider.timeZone)
        // Each period's count restarts when its key moves on; an offer backdated into an
        // earlier period than the row holds leaves the current counts alone.
        try db.cachedStatement(
            sql: """
                INSERT INTO provider_live (provider_id, hour_key, hour_offered, day_key, day_offered, month_key, month_offered, last_offer_at)
                VALUES (?4, ?1, 1, ?2, 1, ?3, 1, ?5)
                ON CONFLICT (provider_id) DO UPDATE SET
                    hour_offered = CASE WHEN hour_key = excluded.hour_key THEN hour_offered + 1
                                        WHEN hour_key < excluded.hour_key THEN 1 ELSE hour_offered END,
                    hour_key = max(hour_key, excluded.hour_key),
                    day_offered = CASE WHEN day_key = excluded.day_key THEN day_offered + 1
                                       WHEN day_key < excluded.day_key THEN 1 ELSE day_offered END,
                    day_key = max(day_key, excluded.day_key),
                    month_offered = CASE WHEN month_key = excluded.month_key THEN month_offered + 1
                                         WHEN month_key < excluded.month_key THEN 1 ELSE month_offered END,
                    month_key = max(month_key, excluded.month_key),
                    last_offer_at = max(coalesce(last_offer_at, 0), excluded.last_offer_at)
                """
        ).execute(arguments: [local.hourKey, local.dayKey, local.monthKey, provider.id, ms])
    }

    /// Builds candidates with their live counters: offers this local hour, day and month (read
    /// from one live row per provider, never counted over calls), calls ringing or connected,
    /// and last offer times.
    ///
    /// - Parameter maxCallLength: the handle's `maxCallLength`: a connected call counts this long.
    static func candidates(
        _ providers: [Provider], members: Set<Int64>?, at when: Date, maxCallLength: Double, db: Database
    ) throws -> [Candidate] {
        // Each zone's offset once: it makes the wall clock here and goes to the router below.
        let offsets = providers.map { ZoneOffsets.secondsFromGMT(for: when, in: $0.timeZone) }
        let seconds = Int(floor(when.timeIntervalSince1970))
        let locals = offsets.map { CivilTime(localSeconds: seconds + $0) }
        var index: [Int64: Int] = [:]
        index.reserveCapacity(providers.count)
        for (i, p) in providers.enumerated() { index[p.id] = i }
        var counters = [LiveCounters](repeating: LiveCounters(), count: providers.count)
        let rows = try Row.fetchCursor(
            db.cachedStatement(
                sql: """
                    SELECT provider_id, hour_key, hour_offered, day_key, day_offered, month_key, month_offered, last_offer_at
                    FROM provider_live
                    """))
        let ms = when.epochMilliseconds
        var behind: [(index: Int, span: RecountSpan)] = []
        // The latest offer of any provider: when it is not after this call, no offer is dated
        // after it, and the ringing count can come from the per-provider totals.
        var latestOffer: Int64 = 0
        while let row = try rows.next() {
            if let last: Int64 = row[7] { latestOffer = max(latestOffer, last) }
            // The row holds the counts of the latest periods offered in. A key equal to the
            // call's period is its count; an earlier key means nothing was offered yet in this
            // period. A later key means this call lies behind that live period (a backfill, a
            // race at a boundary, a future-dated offer): that period's count comes from the
            // attempts, read over a window as wide as the period, never over all history.
            guard let i = index[row[0]] else { continue }
            let local = locals[i]
            let hourKey: Int = row[1]
            let dayKey: Int = row[3]
            let monthKey: Int = row[5]
            if hourKey == local.hourKey { counters[i].hour = row[2] }
            if dayKey == local.dayKey { counters[i].day = row[4] }
            if monthKey == local.monthKey { counters[i].month = row[6] }
            if let last: Int64 = row[7] { counters[i].lastOfferAt = Date(epochMilliseconds: last) }
            if monthKey > local.monthKey {
                behind.append((i, .month))
            } else if dayKey > local.dayKey {
                behind.append((i, .day))
            } else if hourKey > local.hourKey {
                behind.append((i, .hour))
            }
        }
        // Providers of one zone share their periods' bounds: one grouped count per zone and
        // period, not one scan per provider.
        var zonesBehind: [String: [(index: Int, span: RecountSpan)]] = [:]
        for entry in behind { zonesBehind[providers[entry.index].timeZone.identifier, default: []].append(entry) }
        for entries in zonesBehind.values {
            guard let first = entries.first else { continue }
            let bounds = PeriodBounds(at: when, in: providers[first.index].timeZone)
            let widest = entries.map(\.span).max() ?? .hour
            let hour = try Self.offersByProvider(bounds.hour, db: db)
            let day = widest >= .day ? try Self.offersByProvider(bounds.day, db: db) : [:]
            let month = widest == .month ? try Self.offersByProvider(bounds.month, db: db) : [:]
            for (i, span) in entries {
                let id = providers[i].id
                counters[i].hour = hour[id, default: 0]
                if span >= .day { counters[i].day = day[id, default: 0] }
                if span == .month { counters[i].month = month[id, default: 0] }
            }
        }
        // A call no offer is dated after retires the deadlines that have come; a backdated one
        // leaves them (its count comes from the attempts).
        if latestOffer <= ms { try Self.retireRinging(through: ms, db: db) }
        for (providerID, count) in try Self.liveCalls(
            at: ms, latestOffer: latestOffer, maxCallLength: maxCallLength, expected: providers.count, db: db)
        {
            if let i = index[providerID] { counters[i].concurrent = count }
        }
        var result: [Candidate] = []
        result.reserveCapacity(providers.count)
        for (i, p) in providers.enumerated() {
            // The offset from the store's cache, passed in: the router itself reads no cache.
            result.append(
                Candidate(
                    provider: p, counters: counters[i], isMember: members.map { $0.contains(p.id) } ?? true,
                    utcOffset: offsets[i]))
        }
        return result
    }

    /// Offers ringing and calls connected at `ms`, per provider.
    ///
    /// Ringing offers are those whose deadline is still ahead. When no offer is dated after the
    /// call (`latestOffer <= ms`, as for every live call) and the call is not dated before the
    /// retired deadlines, they are `ringing_totals` (one row per provider, kept by triggers)
    /// less the deadlines that have come but are not retired yet (none after `retireRinging`):
    /// the cost is the same at ten calls a second or ten thousand. Otherwise (a backdated call)
    /// every ringing offer made by then is read from the attempts. No ring timeout is near an
    /// hour (600 s at most), so that range stops an hour ahead: a call dated in the past never
    /// scans every later offer whose events were lost. Offers read from the attempts are counted
    /// here, since grouping rows that come in deadline order would make SQLite sort them.
    ///
    /// - Parameter expected: how many providers may have counts (room is made for them once).
    static func liveCalls(at ms: Int64, latestOffer: Int64, maxCallLength: Double, expected: Int = 0, db: Database) throws
        -> [Int64: Int]
    {
        var counts: [Int64: Int] = [:]
        counts.reserveCapacity(expected)
        let retiredThrough =
            try Int64.fetchOne(db.cachedStatement(sql: "SELECT retired_through FROM ringing_horizon WHERE id = 1")) ?? .max
        if latestOffer <= ms && retiredThrough <= ms {
            let totals = try Row.fetchCursor(db.cachedStatement(sql: "SELECT provider_id, n FROM ringing_totals WHERE n != 0"))
            while let row = try totals.next() { counts[row[0], default: 0] += row[1] as Int }
            let rungOut = try Row.fetchCursor(
                db.cachedStatement(sql: "SELECT provider_id, n FROM ringing_deadlines WHERE deadline <= ?"), arguments: [ms])
            while let row = try rungOut.next() { counts[row[0], default: 0] -= row[1] as Int }
            // Only a table edited past its triggers could make this negative (doctor finds that);
            // a decision never records a negative count.
            for (id, n) in counts where n <= 0 { counts[id] = nil }
        } else {
            let ringing = try Int64.fetchCursor(
                db.cachedStatement(
                    sql: """
                        SELECT provider_id FROM attempts INDEXED BY attempts_ringing
                        WHERE outcome IS NULL AND ended_at IS NULL AND ring_deadline > ?1 AND ring_deadline <= ?1 + 3600000
                            AND offered_at <= ?1
                        """), arguments: [ms])
            while let id = try ringing.next() { counts[id, default: 0] += 1 }
        }
        let connected = try Int64.fetchCursor(
            db.cachedStatement(
                sql: """
                    SELECT provider_id FROM attempts INDEXED BY attempts_connected
                    WHERE outcome = 'answered' AND ended_at IS NULL AND answered_at > ? AND answered_at <= ?
                    """), arguments: [ms - Int64(maxCallLength * 1000), ms])
        while let id = try connected.next() { counts[id, default: 0] += 1 }
        return counts
    }

    /// Retires every ringing deadline at or before `ms` (the offers that rang out), so the totals
    /// count exactly the offers ringing at `ms`, and moves the horizon to `ms`. A route does this
    /// before counting: it deletes the few deadlines that came since the previous route. An
    /// instant before the horizon retires nothing (its call is counted from the attempts).
    static func retireRinging(through ms: Int64, db: Database) throws {
        // Row by row, by key: a DELETE over a range of a table with triggers collects the keys in
        // a temporary table first, on every route, even when the range is empty.
        let rungOut = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT deadline, provider_id FROM ringing_deadlines WHERE deadline <= ?"), arguments: [ms])
        for row in rungOut {
            try db.cachedStatement(sql: "DELETE FROM ringing_deadlines WHERE deadline = ? AND provider_id = ?")
                .execute(arguments: [row[0] as Int64, row[1] as Int64])
        }
        try db.cachedStatement(sql: "UPDATE ringing_horizon SET retired_through = ?1 WHERE id = 1 AND retired_through < ?1")
            .execute(arguments: [ms])
    }

    /// How far a recount reads: the widest period it must count.
    enum RecountSpan: Int, Comparable {
        case hour, day, month
        static func < (a: RecountSpan, b: RecountSpan) -> Bool { a.rawValue < b.rawValue }
    }

    /// The first and the end instant (in epoch ms) of the local hour, day and month of an
    /// instant in a zone, DST included (zones change their offset on the hour).
    struct PeriodBounds {
        var hour: (Int64, Int64)
        var day: (Int64, Int64)
        var month: (Int64, Int64)

        init(at when: Date, in zone: TimeZone) {
            let local = CivilTime(when, in: zone)
            let offset = ZoneOffsets.secondsFromGMT(for: when, in: zone)
            let hourStart = Int64(CivilTime.floorDiv(Int(floor(when.timeIntervalSince1970)) + offset, 3600) * 3600 - offset) * 1000
            hour = (hourStart, hourStart + 3_600_000)
            let today = LocalDate(when, in: zone)
            day = (today.start(in: zone).epochMilliseconds, today.next.start(in: zone).epochMilliseconds)
            let first = LocalDate(daysSinceEpoch: CivilTime.daysFromCivil(year: local.year, month: local.month, day: 1))
            let next = local.month == 12 ? (local.year + 1, 1) : (local.year, local.month + 1)
            let following = LocalDate(daysSinceEpoch: CivilTime.daysFromCivil(year: next.0, month: next.1, day: 1))
            month = (first.start(in: zone).epochMilliseconds, following.start(in: zone).epochMilliseconds)
        }
    }

    /// Offers per provider in `[from, to)`: one range count over the `attempts_offered` index.
    static func offersByProvider(_ range: (Int64, Int64), db: Database) throws -> [Int64: Int] {
        var counts: [Int64: Int] = [:]
        let rows = try Row.fetchCursor(
            db.cachedStatement(
                sql: """
                    SELECT provider_id, count(*) FROM attempts INDEXED BY attempts_offered
                    WHERE offered_at >= ? AND offered_at < ? GROUP BY provider_id
                    """), arguments: [range.0, range.1])
        while let row = try rows.next() { counts[row[0]] = row[1] }
        return counts
    }

    /// One provider's offers in the local hour, day and month of `when`, counted from its
    /// attempts (for `doctor`'s rebuild of its live row).
    static func recount(providerID: Int64, zone: TimeZone, at when: Date, db: Database) throws -> LiveCounters {
        let bounds = PeriodBounds(at: when, in: zone)
        let count = try db.cachedStatement(
            sql: "SELECT count(*) FROM attempts INDEXED BY attempts_offered WHERE offered_at >= ? AND offered_at < ? AND provider_id = ?")
        func offers(_ range: (Int64, Int64)) throws -> Int { try Int.fetchOne(count, arguments: [range.0, range.1, providerID]) ?? 0 }
        return LiveCounters(hour: try offers(bounds.hour), day: try offers(bounds.day), month: try offers(bounds.month))
    }
}
