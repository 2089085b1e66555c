public import Foundation
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
///
/// Entitlement follows the configuration of each moment, so a change of membership or weights
/// shifts it. The report therefore also tests each provider's offers against its share under
/// the configured weights (as they stand at the report's end, within each helpline's members
/// and top tier), counts every exclusion by reason, and lists the configuration changes of the
/// period: an auditor sees where a skewed split came from, and the audit fails until a person
/// has looked.
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
        /// Offers expected under the configured weights (see the type's comment).
        public var configured: Double = 0
        public var configuredZ: Double?
        /// True when offers deviate significantly from the configured weights.
        public var configuredSignificant = false
        /// How many of the period's pool decisions excluded this provider, by reason.
        public var exclusions: [ExclusionReason: Int] = [:]
    }

    /// The configuration changes made during the period.
    public var changes: [ConfigChange] = []

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
                    WHERE decided_at >= ? AND decided_at < ? AND kind = 'pool' AND outcome = 'offer' AND attempt = 1 GROUP BY 1, 2
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
            let configured = try Self.configuredExpectation(db, start: start, end: end, config: try routingConfig(db))
            for (id, expected) in configured.expected {
                var l = line(id)
                l.configured = expected
                lines[id] = l
            }
            for (id, counts) in try Self.exclusions(db, start: start, end: end) {
                var l = line(id)
                l.exclusions = counts
                lines[id] = l
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
                let gap = Double(l.offered) - l.configured
                if let v = configured.variance[l.id], v > 1e-12 {
                    l.configuredZ = gap / v.squareRoot()
                    l.configuredSignificant = abs(l.configuredZ ?? 0) >= NeutralityReport.threshold
                } else {
                    l.configuredSignificant = abs(gap) > 0.5
                }
                return l
            }
            var report = NeutralityReport(
                from: from, to: to, timeZone: zone, decisions: decisions, stickyDecisions: stickyDecisions, lines: result)
            report.changes = try ConfigHistory.changes(db, from: start, to: end)
            return report
        }
    }
}

extension Helpline {
    /// Offers expected under the configured weights: for each helpline, its non-sticky offer
    /// decisions of the period times each provider's weight share within the helpline's members
    /// that are not removed, in their lowest tier.
    fileprivate static func configuredExpectation(_ db: Database, start: Int64, end: Int64, config: RoutingConfig) throws
        -> (expected: [Int64: Double], variance: [Int64: Double])
    {
        var expected: [Int64: Double] = [:]
        var variance: [Int64: Double] = [:]
        let helplines = Dictionary(config.helplinesByNumber.values.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT c.helpline_id, count(*) FROM routing_decisions d JOIN calls c ON c.id = d.call_id
                WHERE d.decided_at >= ? AND d.decided_at < ? AND d.kind = 'pool' AND d.outcome = 'offer' AND d.sticky = 0
                    AND d.attempt = 1
                GROUP BY c.helpline_id
                """, arguments: [start, end])
        for row in rows {
            guard let id = row[0] as Int64?, let h = helplines[id] else { continue }
            let n = Double(row[1] as Int)
            let members = h.members.map(Set.init)
            let pool = config.providersInOrder.filter { $0.status != .removed && (members?.contains($0.id) ?? true) }
            guard let tier = pool.map(\.priority).min() else { continue }
            let top = pool.filter { $0.priority == tier }
            let total = Double(top.reduce(0) { $0 + $1.weight })
            for p in pool {
                let share = p.priority == tier && total > 0 ? Double(p.weight) / total : 0
                expected[p.id, default: 0] += n * share
                variance[p.id, default: 0] += n * share * (1 - share)
            }
        }
        return (expected, variance)
    }

    /// Each provider's exclusions in the period's non-sticky pool decisions, by reason.
    fileprivate static func exclusions(_ db: Database, start: Int64, end: Int64) throws -> [Int64: [ExclusionReason: Int]] {
        var out: [Int64: [ExclusionReason: Int]] = [:]
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT s.candidates, count(*) FROM routing_decisions d JOIN candidate_sets s ON s.id = d.candidate_set_id
                WHERE d.decided_at >= ? AND d.decided_at < ? AND d.kind = 'pool' AND d.sticky = 0 AND d.attempt = 1
                GROUP BY d.candidate_set_id
                """, arguments: [start, end])
        for row in rows {
            let n: Int = row[1]
            for verdict in DecisionJSON.parseVerdicts(row[0], topTier: nil, tierWeight: nil) {
                if let reason = verdict.reason { out[verdict.providerID, default: [:]][reason, default: 0] += n }
            }
        }
        return out
    }
}

extension NeutralityReport: Encodable {
    enum CodingKeys: String, CodingKey {
        case from, to, timeZone = "time_zone", decisions, stickyDecisions = "sticky_decisions", method, threshold, providers, neutral
        case configurationChanges = "configuration_changes"
    }
    enum LineKeys: String, CodingKey {
        case id, name, offered, entitled, deviation, z, significant, sticky, configured, configuredZ = "configured_z"
        case configuredSignificant = "configured_significant", exclusions
    }

    /// True when no provider's offers deviate significantly from its entitlement or from its
    /// configured weight share.
    public var isNeutral: Bool { !lines.contains { $0.significant || $0.configuredSignificant } }

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
            try item.encode((l.configured * 1000).rounded() / 1000, forKey: .configured)
            try item.encode(l.configuredZ.map { ($0 * 1000).rounded() / 1000 }, forKey: .configuredZ)
            try item.encode(l.configuredSignificant, forKey: .configuredSignificant)
            try item.encode(Dictionary(uniqueKeysWithValues: l.exclusions.map { ($0.key.rawValue, $0.value) }), forKey: .exclusions)
        }
        try c.encode(changes, forKey: .configurationChanges)
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
        out += "\nAgainst the configured weights (members and weights at the end of the period):\n"
        out += TextTable(
            header: ["ID", "PROVIDER", "OFFERED", "CONFIGURED", "Z", "SIGNIFICANT", "EXCLUDED (DECISIONS BY REASON)"],
            rows: lines.map { l in
                [
                    String(l.id), l.name, String(l.offered), String(format: "%.2f", l.configured),
                    l.configuredZ.map { String(format: "%+.2f", $0) } ?? "-", l.configuredSignificant ? "YES" : "no",
                    l.exclusions.isEmpty
                        ? "-"
                        : l.exclusions.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", "),
                ]
            }
        ).render()
        if changes.isEmpty {
            out += "\nNo configuration changes in the period.\n"
        } else {
            out += "\nConfiguration changes in the period (helpline history):\n"
            for change in changes {
                let what = change.fields.map { "\($0.name) \($0.old ?? "none")→\($0.new ?? "none")" }.joined(separator: "; ")
                out +=
                    "  \(Instant.format(change.at, in: timeZone))  \(change.entity) \(change.entityID) \(change.action) by \(change.source): \(what)\n"
            }
        }
        if isNeutral {
            out += "\nNo significant deviation: offers follow the entitlement of each decision and the configured weights.\n"
        } else if !lines.contains(where: \.significant) {
            out += "\nSHARES DIFFER FROM THE CONFIGURED WEIGHTS: each decision followed its entitlement, but exclusions or configuration "
            out += "changes (above) moved the split. Review them.\n"
        } else {
            out += "\nSIGNIFICANT DEVIATION: offers do not follow the recorded entitlement. Investigate.\n"
        }
        return out
    }
}
