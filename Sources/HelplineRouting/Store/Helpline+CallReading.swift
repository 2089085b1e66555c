public import Foundation
import GRDB

/// Reading calls: as `call show` and `call list` print them, and as the event methods and a
/// resent event see them.
extension Helpline {
    /// One call with its attempts, decision, callback and consent record.
    ///
    /// - Throws: `StoreError.notFound` for an unknown call; `StoreError`.
    public func call(id: Int64) throws -> CallRecord {
        try read { db in try Self.fetchCall(id, db: db) }
    }

    /// The calls received on a local day, oldest first.
    ///
    /// - Parameters:
    ///   - date: the day.
    ///   - zone: the zone the day is in.
    public func calls(on date: LocalDate, in zone: TimeZone) throws -> [CallRecord] {
        let start = date.start(in: zone).epochMilliseconds
        let end = date.next.start(in: zone).epochMilliseconds
        return try read { db in
            try Int64.fetchAll(
                db.cachedStatement(sql: "SELECT id FROM calls WHERE received_at >= ? AND received_at < ? ORDER BY received_at, id"),
                arguments: [start, end]
            ).map { try Self.fetchCall($0, db: db) }
        }
    }

    struct CallState {
        let id: Int64
        let receivedAt: Date
        let answeredAt: Date?
        let status: CallStatus
        let kind: String
        let caller: String
        let callerState: String?
        let listingID: Int64?
        let helplineID: Int64?
        let attempts: [AttemptRecord]
        var latestAttempt: AttemptRecord? { attempts.last }
    }

    /// - Parameter trusted: the call's rows need no type check (see `isTrusted(callID:db:)`).
    static func callState(_ id: Int64, db: Database, trusted: Bool = false) throws -> CallState {
        if !trusted {
            try ColumnTypes.check("calls", filter: "id = ?", arguments: [id], db: db)
            try ColumnTypes.check("attempts", filter: "call_id = ?", arguments: [id], db: db)
        }
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: "SELECT id, status, kind, caller, caller_state, listing_id, helpline_id, received_at, answered_at FROM calls WHERE id = ?"),
                arguments: [id])
        else { throw StoreError.notFound(kind: "call", id: String(id)) }
        return CallState(
            id: id, receivedAt: Date(epochMilliseconds: row["received_at"]),
            answeredAt: (row["answered_at"] as Int64?).map(Date.init(epochMilliseconds:)),
            status: try StateCodec.decode(row["status"], as: CallStatus.self, table: "calls", row: id, column: "status"), kind: row["kind"],
            caller: row["caller"], callerState: row["caller_state"],
            listingID: row["listing_id"], helplineID: row["helpline_id"], attempts: try attempts(callID: id, db: db))
    }

    static func attempts(callID: Int64, db: Database) throws -> [AttemptRecord] {
        try Row.fetchAll(
            db.cachedStatement(
                sql: "SELECT seq, provider_id, offered_at, outcome, answered_at, ended_at FROM attempts WHERE call_id = ? ORDER BY seq"),
            arguments: [callID]
        ).map {
            AttemptRecord(
                seq: $0["seq"], providerID: $0["provider_id"], offeredAt: Date(epochMilliseconds: $0["offered_at"]),
                outcome: try ($0["outcome"] as String?).map {
                    try StateCodec.decode($0, as: AttemptOutcome.self, table: "attempts", row: callID, column: "outcome")
                }, answeredAt: ($0["answered_at"] as Int64?).map(Date.init(epochMilliseconds:)),
                endedAt: ($0["ended_at"] as Int64?).map(Date.init(epochMilliseconds:)))
        }
    }

    /// Rebuilds a call's current routing answer from the database: the live offer, or the callback.
    /// The call's routing as it stands, in `route`'s shape: the offer ringing now with its
    /// destination and ring timeout, the queued callback, or the call's end. Telephony's resent
    /// requests and an unroutable call's answer are built from it.
    ///
    /// - Throws: `StoreError.notFound` for an unknown call; `StoreError`.
    public func routeResult(callID: Int64) throws -> RouteResult {
        try read { db in try Self.routeResult(callID: callID, db: db) }
    }

    static func routeResult(callID: Int64, db: Database, trusted: Bool = false) throws -> RouteResult {
        let call = try callState(callID, db: db, trusted: trusted)
        // The first decision made the plan and the sticky choice; the latest says what is left.
        let first = try StoredDecision.fetch(callID: callID, attempt: 1, db: db)
        let decision = try StoredDecision.fetch(callID: callID, attempt: nil, db: db)
        let planned = decision.fallbacks
        let tried = Set(call.attempts.map(\.providerID))
        let callback = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, reason FROM callbacks WHERE call_id = ?"), arguments: [callID])
        let consent = try Row.fetchOne(
            db.cachedStatement(
                sql: "SELECT seq, terms_version, terms_sha256 FROM consent_records WHERE call_id = ? AND kind = 'consent' ORDER BY seq LIMIT 1"),
            arguments: [callID])
        var provider: RouteResult.OfferedProvider?
        var outcome: RouteResult.Outcome = .callback
        var attempt: Int?
        switch call.status {
        case .unroutable: outcome = .unroutable
        case .connected, .ended:
            // A resent event gets the call's state and nothing to dial. An ended call that was
            // never answered is one whose caller could not be called back.
            attempt = call.attempts.first { $0.outcome == .answered }?.seq
            outcome = attempt == nil ? .unreturnable : call.status == .connected ? .connected : .ended
        case .ringing:
            if let current = call.latestAttempt, current.outcome == nil {
                let p = try fetchProvider(current.providerID, db: db)
                let ringMs =
                    try Int64.fetchOne(
                        db.cachedStatement(sql: "SELECT ring_deadline - offered_at FROM attempts WHERE call_id = ? AND seq = ?"),
                        arguments: [callID, current.seq]) ?? 20_000
                provider = RouteResult.OfferedProvider(
                    id: p.id, name: p.name, phone: p.phone, sipURI: p.sipURI, ringTimeoutSeconds: Int(ringMs / 1000))
                outcome = .offer
                attempt = current.seq
            }
        case .callback: break
        }
        return RouteResult(
            callID: callID, kind: CallKind(rawValue: call.kind) ?? .unroutable, outcome: outcome, provider: provider,
            attempt: attempt,
            fallbacks: outcome == .offer ? planned.filter { !tried.contains($0) } : [], sticky: first.sticky,
            strategy: first.strategy ?? "none", candidates: decision.verdicts,
            callbackID: outcome == .callback ? callback?["id"] : nil,
            callbackReason: outcome == .callback ? (callback?["reason"] as String?).flatMap(CallbackReason.init(rawValue:)) : nil,
            consent: consent.map {
                RouteResult.Consent(termsVersion: $0["terms_version"], termsSHA256: $0["terms_sha256"], record: $0["seq"])
            }, warnings: [])
    }

    /// The tables whose rows of a call `fetchCall` decodes, in the order it checks them.
    static let callTables = ["calls", "attempts", "routing_decisions", "callbacks", "consent_records"]

    /// - Parameter checked: tables whose rows of this call need no check: already checked in this
    ///   transaction (`callState` checks the call and its attempts), or trusted (all of them).
    static func fetchCall(_ id: Int64, db: Database, checked: Set<String> = []) throws -> CallRecord {
        for table in callTables where !checked.contains(table) {
            try ColumnTypes.check(table, filter: table == "calls" ? "id = ?" : "call_id = ?", arguments: [id], db: db)
        }
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM calls WHERE id = ?"), arguments: [id]) else {
            throw StoreError.notFound(kind: "call", id: String(id))
        }
        let decision = try StoredDecision.fetch(callID: id, db: db)
        let callback = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, status FROM callbacks WHERE call_id = ?"), arguments: [id])
        let consent = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT seq, terms_version FROM consent_records WHERE call_id = ? AND kind = 'consent' ORDER BY seq LIMIT 1"),
            arguments: [id])
        func date(_ column: String) -> Date? { (row[column] as Int64?).map(Date.init(epochMilliseconds:)) }
        return CallRecord(
            id: id, externalID: row["external_id"], receivedAt: Date(epochMilliseconds: row["received_at"]),
            caller: try? PhoneNumber(stored: row["caller"]), callerState: row["caller_state"], callerStateSource: row["caller_state_source"],
            dialed: row["dialed"], kind: CallKind(rawValue: row["kind"]) ?? .unroutable,
            status: try StateCodec.decode(row["status"], as: CallStatus.self, table: "calls", row: id, column: "status"),
            answeredAt: date("answered_at"), answeredProviderID: row["answered_provider_id"], endedAt: date("ended_at"),
            endAssumed: (row["end_assumed"] as Int64?) == 1, attempts: try attempts(callID: id, db: db), callbackID: callback?["id"],
            callbackStatus: try (callback?["status"] as String?).map {
                try StateCodec.decode($0, as: CallbackStatus.self, table: "callbacks", row: id, column: "status")
            },
            strategy: decision.strategy, sticky: decision.sticky, fallbacks: decision.fallbacks, candidates: decision.verdicts,
            consentSeq: consent?["seq"],
            termsVersion: consent?["terms_version"])
    }
}

/// Which calls' rows an event may decode without checking their types first.
///
/// Rows this library writes have their declared types by construction: only an edit from outside
/// (the sqlite3 shell, a script) can put text in an INTEGER column. SQLite's `data_version`
/// changes on a connection whenever another connection commits, so the calls created by this
/// process's writer after the last such commit are trusted: those with an id above the watermark,
/// which is the highest call id seen when `data_version` last changed. Checking every row of a
/// call on every event was the largest single cost of a SIP call's `answered` and `ended`.
struct CallTrust {
    /// The writer's `data_version` when the watermark was taken.
    var dataVersion: Int64?
    /// Calls at or below this id are checked.
    var watermark: Int64 = .max
}

extension Helpline {
    /// Whether the rows of `callID` need no type check before decoding; call it inside a write
    /// transaction (on the writer, whose `data_version` tells of other connections' commits).
    func isTrusted(callID: Int64, db: Database) throws -> Bool {
        guard let version = try Int64.fetchOne(db.cachedStatement(sql: "PRAGMA data_version")) else { return false }
        if let watermark = callTrust.withLock({ $0.dataVersion == version ? $0.watermark : nil }) { return callID > watermark }
        // Another connection committed since the watermark was taken: every call that exists now
        // may have been edited, so all of them are checked from here on.
        let watermark = try Int64.fetchOne(db.cachedStatement(sql: "SELECT max(id) FROM calls")) ?? 0
        callTrust.withLock { $0 = CallTrust(dataVersion: version, watermark: watermark) }
        return callID > watermark
    }
}
