import Foundation
import GRDBSQLite

/// The floor: the same row writes a routed call makes (insert call, insert attempt, insert decision,
/// upsert counter, append consent), through the raw sqlite3 C API with prepared statements, one
/// transaction per call, at the same durability, and no routing.
final class RawSQLite {
    private var db: OpaquePointer?
    private var statements: [OpaquePointer?] = []
    private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
    let candidates: String
    let state: String
    let input: String
    private var seq: Int64 = 0
    private var candidateSet: Int64 = 1

    init(path: String, synchronous: String, candidates: String, state: String, input: String) throws {
        self.candidates = candidates
        self.state = state
        self.input = input
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, nil) == SQLITE_OK else { throw BenchError.sqlite("open \(path)") }
        sqlite3_busy_timeout(db, 5000)
        try exec("PRAGMA journal_mode = WAL")
        try exec("PRAGMA synchronous = \(synchronous)")
        try exec("PRAGMA foreign_keys = ON")

        for sql in [
            "BEGIN IMMEDIATE",
            """
            INSERT INTO calls (received_at, caller, caller_sha256, caller_state, caller_state_source, dialed, kind, helpline_id, status, updated_at)
            VALUES (?1, ?2, ?3, 'NY', 'area-code', '+18009151270', 'pool', 1, 'ringing', ?1)
            """,
            "INSERT INTO attempts (call_id, seq, provider_id, offered_at, ring_deadline) VALUES (?1, 1, ?2, ?3, ?3 + 20000)",
            """
            INSERT INTO routing_decisions (call_id, decided_at, kind, strategy, outcome, chosen_provider_id, tier, top_tier, tier_weight,
                sticky, fallbacks, candidate_set_id)
            VALUES (?1, ?2, 'pool', 'weighted-round-robin', 'offer', ?3, 1, 1, 150, 0, '[2,3]', ?4)
            """,
            """
            INSERT INTO provider_live (provider_id, day_key, day_offered) VALUES (?2, ?1, 1)
            ON CONFLICT (provider_id) DO UPDATE SET day_offered = day_offered + 1
            """,
            """
            INSERT INTO consent_records (seq, recorded_at, kind, mechanism, caller_sha256, call_id, terms_version, terms_sha256, note,
                prev_hash, hash) VALUES (?1, ?2, 'consent', 'call', ?3, ?4, 1, ?5, '', ?6, ?7)
            """,
            "COMMIT",
            // The decision's inputs live in their own narrow-scan-friendly table; the floor writes the same bytes.
            "INSERT INTO decision_inputs (call_id, state_before, input) VALUES (?1, ?2, ?3)",
        ] {
            var stmt: OpaquePointer?
            guard sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil) == SQLITE_OK else {
                throw BenchError.sqlite(String(cString: sqlite3_errmsg(db)))
            }
            statements.append(stmt)
        }
        // Decisions refer to a stored candidate list, as routed ones do.
        var insertSet: OpaquePointer?
        sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO candidate_sets (candidates) VALUES (?)", -1, &insertSet, nil)
        sqlite3_bind_text(insertSet, 1, candidates, -1, transient)
        let rc = sqlite3_step(insertSet)
        sqlite3_finalize(insertSet)
        guard rc == SQLITE_DONE else { throw BenchError.sqlite(String(cString: sqlite3_errmsg(db))) }
        var setID: OpaquePointer?
        sqlite3_prepare_v2(db, "SELECT max(id) FROM candidate_sets", -1, &setID, nil)
        if sqlite3_step(setID) == SQLITE_ROW { candidateSet = sqlite3_column_int64(setID, 0) }
        sqlite3_finalize(setID)
        var last: OpaquePointer?
        sqlite3_prepare_v2(db, "SELECT coalesce(max(seq), 0) FROM consent_records", -1, &last, nil)
        if sqlite3_step(last) == SQLITE_ROW { seq = sqlite3_column_int64(last, 0) }
        sqlite3_finalize(last)
    }

    deinit {
        for s in statements { sqlite3_finalize(s) }
        sqlite3_close_v2(db)
    }

    private func exec(_ sql: String) throws {
        guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else { throw BenchError.sqlite(String(cString: sqlite3_errmsg(db))) }
    }

    private func run(_ index: Int, _ binds: [Any]) throws {
        let stmt = statements[index]
        for (i, value) in binds.enumerated() {
            let position = Int32(i + 1)
            switch value {
            case let v as Int64: sqlite3_bind_int64(stmt, position, v)
            case let v as Int: sqlite3_bind_int64(stmt, position, Int64(v))
            case let v as String: sqlite3_bind_text(stmt, position, v, -1, transient)
            default: sqlite3_bind_null(stmt, position)
            }
        }
        let rc = sqlite3_step(stmt)
        sqlite3_reset(stmt)
        guard rc == SQLITE_DONE || rc == SQLITE_ROW else { throw BenchError.sqlite(String(cString: sqlite3_errmsg(db))) }
    }

    /// One call's writes in one transaction.
    func write(call n: Int, at ms: Int64, caller: String, callerHash: String, termsHash: String) throws {
        try run(0, [])
        try run(1, [ms, caller, callerHash])
        let callID = sqlite3_last_insert_rowid(db)
        let provider = Int64(1 + n % 50)
        try run(2, [callID, provider, ms])
        try run(3, [callID, ms, provider, candidateSet])
        try run(7, [callID, state, input])
        try run(4, [20_261_125, provider])
        seq += 1
        let prev = String(format: "%064llx", seq - 1)
        let hash = String(format: "%064llx", seq)
        try run(5, [seq, ms, callerHash, callID, termsHash, prev, hash])
        try run(6, [])
    }
}

enum BenchError: Error, CustomStringConvertible {
    case sqlite(String)
    case failed(String)

    var description: String {
        switch self {
        case .sqlite(let m): return "sqlite: \(m)"
        case .failed(let m): return m
        }
    }
}
