import Foundation
import GRDB

/// Each provider's entitlement over a period: the sum of the shares recorded in the non-sticky
/// pool decisions that made an offer, and the Poisson-binomial variance of its offer count.
struct Entitlement {
    var entitled: [Int64: Double] = [:]
    var variance: [Int64: Double] = [:]
    /// First offers of those decisions, per provider.
    var firstOffers: [Int64: Int] = [:]
    var decisions = 0

    /// Reads the decisions between two instants. Each distinct candidate list is parsed once:
    /// decisions refer to shared lists, and a day uses a handful of them.
    static func read(_ db: Database, from start: Int64, to end: Int64) throws -> Entitlement {
        var result = Entitlement()
        let first = try Row.fetchCursor(
            db,
            sql: """
                SELECT chosen_provider_id, count(*) FROM routing_decisions
                WHERE decided_at >= ? AND decided_at < ? AND kind = 'pool' AND sticky = 0 AND outcome = 'offer' GROUP BY 1
                """, arguments: [start, end])
        while let row = try first.next() {
            let n: Int = row[1]
            if let chosen: Int64 = row[0] { result.firstOffers[chosen, default: 0] += n }
            result.decisions += n
        }
        let groups = try Row.fetchCursor(
            db,
            sql: """
                SELECT s.candidates, g.top_tier, g.tier_weight, g.n FROM (
                    SELECT candidate_set_id, top_tier, tier_weight, count(*) AS n FROM routing_decisions
                    WHERE decided_at >= ? AND decided_at < ? AND kind = 'pool' AND sticky = 0 AND outcome = 'offer'
                    GROUP BY 1, 2, 3) g
                JOIN candidate_sets s ON s.id = g.candidate_set_id
                """, arguments: [start, end])
        while let row = try groups.next() {
            let count = Double(row[3] as Int)
            for verdict in DecisionJSON.parseVerdicts(row[0], topTier: row[1], tierWeight: row[2]) {
                let share = verdict.share ?? 0
                result.entitled[verdict.providerID, default: 0] += count * share
                result.variance[verdict.providerID, default: 0] += count * share * (1 - share)
            }
        }
        return result
    }
}
