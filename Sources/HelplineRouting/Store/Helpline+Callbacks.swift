public import Foundation
import GRDB

extension Helpline {
    /// Takes a callback request from the website's form.
    ///
    /// The form's phone field must be `(###) ###-####`. The honeypot field is invisible to people
    /// and "should be left unchanged": any value other than `honeypotDefault` means a bot, and the
    /// request is logged as rejected and queues nothing. An accepted request appends a consent
    /// record (mechanism `web-form`). A second request while one is pending returns the pending one.
    ///
    /// - Parameters:
    ///   - phoneField: the form's phone field.
    ///   - honeypot: the honeypot field as submitted; nil when absent.
    ///   - honeypotDefault: the value the form renders it with (empty by default).
    ///   - state: the caller's state, if the form asked; otherwise from the area code.
    ///   - time: when; now when nil.
    /// - Throws: `InputError.invalidPhone`, `RoutingError.honeypotChanged`; `StoreError`.
    @discardableResult
    public func requestCallback(
        phoneField: String, honeypot: String? = nil, honeypotDefault: String = "", state: String? = nil, at time: Date? = nil
    ) throws -> Callback {
        let when = try eventTime(time)
        if let honeypot, honeypot != honeypotDefault {
            try write { db in
                try db.cachedStatement(sql: "INSERT INTO rejected_requests (at, reason, detail) VALUES (?, 'honeypot-changed', ?)").execute(
                    arguments: [when.epochMilliseconds, "honeypot of \(honeypot.utf8.count) bytes"])
            }
            logger.notice("callback request rejected: honeypot changed")
            throw RoutingError.honeypotChanged
        }
        let phone = try PhoneNumber(parsingFormField: phoneField)
        let callerState = try state.flatMap { $0.trimmingWhitespace().isEmpty ? nil : try USState(parsing: $0) } ?? AreaCodes.state(of: phone)
        return try write { db in
            let hashes = try CallerKeys.hashes(phone.e164, db: db)
            if let pending = try Int64.fetchOne(
                db,
                sql: """
                    SELECT id FROM callbacks WHERE \(CallerKeys.inList("phone_sha256", hashes.count)) AND status = 'pending'
                    AND reason = 'web-form' ORDER BY id LIMIT 1
                    """, arguments: StatementArguments(hashes))
            {
                return try Self.fetchCallback(pending, db: db)
            }
            let id = try Self.queueCallback(
                callID: nil, phone: phone, state: callerState, reason: .webForm, helplineID: nil, owedBy: nil, at: when, db: db)
            try ConsentLedger.append(
                db: db, kind: .consent, mechanism: .webForm, callerSHA256: try CallerKeys.hash(phone.e164, at: when, db: db), callID: nil,
                callbackID: id,
                terms: try ConsentLedger.termsStamp(at: when, db: db), at: when)
            return try Self.fetchCallback(id, db: db)
        }
    }

    /// Callbacks, oldest first.
    ///
    /// - Parameter pendingOnly: only those still owed.
    public func callbacks(pendingOnly: Bool = false) throws -> [Callback] {
        try read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM callbacks \(pendingOnly ? "WHERE status = 'pending'" : "") ORDER BY requested_at, id"
            ).map(Self.callback(row:))
        }
    }

    /// Records that a provider returned a callback.
    ///
    /// Idempotent for the same provider. A listing call's callback may only be returned by the
    /// listing's provider.
    ///
    /// - Throws: `StoreError.notFound` for an unknown callback; `RoutingError.callbackClosed`, `.callbackOwedByAnother`;
    ///   `StoreError.notFound` for an unknown provider.
    @discardableResult
    public func completeCallback(id: Int64, providerID: Int64, at time: Date? = nil) throws -> Callback {
        let when = try eventTime(time)
        return try write { db in
            let callback = try Self.fetchCallback(id, db: db)
            let provider = try Self.fetchProvider(providerID, db: db)
            if callback.status == .returned && callback.returnedBy == providerID { return callback }
            guard callback.status == .pending else { throw RoutingError.callbackClosed(id: id, status: callback.status.rawValue) }
            if when < callback.requestedAt {
                throw RoutingError.eventTooEarly(
                    callID: callback.callID ?? 0, event: "callback complete", time: when, earliest: callback.requestedAt,
                    what: "callback \(id) was requested")
            }
            if let owedBy = callback.owedBy, owedBy != providerID { throw RoutingError.callbackOwedByAnother(id: id, owedBy: owedBy) }
            // "Returned by one of the providers listed": a removed provider, or one that is not a
            // member of the callback's helpline, can't be the one who returned it.
            guard provider.status != .removed else {
                throw StoreError.conflict("provider \(providerID) is removed", hint: "complete it with a listed provider")
            }
            if let helplineID = callback.helplineID, callback.owedBy == nil,
                let members = try Self.fetchHelpline(id: helplineID, db: db).members, !members.contains(providerID)
            {
                throw StoreError.conflict(
                    "provider \(providerID) is not a member of the callback's helpline",
                    hint: "complete it with one of providers \(members.map(String.init).joined(separator: ", "))")
            }
            try db.cachedStatement(sql: "UPDATE callbacks SET status = 'returned', returned_by = ?, closed_at = ? WHERE id = ?").execute(arguments: [
                providerID, when.epochMilliseconds, id,
            ])
            return try Self.fetchCallback(id, db: db)
        }
    }

    /// Gives up on a callback (the number is dead, the caller declined). It counts as not returned.
    ///
    /// - Throws: `StoreError.notFound` for an unknown callback; `RoutingError.callbackClosed`.
    @discardableResult
    public func abandonCallback(id: Int64, at time: Date? = nil) throws -> Callback {
        let when = try eventTime(time)
        return try write { db in
            let callback = try Self.fetchCallback(id, db: db)
            if callback.status == .abandoned { return callback }
            guard callback.status == .pending else { throw RoutingError.callbackClosed(id: id, status: callback.status.rawValue) }
            try db.cachedStatement(sql: "UPDATE callbacks SET status = 'abandoned', closed_at = ? WHERE id = ?").execute(arguments: [
                when.epochMilliseconds, id,
            ])
            return try Self.fetchCallback(id, db: db)
        }
    }

    static func fetchCallback(_ id: Int64, db: Database) throws -> Callback {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM callbacks WHERE id = ?"), arguments: [id]) else {
            throw StoreError.notFound(kind: "callback", id: String(id))
        }
        return try callback(row: row)
    }

    static func callback(row: Row) throws -> Callback {
        Callback(
            id: row["id"], callID: row["call_id"], phone: try? PhoneNumber(stored: row["phone"]), callerState: row["caller_state"],
            reason: CallbackReason(rawValue: row["reason"]) ?? .noAnswer, helplineID: row["helpline_id"], owedBy: row["owed_by"],
            requestedAt: Date(epochMilliseconds: row["requested_at"]),
            status: try StateCodec.decode(row["status"], as: CallbackStatus.self, table: "callbacks", row: row["id"], column: "status"),
            returnedBy: row["returned_by"],
            closedAt: (row["closed_at"] as Int64?).map(Date.init(epochMilliseconds:)))
    }
}
