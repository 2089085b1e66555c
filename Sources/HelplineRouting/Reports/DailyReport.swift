public import Foundation
import GRDB

/// How one day served its callers: the numbers behind `helpline report daily`.
///
/// Definitions (CLI.md): a call is answered when one of its attempts was answered, and returned
/// when its callback was completed. The response rate is (answered + returned) ÷ (calls −
/// unroutable). Response time runs from received to answered, or to returned; the median is the
/// middle value (the mean of the two middle values for an even count) and p90 is the nearest-rank
/// 90th percentile. Consent coverage is routable calls with a consent record ÷ routable calls.
/// Listing reroutes count direct calls offered to any provider but the listing's own: always 0.
public struct DailyReport: Sendable, Hashable {
    /// One provider's line.
    public struct ProviderLine: Sendable, Hashable {
        public var id: Int64
        public var name: String
        public var status: String
        /// Offers made to it on the day (first offers and failovers).
        public var offered: Int
        /// First offers of non-sticky pool calls: what the neutrality audit compares.
        public var firstOffers: Int
        public var answered: Int
        /// Offers that ended unanswered (no answer, busy or failed).
        public var noAnswer: Int
        public var answerRate: Double?
        public var medianSecondsToAnswer: Double?
        /// Its entitlement: the sum of its shares over the day's non-sticky pool decisions.
        public var expectedOffered: Double
        public var dailyCap: Int?
        /// Offers counted against its daily cap on the report date (in its own zone); nil without a cap.
        public var dailyCapUsed: Int?

        /// `12/40`, or `60/60 + 1 listing call` when listing calls (which always reach their
        /// provider) went past the cap that pool calls stop at; nil without a daily cap.
        public var dailyCapText: String? {
            guard let cap = dailyCap else { return nil }
            let used = dailyCapUsed ?? 0
            guard used > cap else { return "\(used)/\(cap)" }
            let over = used - cap
            return "\(cap)/\(cap) + \(over) listing call\(over == 1 ? "" : "s")"
        }
    }

    public var date: LocalDate
    public var timeZone: TimeZone
    public var calls: Int
    public var direct: Int
    public var pool: Int
    public var unroutable: Int
    public var answered: Int
    public var answeredAfterFailover: Int
    public var sticky: Int
    public var callbacksQueued: Int
    public var callbacksReturned: Int
    public var callbacksPending: Int
    /// Routable calls nobody answered whose caller could not be called back (withheld or
    /// international caller ID). They count as not responded in `responseRate`.
    public var unreturnable: Int = 0
    public var webFormRequests: Int
    /// Web-form requests of the day returned, and still pending (not calls: outside the response rate).
    public var webFormReturned: Int = 0
    public var webFormPending: Int = 0
    public var responseRate: Double?
    public var medianResponseSeconds: Double?
    public var p90ResponseSeconds: Double?
    public var consentCoverage: Double?
    public var listingReroutes: Int
    public var providers: [ProviderLine]
    /// Calls received in each local hour, 0-23 (on a DST day one hour is empty or doubled).
    public var hours: [Int]
    /// The consent ledger's head when the report was made: kept with the report, outside the
    /// database, it anchors the chain (`helpline consent verify --anchor`).
    public var ledgerHead: ConsentAnchor? = nil
}

extension Helpline {
    /// Computes the report for one local day, streaming the day's rows through report indexes.
    ///
    /// - Parameters:
    ///   - date: the day.
    ///   - zone: the zone the day and its hours are in.
    /// - Throws: `StoreError` when the database can't be read.
    public func dailyReport(for date: LocalDate, in zone: TimeZone) throws -> DailyReport {
        let start = date.start(in: zone).epochMilliseconds
        let end = date.next.start(in: zone).epochMilliseconds
        return try read { db in
            var report = try DailyReportQuery(db: db, start: start, end: end, date: date, zone: zone).run()
            report.ledgerHead = try Row.fetchOne(db, sql: "SELECT seq, hash FROM consent_records ORDER BY seq DESC LIMIT 1").map {
                ConsentAnchor(seq: $0[0], hash: $0[1])
            }
            return report
        }
    }
}

/// The queries behind the daily report; each reads one index range of the day.
struct DailyReportQuery {
    let db: Database
    let start: Int64
    let end: Int64
    let date: LocalDate
    let zone: TimeZone

    func run() throws -> DailyReport {
        var r = DailyReport(
            date: date, timeZone: zone, calls: 0, direct: 0, pool: 0, unroutable: 0, answered: 0, answeredAfterFailover: 0, sticky: 0,
            callbacksQueued: 0, callbacksReturned: 0, callbacksPending: 0, webFormRequests: 0, responseRate: nil,
            medianResponseSeconds: nil, p90ResponseSeconds: nil, consentCoverage: nil, listingReroutes: 0, providers: [],
            hours: Array(repeating: 0, count: 24))
        var responses: [Double] = []
        var returned = 0
        var consented = 0
        // The day's calls have ids in [firstID, lastID]; consent records and callbacks are read
        // by id range through their call indexes, then matched in memory, rather than probed
        // once per call.
        let idRange = try Row.fetchOne(
            db, sql: "SELECT min(id), max(id) FROM calls WHERE received_at >= ? AND received_at < ?", arguments: [start, end])
        let firstID: Int64 = idRange?[0] ?? 0
        let lastID: Int64 = idRange?[1] ?? -1
        var consentedIDs = Set<Int64>()
        let consentRows = try Int64.fetchCursor(
            db, sql: "SELECT call_id FROM consent_records WHERE call_id BETWEEN ? AND ?", arguments: [firstID, lastID])
        while let id = try consentRows.next() { consentedIDs.insert(id) }
        var returnedAt: [Int64: Int64] = [:]
        let callbackRows = try Row.fetchCursor(
            db, sql: "SELECT call_id, closed_at FROM callbacks WHERE call_id BETWEEN ? AND ? AND status = 'returned'",
            arguments: [firstID, lastID])
        while let row = try callbackRows.next() { returnedAt[row[0]] = row[1] }
        // One pass over the day's calls, through calls_received.
        let calls = try Row.fetchCursor(
            db,
            sql: """
                SELECT id, received_at, kind, answered_at, answered_seq, sticky, caller_kind FROM calls
                WHERE received_at >= ? AND received_at < ?
                """, arguments: [start, end])
        while let row = try calls.next() {
            let id: Int64 = row[0]
            let received: Int64 = row[1]
            let kind: String = row[2]
            r.calls += 1
            // The same zone-offset cache routing uses: the offset is looked up once per DST span.
            r.hours[CivilTime(Date(epochMilliseconds: received), in: zone).hour] += 1
            switch kind {
            case "direct": r.direct += 1
            case "pool": r.pool += 1
            default:
                r.unroutable += 1
                continue
            }
            if (row[5] as Int) == 1 { r.sticky += 1 }
            if consentedIDs.contains(id) { consented += 1 }
            if let answeredAt: Int64 = row[3] {
                r.answered += 1
                if let seq: Int = row[4], seq > 1 { r.answeredAfterFailover += 1 }
                responses.append(Double(answeredAt - received) / 1000)
            } else if let closed = returnedAt[id] {
                returned += 1
                responses.append(Double(closed - received) / 1000)
            } else if (row[6] as String?) != "number" {
                r.unreturnable += 1
            }
        }
        let routable = r.calls - r.unroutable
        if routable > 0 {
            r.responseRate = Double(r.answered + returned) / Double(routable)
            r.consentCoverage = Double(consented) / Double(routable)
        }
        responses.sort()
        r.medianResponseSeconds = Self.median(responses)
        r.p90ResponseSeconds = Self.nearestRank(responses, 0.9)

        // The day's callbacks: those owed for the day's calls (even if queued after midnight, when
        // the last attempt rang out), and the web-form requests received that day.
        // Callbacks owed for calls and web-form requests are counted apart: a web-form request is
        // not a call, so it is never in the response rate's numerator or denominator.
        let owed = try Row.fetchOne(
            db,
            sql: """
                SELECT count(*), coalesce(sum(cb.status = 'returned'), 0), coalesce(sum(cb.status = 'pending'), 0)
                FROM calls c JOIN callbacks cb ON cb.call_id = c.id WHERE c.received_at >= ? AND c.received_at < ?
                """, arguments: [start, end])
        r.callbacksQueued = owed?[0] ?? 0
        r.callbacksReturned = owed?[1] ?? 0
        r.callbacksPending = owed?[2] ?? 0
        let form = try Row.fetchOne(
            db,
            sql: """
                SELECT count(*), coalesce(sum(status = 'returned'), 0), coalesce(sum(status = 'pending'), 0)
                FROM callbacks WHERE requested_at >= ? AND requested_at < ? AND call_id IS NULL
                """, arguments: [start, end])
        r.webFormRequests = form?[0] ?? 0
        r.webFormReturned = form?[1] ?? 0
        r.webFormPending = form?[2] ?? 0

        r.listingReroutes =
            try Int.fetchOne(
                db,
                sql: """
                    SELECT count(*) FROM calls c JOIN attempts a ON a.call_id = c.id JOIN listings l ON l.id = c.listing_id
                    WHERE c.received_at >= ? AND c.received_at < ? AND c.kind = 'direct' AND a.provider_id != l.provider_id
                    """, arguments: [start, end]) ?? 0
        r.providers = try providerLines()
        return r
    }

    private func providerLines() throws -> [DailyReport.ProviderLine] {
        var lines: [Int64: DailyReport.ProviderLine] = [:]
        func line(_ id: Int64) -> DailyReport.ProviderLine {
            lines[id]
                ?? DailyReport.ProviderLine(
                    id: id, name: "", status: "", offered: 0, firstOffers: 0, answered: 0, noAnswer: 0, answerRate: nil,
                    medianSecondsToAnswer: nil, expectedOffered: 0, dailyCap: nil, dailyCapUsed: nil)
        }
        let attempts = try Row.fetchCursor(
            db,
            sql: """
                SELECT provider_id, count(*), coalesce(sum(outcome = 'answered'), 0),
                    coalesce(sum(outcome IN ('no-answer', 'busy', 'failed')), 0)
                FROM attempts WHERE offered_at >= ? AND offered_at < ? GROUP BY provider_id
                """, arguments: [start, end])
        while let row = try attempts.next() {
            var l = line(row[0])
            l.offered = row[1]
            l.answered = row[2]
            l.noAnswer = row[3]
            lines[l.id] = l
        }
        // Seconds to answer, in provider order, so each provider's values arrive together.
        let answerTimes = try Row.fetchCursor(
            db,
            sql: """
                SELECT provider_id, (answered_at - offered_at) / 1000.0 AS s FROM attempts
                WHERE offered_at >= ? AND offered_at < ? AND outcome = 'answered' ORDER BY provider_id, s
                """, arguments: [start, end])
        var current: Int64?
        var values: [Double] = []
        func flush() {
            if let id = current { lines[id]?.medianSecondsToAnswer = Self.median(values) }
            values.removeAll(keepingCapacity: true)
        }
        while let row = try answerTimes.next() {
            let id: Int64 = row[0]
            if id != current {
                flush()
                current = id
            }
            values.append(row[1])
        }
        flush()
        let entitlement = try Entitlement.read(db, from: start, to: end)
        for id in Set(entitlement.entitled.keys).union(entitlement.firstOffers.keys) {
            var l = line(id)
            l.expectedOffered = entitlement.entitled[id, default: 0]
            l.firstOffers = entitlement.firstOffers[id, default: 0]
            lines[id] = l
        }
        let providers = try Row.fetchAll(db, sql: "SELECT id, name, status, daily_cap, time_zone FROM providers ORDER BY id")
        // Cap usage counts offers on the report date in each provider's own zone: one range
        // scan of attempts_offered per zone in use.
        var capUsed: [Int64: Int] = [:]
        let capped = providers.filter { ($0["daily_cap"] as Int?) != nil }
        // Each capped provider's own day, as an instant window; those in the report's zone reuse
        // the counts above, the others share one scan over the union of their windows.
        var windows: [Int64: (start: Int64, end: Int64)] = [:]
        for p in capped {
            let id: Int64 = p["id"]
            let zoneName: String = p["time_zone"]
            if zoneName == zone.identifier {
                capUsed[id] = lines[id]?.offered ?? 0
            } else if let providerZone = TimeZone(identifier: zoneName) {
                windows[id] = (date.start(in: providerZone).epochMilliseconds, date.next.start(in: providerZone).epochMilliseconds)
            }
        }
        if let from = windows.values.map(\.start).min(), let to = windows.values.map(\.end).max() {
            let rows = try Row.fetchCursor(
                db, sql: "SELECT provider_id, offered_at FROM attempts WHERE offered_at >= ? AND offered_at < ?", arguments: [from, to])
            while let row = try rows.next() {
                let id: Int64 = row[0]
                let at: Int64 = row[1]
                if let w = windows[id], at >= w.start, at < w.end { capUsed[id, default: 0] += 1 }
            }
            for id in windows.keys where capUsed[id] == nil { capUsed[id] = 0 }
        }
        var result: [DailyReport.ProviderLine] = []
        for p in providers {
            let id: Int64 = p["id"]
            let status: String = p["status"]
            guard lines[id] != nil || status != ProviderStatus.removed.rawValue else { continue }
            var l = line(id)
            l.name = p["name"]
            l.status = status
            l.dailyCap = p["daily_cap"]
            l.dailyCapUsed = l.dailyCap == nil ? nil : capUsed[id, default: 0]
            l.answerRate = l.offered > 0 ? Double(l.answered) / Double(l.offered) : nil
            result.append(l)
        }
        return result
    }

    /// The middle value of sorted values; the mean of the two middle ones for an even count.
    static func median(_ sorted: [Double]) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }

    /// The nearest-rank percentile of sorted values: the ⌈p·n⌉-th smallest.
    static func nearestRank(_ sorted: [Double], _ p: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}
