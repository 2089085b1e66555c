import Foundation
import GRDB
import HelplineRouting

/// Fills a benchmark database with `count` calls of history spread over the `days` days before
/// `end`: each with its answered attempt, decision (with the same size of candidates and input as
/// a live decision), consent record and callback for one call in ten, plus the counters.
enum History {
    static func generate(path: String, count: Int, days: Int, end: Date, sample: (candidates: String, state: String, input: String))
        throws
    {
        var config = Configuration()
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = OFF")
            try db.execute(sql: "PRAGMA cache_size = -200000")
        }
        let queue = try DatabaseQueue(path: path, configuration: config)
        let t0 = end.epochMilliseconds - Int64(days) * 86_400_000
        let step = Int64(days) * 86_400_000 / Int64(count)
        let idBase = try queue.read { try Int64.fetchOne($0, sql: "SELECT coalesce(max(id), 0) FROM calls") ?? 0 }
        let seqBase = try queue.read { try Int64.fetchOne($0, sql: "SELECT coalesce(max(seq), 0) FROM consent_records") ?? 0 }
        let terms = try queue.read { try String.fetchOne($0, sql: "SELECT sha256 FROM terms_versions ORDER BY version DESC LIMIT 1") ?? "" }
        try queue.writeWithoutTransaction { db in
            try db.inTransaction {
                try db.execute(sql: "INSERT OR IGNORE INTO candidate_sets (candidates) VALUES (?)", arguments: [sample.candidates])
                try db.execute(
                    sql: """
                        WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ? - 1)
                        INSERT INTO calls (id, received_at, caller, caller_sha256, caller_state, caller_state_source, dialed, kind,
                            helpline_id, status, answered_at, answered_provider_id, answered_seq, ended_at, updated_at)
                        SELECT ? + i + 1, ? + i * ?, '+1212' || (200 + i % 700) || printf('%04d', i % 10000), printf('%064x', i),
                            'NY', 'area-code', '+18009151270', 'pool', 1, 'ended',
                            ? + i * ? + 15000, 1 + i % 50, 1, ? + i * ? + 300000, ? + i * ? + 300000
                        FROM n
                        """, arguments: [count, idBase, t0, step, t0, step, t0, step, t0, step])
                try db.execute(
                    sql: """
                        INSERT INTO attempts (call_id, seq, provider_id, offered_at, ring_deadline, outcome, answered_at, ended_at)
                        SELECT id, 1, answered_provider_id, received_at, received_at + 20000, 'answered', answered_at, ended_at
                        FROM calls WHERE id > ?
                        """, arguments: [idBase])
                try db.execute(
                    sql: """
                        INSERT INTO routing_decisions (call_id, decided_at, kind, strategy, outcome, chosen_provider_id, tier, top_tier,
                            tier_weight, sticky, fallbacks, candidate_set_id)
                        SELECT id, received_at, 'pool', 'weighted-round-robin', 'offer', answered_provider_id, 1, 1, 150, 0, '[2,3]',
                            (SELECT max(id) FROM candidate_sets)
                        FROM calls WHERE id > ?
                        """, arguments: [idBase])
                try db.execute(
                    sql: "INSERT INTO decision_inputs (call_id, state_before, input) SELECT id, ?, ? FROM calls WHERE id > ?",
                    arguments: [sample.state, sample.input, idBase])
                try db.execute(
                    sql: """
                        INSERT INTO consent_records (seq, recorded_at, kind, mechanism, caller_sha256, call_id, terms_version, terms_sha256,
                            note, prev_hash, hash)
                        SELECT ? + (id - ?), received_at, 'consent', 'call', caller_sha256, id, 1, ?, '',
                            printf('%064x', 1000000000 + ? + (id - ?) - 1), printf('%064x', 1000000000 + ? + (id - ?))
                        FROM calls WHERE id > ?
                        """, arguments: [seqBase, idBase, terms, seqBase, idBase, seqBase, idBase, idBase])
                try db.execute(
                    sql: """
                        INSERT INTO callbacks (call_id, phone, phone_sha256, reason, helpline_id, requested_at, status, returned_by, closed_at)
                        SELECT id, caller, caller_sha256, 'no-answer', 1, received_at + 60000, 'returned', 1, received_at + 900000
                        FROM calls WHERE id > ? AND id % 10 = 0
                        """, arguments: [idBase])
                try db.execute(
                    sql: """
                        INSERT INTO provider_live (provider_id, last_offer_at)
                        SELECT answered_provider_id, max(received_at) FROM calls WHERE id > ? GROUP BY answered_provider_id
                        ON CONFLICT (provider_id) DO UPDATE SET last_offer_at = excluded.last_offer_at
                        """, arguments: [idBase])
                return .commit
            }
        }
        // Leave the file as a running system would: checkpointed, with an empty WAL.
        try queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try queue.close()
    }

    /// Waits until the database file is on disk (the generator writes with `synchronous = OFF`).
    static func syncToDisk(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw BenchError.failed("cannot open \(path) to sync it") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw BenchError.failed("fsync of \(path) failed: errno \(errno)") }
    }
}
