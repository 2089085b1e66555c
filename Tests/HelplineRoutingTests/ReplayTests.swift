import Foundation
import GRDB
import Testing

@testable import HelplineRouting

@Suite("Replay")
struct ReplayTests {
    @Test("every stored decision replays to the same answer, after settings changed, for every strategy")
    func replayAgrees() throws {
        for strategy in RoutingStrategy.allCases {
            let f = try RoutingFixture(
                strategy: strategy, aFields: ["daily_cap": "3", "states": "NY,NJ"], cFields: ["hours": "mon-fri 09:00-17:00", "priority": "2"])
            var ids: [Int64] = []
            for n in 0..<14 {
                let r = try f.helpline.route(
                    to: n % 5 == 0 ? f.listingNumber : f.helplineNumber, from: "21255506\(String(format: "%02d", n % 9))",
                    callerState: n % 2 == 0 ? "NY" : nil)
                ids.append(r.callID)
                if n % 3 == 0, r.outcome == .offer { try f.helpline.answered(callID: r.callID) }
                f.clock.advance(seconds: 1800)
                if n == 6 { try f.helpline.pauseProvider(id: f.b.id) }
                if n == 9 { try f.helpline.updateProvider(id: f.a.id, fields: ProviderFields(["weight": "7"])) }
            }
            try f.helpline.updateProvider(id: f.c.id, fields: ProviderFields(["hours": "24/7"]))
            for id in ids {
                let replay = try f.helpline.replay(callID: id)
                #expect(replay.matches, "\(strategy) call \(id): \(replay.differences)")
            }
        }
    }

    @Test("a decision changed after the fact no longer replays")
    func tamperedDecision() throws {
        let f = try RoutingFixture()
        let r = try f.helpline.route(to: f.helplineNumber, from: "2125550601")
        let other = r.provider?.id == f.a.id ? f.b.id : f.a.id
        try f.helpline.write { db in
            try db.execute(sql: "UPDATE routing_decisions SET chosen_provider_id = ? WHERE call_id = ?", arguments: [other, r.callID])
        }
        let replay = try f.helpline.replay(callID: r.callID)
        #expect(!replay.matches)
        #expect(replay.differences.contains { $0.hasPrefix("attempt 1: provider") })
    }
}
