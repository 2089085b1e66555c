public import Foundation
import GRDB

/// The public banner, "Response time about 1 min | Response rate 90%", computed from logged calls.
public struct Banner: Sendable, Hashable {
    /// Routable calls in the window.
    public var calls: Int
    public var responded: Int
    public var windowStart: Date
    public var windowEnd: Date
    public var days: Int
    public var minCalls: Int
    /// (answered + returned) ÷ routable calls.
    public var responseRate: Double?
    /// The median of received-to-answered or received-to-returned, in seconds.
    public var medianResponseSeconds: Double?

    public static let method =
        "routable calls received in the window; answered or returned count as responded; response time is the median "
        + "of received-to-answered or received-to-returned; the rate is rounded down to a whole percent; an unanswered call "
        + "whose caller withheld their number (or has no North American number) can't be returned and counts as not responded"

    /// Why the banner is withheld, or nil when it is published.
    public var withheldReason: String? {
        if calls == 0 { return "no routable calls in the window" }
        if calls < minCalls { return "\(calls) routable calls in the window, fewer than the minimum of \(minCalls)" }
        return nil
    }

    /// The banner line, or nil when it is withheld (see `withheldReason`). A rate of 0% is
    /// published as it is, without a response time, since there was none to measure.
    public var line: String? {
        guard withheldReason == nil, let rate = responseRate else { return nil }
        // Rounded down, so 99.6% is never shown as 100%.
        let percent = Int((rate * 100 + 1e-9).rounded(.down))
        guard let median = medianResponseSeconds else { return "Response rate \(percent)%" }
        let time = median < 60 ? "under 1 min" : "about \(Int((median / 60).rounded())) min"
        return "Response time \(time) | Response rate \(percent)%"
    }
}

extension Helpline {
    /// The banner's figures over the `days` days up to `time` (now).
    ///
    /// - Throws: `InputError.outOfRange` for days outside 1-3650; `StoreError`.
    public func banner(days: Int = 30, minCalls: Int = 10, at time: Date? = nil) throws -> Banner {
        guard (1...3650).contains(days) else { throw InputError.outOfRange(field: "days", value: String(days), allowed: "1-3650") }
        guard minCalls >= 0 else { throw InputError.outOfRange(field: "min-calls", value: String(minCalls), allowed: "0 or more") }
        let end = time ?? options.now()
        let start = end.addingTimeInterval(-Double(days) * 86_400)
        return try read { db in
            var responses: [Double] = []
            var calls = 0
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT c.received_at, c.answered_at, cb.status, cb.closed_at
                    FROM calls c LEFT JOIN callbacks cb ON cb.call_id = c.id
                    WHERE c.received_at > ? AND c.received_at <= ? AND c.kind != 'unroutable'
                    """, arguments: [start.epochMilliseconds, end.epochMilliseconds])
            while let row = try rows.next() {
                calls += 1
                let received: Int64 = row[0]
                if let answered: Int64 = row[1] {
                    responses.append(Double(answered - received) / 1000)
                } else if (row[2] as String?) == CallbackStatus.returned.rawValue, let closed: Int64 = row[3], closed <= end.epochMilliseconds {
                    responses.append(Double(closed - received) / 1000)
                }
            }
            responses.sort()
            return Banner(
                calls: calls, responded: responses.count, windowStart: start, windowEnd: end, days: days, minCalls: minCalls,
                responseRate: calls > 0 ? Double(responses.count) / Double(calls) : nil,
                medianResponseSeconds: DailyReportQuery.median(responses))
        }
    }

    /// The public "Where do calls go?" paragraph, naming every active advertiser of the general
    /// helplines in alphabetical order. Paused and removed providers are not named.
    ///
    /// - Throws: `StoreError`.
    public func disclosure() throws -> String {
        Disclosure.paragraph(advertisers: try advertisers())
    }

    /// The names of the active advertisers that general helplines offer calls to, as the
    /// disclosure names them (in no particular order).
    ///
    /// - Throws: `StoreError` when the database can't be read.
    public func advertisers() throws -> [String] {
        try read { db in
            try String.fetchAll(
                db,
                sql: """
                    SELECT DISTINCT p.name FROM providers p
                    WHERE p.status = 'active' AND EXISTS (
                        SELECT 1 FROM helplines h
                        WHERE h.all_providers = 1
                           OR EXISTS (SELECT 1 FROM helpline_members m WHERE m.helpline_id = h.id AND m.provider_id = p.id))
                    """)
        }
    }
}

/// The disclosure text, generated from data and never typed by hand.
public enum Disclosure {
    /// The paragraph for these advertiser names (sorted alphabetically, case-insensitively).
    public static func paragraph(advertisers: [String]) -> String {
        let sorted = advertisers.sorted { $0.localizedCaseInsensitiveCompare($1) == .orderedAscending }
        let list: String
        switch sorted.count {
        case 0: list = ""
        case 1: list = sorted[0]
        case 2: list = "\(sorted[0]) and \(sorted[1])"
        default: list = sorted.dropLast().joined(separator: ", ") + ", and " + (sorted.last ?? "")
        }
        let who =
            sorted.isEmpty
            ? "Calls to any general helpline will be returned by one of the listed treatment providers, each of which is a paid advertiser. No advertiser is taking calls right now."
            : "Calls to any general helpline will be answered or returned by one of the treatment providers listed, each of which is a paid advertiser: \(list)."
        return """
            Where do calls go? \(who) Calls to a treatment center's own listed number go to that center. \
            We do not receive any commission or fee that is dependent upon which treatment provider a caller chooses. \
            By calling the helpline you agree to the terms of use.
            """
    }
}

extension Banner: Encodable {
    enum CodingKeys: String, CodingKey {
        case n, responded, windowStart = "window_start", windowEnd = "window_end", days, minCalls = "min_calls"
        case responseRate = "response_rate", medianResponseSeconds = "median_response_seconds", banner, withheld, method
        case numerator, denominator, withheldReason = "withheld_reason"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(calls, forKey: .n)
        try c.encode(responded, forKey: .responded)
        try c.encode(windowStart, forKey: .windowStart)
        try c.encode(windowEnd, forKey: .windowEnd)
        try c.encode(days, forKey: .days)
        try c.encode(minCalls, forKey: .minCalls)
        try c.encode(responseRate, forKey: .responseRate)
        try c.encode(medianResponseSeconds, forKey: .medianResponseSeconds)
        try c.encode(line, forKey: .banner)
        try c.encode(line == nil, forKey: .withheld)
        try c.encode(Self.method, forKey: .method)
        // The rate as its parts, so the public figure can be recomputed (docs/audit.md).
        try c.encode(responded, forKey: .numerator)
        try c.encode(calls, forKey: .denominator)
        try c.encode(withheldReason, forKey: .withheldReason)
    }
}
