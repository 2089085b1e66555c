import Foundation
import GRDB
import Testing

@testable import HelplineRouting

@Suite("The SQL a call runs")
struct CallPathSQLTests {
    @Test("no statement a call runs (routes, answers, misses, ends, failover, callback, listing, resend) builds a temporary table")
    func noTemporaryTables() throws {
        let f = try RoutingFixture()
        let seen = Locked<Set<String>>([])
        try f.helpline.write { db in
            db.trace { event in
                let sql = event.expandedDescription
                // Trigger bodies are reported as comments; their statements run inside the parent's program.
                if !sql.hasPrefix("--") { seen.withLock { _ = $0.insert(sql) } }
            }
        }
        // A call answered and ended; one missed twice until a callback; a listing call; a resend.
        let first = try f.helpline.route(to: f.helplineNumber, from: "2125550101", externalID: "CA-1")
        f.clock.advance(seconds: 1)
        try f.helpline.answered(callID: first.callID)
        f.clock.advance(seconds: 30)
        try f.helpline.ended(callID: first.callID)
        _ = try f.helpline.route(to: f.helplineNumber, from: "2125550101", externalID: "CA-1")
        let second = try f.helpline.route(to: f.helplineNumber, from: "3035550102")
        var next = second
        for _ in 0..<4 where next.outcome == .offer {
            f.clock.advance(seconds: 5)
            next = try f.helpline.noAnswer(callID: second.callID, attempt: next.attempt)
        }
        #expect(next.outcome == .callback)
        _ = try f.helpline.route(to: f.listingNumber, from: "6175550103")
        try f.helpline.write { db in db.trace(nil) }

        let statements = seen.withLock { $0 }
        #expect(statements.count > 20, "\(statements.count) statements traced")
        var offenders: [String] = []
        try f.helpline.read { db in
            for sql in statements {
                let head = sql.prefix(12).uppercased()
                guard head.hasPrefix("SELECT") || head.hasPrefix("INSERT") || head.hasPrefix("UPDATE") || head.hasPrefix("DELETE") else {
                    continue
                }
                let ops = try Row.fetchAll(db, sql: "EXPLAIN " + sql).compactMap { $0["opcode"] as String? }
                #expect(ops.contains("Halt"), "EXPLAIN gave no program for \(sql)")
                if ops.contains("OpenEphemeral") { offenders.append(sql) }
            }
        }
        #expect(offenders.isEmpty, "\(offenders.joined(separator: "\n"))")
    }

    @Test("events on calls this process created skip the column-type checks; after another connection commits, older calls are checked")
    func trustedCallsSkipTypeChecks() throws {
        let f = try RoutingFixture()
        let checks = Locked(0)
        try f.helpline.write { db in
            db.trace { event in
                if event.expandedDescription.contains("typeof(") { checks.withLock { $0 += 1 } }
            }
        }
        func answerAndEnd(_ callID: Int64) throws -> Int {
            let before = checks.withLock { $0 }
            f.clock.advance(seconds: 1)
            try f.helpline.answered(callID: callID)
            f.clock.advance(seconds: 30)
            try f.helpline.ended(callID: callID)
            return checks.withLock { $0 } - before
        }
        let a = try f.helpline.route(to: f.helplineNumber, from: "2125550101")
        let b = try f.helpline.route(to: f.helplineNumber, from: "3035550102")
        #expect(try answerAndEnd(a.callID) == 0)
        // Another connection commits (it could have edited any row): calls that exist are checked.
        try CLI.outside(f.helpline.path, "INSERT INTO settings (key, value, updated_at) VALUES ('outside', 'x', 0)")
        #expect(try answerAndEnd(b.callID) > 0)
        // A call created after that commit is trusted again.
        let c = try f.helpline.route(to: f.helplineNumber, from: "6175550103")
        #expect(try answerAndEnd(c.callID) == 0)
        try f.helpline.write { db in db.trace(nil) }
    }
}
