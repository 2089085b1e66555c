public import Foundation
import GRDB

extension Helpline {
    /// Adds a provider.
    ///
    /// - Parameters:
    ///   - provider: validated settings, for example from `ProviderFields.newProvider`.
    ///   - allowSamePhone: accept a phone an active provider already answers on (a switchboard
    ///     shared by two listed providers). Without it such a provider is refused: a duplicate
    ///     would silently double a provider's share.
    /// - Returns: the stored provider with its new id.
    /// - Throws: `StoreError.duplicateProvider`; `StoreError` when the database can't be written.
    @discardableResult
    public func addProvider(_ provider: NewProvider, allowSamePhone: Bool = false) throws -> Provider {
        try configWrite { db in try Self.insertProvider(provider, allowSamePhone: allowSamePhone, db: db, at: options.now()) }
    }

    static func insertProvider(_ p: NewProvider, allowSamePhone: Bool, db: Database, at now: Date) throws -> Provider {
        if !allowSamePhone,
            let existing = try Row.fetchOne(
                db, sql: "SELECT id, name FROM providers WHERE phone = ? AND status != 'removed' ORDER BY id LIMIT 1", arguments: [p.phone.e164])
        {
            throw StoreError.duplicateProvider(phone: p.phone.e164, existingID: existing[0], existingName: existing[1])
        }
        let ms = now.epochMilliseconds
        try db.execute(
            sql: """
                INSERT INTO providers (name, phone, time_zone, hours, states, weight, priority, hourly_cap, daily_cap,
                    monthly_cap, concurrency_cap, auto_pause_after, sip_uri, status, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?)
                """,
            arguments: [
                p.name, p.phone.e164, p.timeZone.identifier, p.hours.spec, USState.joined(p.states), p.weight, p.priority,
                p.caps.hourly, p.caps.daily, p.caps.monthly, p.caps.concurrent, p.autoPauseAfter, p.sipURI, ms, ms,
            ])
        let id = db.lastInsertedRowID
        try recordProviderEvent(db: db, providerID: id, event: "added", at: now, detail: "")
        return try fetchProvider(id, db: db)
    }

    /// Adds a provider from text fields, as `provider add` gives them.
    ///
    /// - Parameters:
    ///   - fields: the fields as text; see `ProviderFields`.
    ///   - allowSamePhone: accept a phone an active provider already answers on.
    /// - Throws: `InputError` for a missing or invalid field, `StoreError.duplicateProvider`,
    ///   `StoreError` when the write fails.
    @discardableResult
    public func addProvider(fields: ProviderFields, allowSamePhone: Bool = false) throws -> Provider {
        try addProvider(try fields.newProvider(defaultTimeZone: defaultTimeZone), allowSamePhone: allowSamePhone)
    }

    /// Every provider, in id order.
    ///
    /// - Parameter includeRemoved: whether soft-removed providers are listed too.
    public func providers(includeRemoved: Bool = false) throws -> [Provider] {
        try read { db in
            try Row.fetchAll(
                db, sql: "SELECT \(Provider.columns) FROM providers \(includeRemoved ? "" : "WHERE status != 'removed'") ORDER BY id"
            ).map(Provider.init(row:))
        }
    }

    /// The provider with this id, removed or not.
    ///
    /// - Throws: `StoreError.notFound` when there is none.
    public func provider(id: Int64) throws -> Provider {
        try read { db in try Self.fetchProvider(id, db: db) }
    }

    static func fetchProvider(_ id: Int64, db: Database) throws -> Provider {
        guard let row = try Row.fetchOne(db, sql: "SELECT \(Provider.columns) FROM providers WHERE id = ?", arguments: [id]) else {
            throw StoreError.notFound(kind: "provider", id: String(id))
        }
        return try Provider(row: row)
    }

    /// Changes the fields that are given and leaves the others.
    ///
    /// - Throws: `InputError` for an invalid field, `StoreError.notFound` for an unknown id, and
    ///   `StoreError.conflict` for a removed provider.
    @discardableResult
    public func updateProvider(id: Int64, fields: ProviderFields) throws -> Provider {
        try configWrite { db in
            let current = try Self.fetchProvider(id, db: db)
            guard current.status != .removed else {
                throw StoreError.conflict("provider \(id) is removed", hint: "add a new provider instead")
            }
            var s = current.settings
            try fields.apply(to: &s)
            try db.execute(
                sql: """
                    UPDATE providers SET name = ?, phone = ?, time_zone = ?, hours = ?, states = ?, weight = ?, priority = ?,
                        hourly_cap = ?, daily_cap = ?, monthly_cap = ?, concurrency_cap = ?, auto_pause_after = ?, sip_uri = ?, updated_at = ?,
                        revision = revision + 1
                    WHERE id = ?
                    """,
                arguments: [
                    s.name, s.phone.e164, s.timeZone.identifier, s.hours.spec, USState.joined(s.states), s.weight, s.priority,
                    s.caps.hourly, s.caps.daily, s.caps.monthly, s.caps.concurrent, s.autoPauseAfter, s.sipURI,
                    options.now().epochMilliseconds, id,
                ])
            if s.timeZone.identifier != current.timeZone.identifier {
                // The live row's keys are periods of the old zone: count them again in the new one.
                try Self.rebuildLive(providerID: id, zone: s.timeZone, now: options.now(), db: db)
            }
            return try Self.fetchProvider(id, db: db)
        }
    }

    /// Pauses a provider: it takes no pool calls until resumed. Listing calls still reach it.
    ///
    /// - Throws: `StoreError.notFound`, or `StoreError.conflict` for a removed provider.
    @discardableResult
    public func pauseProvider(id: Int64, at time: Date? = nil) throws -> Provider {
        try setStatus(id, to: .paused, at: try eventTime(time))
    }

    /// Resumes a paused provider, including one that was auto-paused, and resets its run of
    /// unanswered offers.
    ///
    /// - Throws: `StoreError.notFound`, or `StoreError.conflict` for a removed provider.
    @discardableResult
    public func resumeProvider(id: Int64, at time: Date? = nil) throws -> Provider {
        try setStatus(id, to: .active, at: try eventTime(time))
    }

    /// Removes a provider softly: it takes no calls, and its history stays.
    ///
    /// - Throws: `StoreError.notFound`, or `StoreError.conflict` while an active listing uses it.
    @discardableResult
    public func removeProvider(id: Int64, at time: Date? = nil) throws -> Provider {
        try setStatus(id, to: .removed, at: try eventTime(time))
    }

    private func setStatus(_ id: Int64, to status: ProviderStatus, at time: Date) throws -> Provider {
        try configWrite { db in
            let current = try Self.fetchProvider(id, db: db)
            if current.status == .removed && status != .removed {
                throw StoreError.conflict("provider \(id) is removed", hint: "add a new provider instead")
            }
            if status == .removed {
                let listings = try Int64.fetchAll(
                    db, sql: "SELECT id FROM listings WHERE provider_id = ? AND removed_at IS NULL ORDER BY id", arguments: [id])
                if !listings.isEmpty {
                    throw StoreError.conflict(
                        "provider \(id) still answers listing(s) \(listings.map(String.init).joined(separator: ", "))",
                        hint: "remove those listings first (helpline listing remove ID)")
                }
            }
            try db.execute(
                sql: "UPDATE providers SET status = ?, updated_at = ?, revision = revision + 1 WHERE id = ?",
                arguments: [status.rawValue, time.epochMilliseconds, id])
            if status == .active {
                // A resumed provider starts a fresh run of unanswered offers.
                try db.execute(sql: "UPDATE provider_live SET unanswered_in_a_row = 0 WHERE provider_id = ?", arguments: [id])
            }
            try Self.recordStatusChange(db: db, providerID: id, to: status, at: time)
            return try Self.fetchProvider(id, db: db)
        }
    }
}
