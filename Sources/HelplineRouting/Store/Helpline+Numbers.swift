import Foundation
import GRDB

extension Helpline {
    /// Adds a general helpline number.
    ///
    /// - Parameters:
    ///   - number: the number callers dial.
    ///   - settings: anything not given takes its default: every provider as a member,
    ///     weighted round robin, a 30-day repeat window, a 20 s ring timeout and 3 attempts.
    /// - Throws: `InputError` for a value out of range, `StoreError.notFound` for an unknown member,
    ///   `StoreError.numberInUse` when the number is taken.
    @discardableResult
    public func addHelplineNumber(_ number: PhoneNumber, settings: HelplineSettings = HelplineSettings()) throws -> HelplineNumber {
        try settings.validate()
        return try configWrite { db in
            try Self.checkNumberFree(number, db: db)
            let ms = options.now().epochMilliseconds
            try db.execute(
                sql: "INSERT INTO helplines (number, name, created_at, updated_at) VALUES (?, '', ?, ?)",
                arguments: [number.e164, ms, ms])
            let id = db.lastInsertedRowID
            try Self.applyHelplineSettings(settings, id: id, db: db, at: ms)
            return try Self.fetchHelpline(id: id, db: db)
        }
    }

    /// Changes the given settings of a helpline number and leaves the others.
    ///
    /// - Throws: `InputError` for a value out of range, `StoreError.notFound` for an unknown
    ///   number or member.
    @discardableResult
    public func updateHelplineNumber(_ number: PhoneNumber, settings: HelplineSettings) throws -> HelplineNumber {
        try settings.validate()
        return try configWrite { db in
            let current = try Self.fetchHelpline(number: number, db: db)
            try Self.applyHelplineSettings(settings, id: current.id, db: db, at: options.now().epochMilliseconds)
            return try Self.fetchHelpline(id: current.id, db: db)
        }
    }

    /// Every helpline number, in id order.
    public func helplineNumbers() throws -> [HelplineNumber] {
        try read { db in
            try Int64.fetchAll(db, sql: "SELECT id FROM helplines ORDER BY id").map { try Self.fetchHelpline(id: $0, db: db) }
        }
    }

    /// The helpline number `number`.
    ///
    /// - Throws: `StoreError.notFound` when it is not a helpline number.
    public func helplineNumber(_ number: PhoneNumber) throws -> HelplineNumber {
        try read { db in try Self.fetchHelpline(number: number, db: db) }
    }

    private static func applyHelplineSettings(_ s: HelplineSettings, id: Int64, db: Database, at ms: Int64) throws {
        var sets: [String] = ["updated_at = ?"]
        var args: [(any DatabaseValueConvertible)?] = [ms]
        if let v = s.name { sets.append("name = ?"); args.append(v.trimmingWhitespace()) }
        if let v = s.strategy { sets.append("strategy = ?"); args.append(v.rawValue) }
        if let v = s.repeatWindowDays { sets.append("repeat_window_days = ?"); args.append(v) }
        if let v = s.ringTimeoutSeconds { sets.append("ring_timeout_s = ?"); args.append(v) }
        if let v = s.maxAttempts { sets.append("max_attempts = ?"); args.append(v) }
        if let members = s.members {
            sets.append("all_providers = ?")
            args.append(members == nil)
            try db.execute(sql: "DELETE FROM helpline_members WHERE helpline_id = ?", arguments: [id])
            for providerID in Set(members ?? []).sorted() {
                let provider = try fetchProvider(providerID, db: db)
                guard provider.status != .removed else {
                    throw StoreError.conflict("provider \(providerID) is removed and can't be a member", hint: nil)
                }
                try db.execute(
                    sql: "INSERT INTO helpline_members (helpline_id, provider_id) VALUES (?, ?)", arguments: [id, providerID])
            }
        }
        args.append(id)
        // The column names come from the fixed list above, never from input; values are bound.
        try db.execute(sql: "UPDATE helplines SET \(sets.joined(separator: ", ")) WHERE id = ?", arguments: StatementArguments(args))
    }

    static func fetchHelpline(number: PhoneNumber, db: Database) throws -> HelplineNumber {
        guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM helplines WHERE number = ?", arguments: [number.e164]) else {
            throw StoreError.notFound(kind: "helpline number", id: number.e164)
        }
        return try fetchHelpline(id: id, db: db)
    }

    static func fetchHelpline(id: Int64, db: Database) throws -> HelplineNumber {
        guard let row = try Row.fetchOne(db, sql: "SELECT \(HelplineNumber.columns) FROM helplines WHERE id = ?", arguments: [id]) else {
            throw StoreError.notFound(kind: "helpline number", id: String(id))
        }
        let members = try Int64.fetchAll(
            db, sql: "SELECT provider_id FROM helpline_members WHERE helpline_id = ? ORDER BY provider_id", arguments: [id])
        return try HelplineNumber(row: row, members: members)
    }
}
