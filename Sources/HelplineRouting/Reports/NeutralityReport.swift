import Foundation
import GRDB

/// The proof that routing is neutral: for each provider, the pool calls it was first offered
/// against the calls it was entitled to by its recorded shares.
///
/// Entitlement is the sum, over the period's non-sticky pool decisions, of the share each decision
/// recorded for the provider. Under neutral routing the offers are a sum of independent trials with
/// those probabilities (a Poisson binomial), with variance Σ share·(1 − share). The deviation's
/// z-score is (offered − entitled) ÷ √variance, and it is flagged as significant when |z| ≥ 3
/// (two-sided, a false alarm about 0.27% of the time per provider). Smooth weighted round robin is
/// far more even than chance, so a flag means the data contradicts the configured weights.
/// Sticky calls (repeat callers sent back to the provider they reached) are counted apart.
public struct NeutralityReport: Sendable, Hashable {
    public struct Line: Sendable, Hashable {
        public var id: Int64
        public var name: String
        /// First offers of non-sticky pool calls.
        public var offered: Int
        public var entitled: Double
        public var deviation: Double
        public var z: Double?
        public var significant: Bool
        /// Repeat-caller offers, outside the comparison.
        public var sticky: Int
    }

    public var from: LocalDate
    public var to: LocalDate
    public var timeZone: TimeZone
    /// Non-sticky pool decisions with an offer.
    public var decisions: Int
    public var stickyDecisions: Int
    public var lines: [Line]
    public static let threshold = 3.0
    public static let method =
        "Poisson-binomial z-test: z = (offered - entitled) / sqrt(sum of share*(1-share)); significant when |z| >= 3"
}

extension Helpline {
    /// The neutrality audit over the local days `from` through `to`, inclusive.
    ///
    /// - Throws: `InputError.invalidDate` when `to` is before `from`; `StoreError`.
    public func neutralityReport(from: LocalDate, to: LocalDate, in zone: TimeZone) throws -> NeutralityReport {
        guard from <= to else { throw InputError.invalidDate(to.description, expected: "a day on or after \(from)") }
        let start = from.start(in: zone).epochMilliseconds
        let end = to.next.start(in: zone).epochMilliseconds
        return try read { db in
            var lines: [Int64: NeutralityReport.Line] = [:]
            let names = Dictionary(
                try Row.fetchAll(db, sql: "SELECT id, name FROM providers").map { ($0["id"] as Int64, $0["name"] as String) },
                uniquingKeysWith: { a, _ in a })
            func line(_ id: Int64) -> NeutralityReport.Line {
                lines[id] ?? .init(id: id, name: names[id] ?? "", offered: 0, entitled: 0, deviation: 0, z: nil, significant: false, sticky: 0)
            }
            let entitlement = try Entitlement.read(db, from: start, to: end)
            let variance = entitlement.variance
            for (id, value) in entitlement.entitled {
                var l = line(id)
                l.entitled = value
                lines[id] = l
            }
            var decisions = 0
            var stickyDecisions = 0
            let offers = try Row.fetchCursor(
                db,
                sql: """
                    SELECT chosen_provider_id, sticky, count(*) FROM routing_decisions
                    WHERE decided_at >= ? AND decided_at < ? AND kind = 'pool' AND outcome = 'offer' GROUP BY 1, 2
                    """, arguments: [start, end])
            while let row = try offers.next() {
                var l = line(row[0])
                let n: Int = row[2]
                if (row[1] as Int) == 1 {
                    l.sticky += n
                    stickyDecisions += n
                } else {
                    l.offered += n
                    decisions += n
                }
                lines[l.id] = l
            }
            let result = lines.values.sorted { $0.id < $1.id }.map { l -> NeutralityReport.Line in
                var l = l
                l.deviation = Double(l.offered) - l.entitled
                if let v = variance[l.id], v > 1e-12 {
                    l.z = l.deviation / v.squareRoot()
                    l.significant = abs(l.z ?? 0) >= NeutralityReport.threshold
                } else {
                    // No uncertainty (shares of 0 or 1): any difference beyond rounding is a breach.
                    l.significant = abs(l.deviation) > 1e-6
                }
                return l
            }
            return NeutralityReport(from: from, to: to, timeZone: zone, decisions: decisions, stickyDecisions: stickyDecisions, lines: result)
        }
    }
}

extension NeutralityReport: Encodable {
    enum CodingKeys: String, CodingKey {
        case from, to, timeZone = "time_zone", decisions, stickyDecisions = "sticky_decisions", method, threshold, providers, neutral
    }
    enum LineKeys: String, CodingKey { case id, name, offered, entitled, deviation, z, significant, sticky }

    /// True when no provider's deviation is significant.
    public var isNeutral: Bool { !lines.contains { $0.significant } }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(from.description, forKey: .from)
        try c.encode(to.description, forKey: .to)
        try c.encode(timeZone.identifier, forKey: .timeZone)
        try c.encode(decisions, forKey: .decisions)
        try c.encode(stickyDecisions, forKey: .stickyDecisions)
        try c.encode(Self.method, forKey: .method)
        try c.encode(Self.threshold, forKey: .threshold)
        try c.encode(isNeutral, forKey: .neutral)
        var list = c.nestedUnkeyedContainer(forKey: .providers)
        for l in lines {
            var item = list.nestedContainer(keyedBy: LineKeys.self)
            try item.encode(l.id, forKey: .id)
            try item.encode(l.name, forKey: .name)
            try item.encode(l.offered, forKey: .offered)
            try item.encode((l.entitled * 1000).rounded() / 1000, forKey: .entitled)
            try item.encode((l.deviation * 1000).rounded() / 1000, forKey: .deviation)
            try item.encode(l.z.map { ($0 * 1000).rounded() / 1000 }, forKey: .z)
            try item.encode(l.significant, forKey: .significant)
            try item.encode(l.sticky, forKey: .sticky)
        }
    }

    /// Aligned text for a terminal.
    public func text() -> String {
        var out = "Neutrality audit \(from) to \(to) (\(timeZone.identifier)): \(decisions) pool decisions, \(stickyDecisions) sticky apart\n"
        out += "Test: \(Self.method)\n\n"
        out += TextTable(
            header: ["ID", "PROVIDER", "OFFERED", "ENTITLED", "DEVIATION", "Z", "SIGNIFICANT", "STICKY"],
            rows: lines.map {
                [
                    String($0.id), $0.name, String($0.offered), String(format: "%.2f", $0.entitled), String(format: "%+.2f", $0.deviation),
                    $0.z.map { String(format: "%+.2f", $0) } ?? "-", $0.significant ? "YES" : "no", String($0.sticky),
                ]
            }
        ).render()
        out += isNeutral ? "\nNo significant deviation: offers follow the configured weights.\n" : "\nSIGNIFICANT DEVIATION: investigate.\n"
        return out
    }
}
