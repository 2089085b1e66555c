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
    static func candidates(
        _ providers: [Provider], members: Set<Int64>?, at when: Date, options: Options, db: Database
    ) throws -> [Candidate] {
        let locals = providers.map { CivilTime(when, in: $0.timeZone) }
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
        var behind: [Int] = []
        while let row = try rows.next() {
            // The row holds the counts of the latest periods offered in. A key equal to the
            // call's period is its count; an earlier key means nothing was offered yet in this
            // period. A later key means this call lies behind the live periods (a backfill, a
            // race at a boundary, a future-dated offer): its counts come from the attempts.
            guard let i = index[row[0]] else { continue }
            let local = locals[i]
            let hourKey: Int = row[1]
            let dayKey: Int = row[3]
            let monthKey: Int = row[5]
            let last: Int64? = row[7]
            if hourKey > local.hourKey || dayKey > local.dayKey || monthKey > local.monthKey || (last ?? 0) > ms {
                behind.append(i)
                continue
            }
            if hourKey == local.hourKey { counters[i].hour = row[2] }
            if dayKey == local.dayKey { counters[i].day = row[4] }
            if monthKey == local.monthKey { counters[i].month = row[6] }
            if let last { counters[i].lastOfferAt = Date(epochMilliseconds: last) }
        }
        for i in behind {
            counters[i] = try recount(providerID: providers[i].id, zone: providers[i].timeZone, at: when, db: db)
        }
        let live = try Row.fetchCursor(
            db.cachedStatement(
                sql: """
                    SELECT provider_id, count(*) FROM (
                        SELECT provider_id FROM attempts INDEXED BY attempts_ringing
                        WHERE outcome IS NULL AND ended_at IS NULL AND ring_deadline > ?1 AND offered_at <= ?1
                        UNION ALL
                        SELECT provider_id FROM attempts INDEXED BY attempts_connected
                        WHERE outcome = 'answered' AND ended_at IS NULL AND answered_at > ?2 AND answered_at <= ?1)
                    GROUP BY provider_id
                    """), arguments: [ms, ms - Int64(options.maxCallLength * 1000)])
        while let row = try live.next() {
            if let i = index[row[0]] { counters[i].concurrent = row[1] }
        }
        var result: [Candidate] = []
        result.reserveCapacity(providers.count)
        for (i, p) in providers.enumerated() {
            // The offset from the store's cache, passed in: the router itself reads no cache.
            result.append(
                Candidate(
                    provider: p, counters: counters[i], isMember: members.map { $0.contains(p.id) } ?? true,
                    utcOffset: ZoneOffsets.secondsFromGMT(for: when, in: p.timeZone)))
        }
        return result
    }

    /// A provider's offers in the local hour, day and month of `when`, and its last offer up to
    /// `when`, counted from its attempts: for a call that lies behind the live counters' periods.
    /// It reads the attempts of a month each side of `when` through the `attempts_offered` index,
    /// so it costs more than the live row and is used only when the row can't answer.
    static func recount(providerID: Int64, zone: TimeZone, at when: Date, db: Database) throws -> LiveCounters {
        let local = CivilTime(when, in: zone)
        let ms = when.epochMilliseconds
        var counters = LiveCounters()
        var last: Int64?
        let rows = try Int64.fetchCursor(
            db.cachedStatement(
                sql: "SELECT offered_at FROM attempts INDEXED BY attempts_offered WHERE offered_at BETWEEN ? AND ? AND provider_id = ?"),
            arguments: [ms - 33 * 86_400_000, ms + 33 * 86_400_000, providerID])
        while let at = try rows.next() {
            if at <= ms { last = max(last ?? at, at) }
            let t = CivilTime(Date(epochMilliseconds: at), in: zone)
            guard t.monthKey == local.monthKey else { continue }
            counters.month += 1
            guard t.dayKey == local.dayKey else { continue }
            counters.day += 1
            if t.hourKey == local.hourKey { counters.hour += 1 }
        }
        if last == nil {
            last = try Int64.fetchOne(
                db.cachedStatement(
                    sql: "SELECT max(offered_at) FROM attempts INDEXED BY attempts_offered WHERE offered_at <= ? AND provider_id = ?"),
                arguments: [ms, providerID])
        }
        counters.lastOfferAt = last.map(Date.init(epochMilliseconds:))
        return counters
    }
}
