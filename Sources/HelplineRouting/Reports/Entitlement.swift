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
        // One pass over the period's decisions, grouped by candidate list and chosen provider.
        struct Key: Hashable {
            let set: Int64
            let topTier: Int?
            let tierWeight: Int?
        }
        var groups: [Key: Int] = [:]
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT candidate_set_id, top_tier, tier_weight, chosen_provider_id, count(*) FROM routing_decisions
                WHERE decided_at >= ? AND decided_at < ? AND kind = 'pool' AND sticky = 0 AND outcome = 'offer' AND attempt = 1
                GROUP BY 1, 2, 3, 4
                """, arguments: [start, end])
        while let row = try rows.next() {
            let n: Int = row[4]
            groups[Key(set: row[0], topTier: row[1], tierWeight: row[2]), default: 0] += n
            if let chosen: Int64 = row[3] { result.firstOffers[chosen, default: 0] += n }
            result.decisions += n
        }
        let lists = try db.cachedStatement(sql: "SELECT candidates FROM candidate_sets WHERE id = ?")
        for (key, count) in groups {
            guard let text = try String.fetchOne(lists, arguments: [key.set]) else { continue }
            for verdict in DecisionJSON.parseVerdicts(text, topTier: key.topTier, tierWeight: key.tierWeight) {
                let share = verdict.share ?? 0
                result.entitled[verdict.providerID, default: 0] += Double(count) * share
                result.variance[verdict.providerID, default: 0] += Double(count) * share * (1 - share)
            }
        }
        return result
    }
}
