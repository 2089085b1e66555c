public import Foundation
import GRDB

extension Helpline {
    /// Adds a listing: calls to `number` always go to `providerID`.
    ///
    /// - Parameters:
    ///   - name: the center's name.
    ///   - number: the listing's tracking number.
    ///   - providerID: the provider that answers it.
    ///   - ringTimeout: seconds its calls ring the center before a callback is owed (1-600, default 20).
    /// - Throws: `InputError` for a blank name or a ring timeout out of range, `StoreError.notFound`
    ///   for an unknown provider, `StoreError.numberInUse` when the number is already a listing or a helpline.
    @discardableResult
    public func addListing(name: String, number: PhoneNumber, providerID: Int64, ringTimeout: Int = 20) throws -> Listing {
        let name = try DisplayName.validated(name)
        try Self.checkRingTimeout(ringTimeout)
        return try configWrite { db in
            let provider = try Self.fetchProvider(providerID, db: db)
            guard provider.status != .removed else {
                throw StoreError.conflict("provider \(providerID) is removed", hint: "choose a provider that is not removed")
            }
            try Self.checkNumberFree(number, db: db)
            try db.execute(
                sql: "INSERT INTO listings (name, number, provider_id, created_at, ring_timeout_s) VALUES (?, ?, ?, ?, ?)",
                arguments: [name, number.e164, providerID, options.now().epochMilliseconds, ringTimeout])
            return try Self.fetchListing(db.lastInsertedRowID, db: db)
        }
    }

    /// Changes a listing's name or ring timeout; a nil leaves that setting as it is.
    ///
    /// - Throws: `InputError` for a blank name or a ring timeout out of range; `StoreError.notFound`
    ///   for an unknown or removed listing.
    @discardableResult
    public func updateListing(id: Int64, name: String? = nil, ringTimeout: Int? = nil) throws -> Listing {
        let name = try name.map { try DisplayName.validated($0) }
        if let ringTimeout { try Self.checkRingTimeout(ringTimeout) }
        return try configWrite { db in
            let listing = try Self.fetchListing(id, db: db)
            guard listing.removedAt == nil else { throw StoreError.notFound(kind: "active listing", id: String(id)) }
            try db.execute(
                sql: "UPDATE listings SET name = ?, ring_timeout_s = ? WHERE id = ?",
                arguments: [name ?? listing.name, ringTimeout ?? listing.ringTimeoutSeconds, id])
            return try Self.fetchListing(id, db: db)
        }
    }

    static func checkRingTimeout(_ seconds: Int) throws {
        guard (1...600).contains(seconds) else {
            throw InputError.outOfRange(field: "ring-timeout", value: String(seconds), allowed: "1-600")
        }
    }

    /// The listings, in id order.
    ///
    /// - Parameter includeRemoved: whether removed listings are listed too.
    public func listings(includeRemoved: Bool = false) throws -> [Listing] {
        try read { db in
            try Row.fetchAll(
                db, sql: "SELECT \(Listing.columns) FROM listings \(includeRemoved ? "" : "WHERE removed_at IS NULL") ORDER BY id"
            ).map(Listing.init(row:))
        }
    }

    /// Removes a listing softly; its calls stay in the history, and its number becomes free.
    ///
    /// - Throws: `StoreError.notFound` for an unknown or already removed listing.
    @discardableResult
    public func removeListing(id: Int64, at time: Date? = nil) throws -> Listing {
        try configWrite { db in
            let listing = try Self.fetchListing(id, db: db)
            guard listing.removedAt == nil else { throw StoreError.notFound(kind: "active listing", id: String(id)) }
            try db.execute(
                sql: "UPDATE listings SET removed_at = ? WHERE id = ?", arguments: [try eventTime(time).epochMilliseconds, id])
            return try Self.fetchListing(id, db: db)
        }
    }

    static func fetchListing(_ id: Int64, db: Database) throws -> Listing {
        guard let row = try Row.fetchOne(db, sql: "SELECT \(Listing.columns) FROM listings WHERE id = ?", arguments: [id]) else {
            throw StoreError.notFound(kind: "listing", id: String(id))
        }
        return try Listing(row: row)
    }

    static func checkNumberFree(_ number: PhoneNumber, db: Database) throws {
        if let id = try Int64.fetchOne(
            db, sql: "SELECT id FROM listings WHERE number = ? AND removed_at IS NULL", arguments: [number.e164])
        {
            throw StoreError.numberInUse(number: number.e164, usedBy: "listing \(id)'s number")
        }
        if try Int64.fetchOne(db, sql: "SELECT id FROM helplines WHERE number = ?", arguments: [number.e164]) != nil {
            throw StoreError.numberInUse(number: number.e164, usedBy: "a helpline number")
        }
    }
}
