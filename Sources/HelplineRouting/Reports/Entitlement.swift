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

    /// Reads the decisions between two instants. Identical candidate lists are parsed once:
    /// within a day most decisions share a handful of them (eligibility changes rarely).
    static func read(_ db: Database, from start: Int64, to end: Int64) throws -> Entitlement {
        struct Key: Hashable {
            let candidates: String
            let topTier: Int?
            let tierWeight: Int?
        }
        var groups: [Key: Int] = [:]
        var result = Entitlement()
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT candidates, top_tier, tier_weight, chosen_provider_id FROM routing_decisions
                WHERE decided_at >= ? AND decided_at < ? AND kind = 'pool' AND sticky = 0 AND outcome = 'offer'
                """, arguments: [start, end])
        while let row = try rows.next() {
            groups[Key(candidates: row[0], topTier: row[1], tierWeight: row[2]), default: 0] += 1
            if let chosen: Int64 = row[3] { result.firstOffers[chosen, default: 0] += 1 }
            result.decisions += 1
        }
        for (key, count) in groups {
            for verdict in DecisionJSON.parseVerdicts(key.candidates, topTier: key.topTier, tierWeight: key.tierWeight) {
                let share = verdict.share ?? 0
                result.entitled[verdict.providerID, default: 0] += Double(count) * share
                result.variance[verdict.providerID, default: 0] += Double(count) * share * (1 - share)
            }
        }
        return result
    }
}
