public import Foundation
import GRDB

/// One change of configuration, as `helpline history` and the neutrality report show it.
public struct ConfigChange: Sendable, Hashable {
    /// One setting that changed.
    public struct Field: Sendable, Hashable {
        public var name: String
        /// The value before; nil when the entity was added or the value was unset.
        public var old: String?
        public var new: String?
    }

    public var seq: Int64
    public var at: Date
    /// `provider`, `helpline`, `listing` or `terms`.
    public var entity: String
    public var entityID: Int64
    /// `added`, `updated`, `paused`, `resumed`, `removed` or `published`.
    public var action: String
    /// The command or service that made it, `auto-pause`, or `outside helpline`.
    public var source: String
    /// What changed against the entity's previous state (every setting when it was added).
    public var fields: [Field]
}

extension ConfigChange: Encodable {
    enum CodingKeys: String, CodingKey { case seq, at, entity, id, action, source, changes }
    enum FieldKeys: String, CodingKey { case name, old, new }

    /// The shape `helpline history --json` prints and the neutrality report embeds.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(seq, forKey: .seq)
        try c.encode(at, forKey: .at)
        try c.encode(entity, forKey: .entity)
        try c.encode(entityID, forKey: .id)
        try c.encode(action, forKey: .action)
        try c.encode(source, forKey: .source)
        var list = c.nestedUnkeyedContainer(forKey: .changes)
        for field in fields {
            var item = list.nestedContainer(keyedBy: FieldKeys.self)
            try item.encode(field.name, forKey: .name)
            try item.encode(field.old, forKey: .old)
            try item.encode(field.new, forKey: .new)
        }
    }
}

/// The hash-chained history of configuration changes (`config_changes`; see migration 0006).
enum ConfigHistory {
    static let genesisHash = String(repeating: "0", count: 64)
    /// The source of changes helpline did not make itself.
    static let outside = "outside helpline"

    static func canonical(seq: Int64, at: Int64, entity: String, entityID: Int64, action: String, state: String, source: String, prev: String)
        -> String
    {
        "\(seq)|\(at)|\(entity)|\(entityID)|\(action)|\(state)|\(source)|\(prev)"
    }

    /// Seals the rows the triggers wrote: keeps each entity's last state of the transaction (with
    /// `added` or a status action when one happened), drops changes back to the same state, and
    /// chains the rest with `source` for rows that have none. Must run in a write transaction.
    static func seal(_ db: Database, source: String) throws {
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: "SELECT seq, at, entity, entity_id, action, state, source FROM config_changes WHERE hash IS NULL ORDER BY seq"))
        guard !rows.isEmpty else { return }
        struct Pending {
            var seq: Int64
            var at: Int64
            var entity: String
            var entityID: Int64
            var action: String
            var state: String
            var source: String?
        }
        var byEntity: [String: Pending] = [:]
        var order: [String] = []
        var dropped: [Int64] = []
        for row in rows {
            var p = Pending(seq: row[0], at: row[1], entity: row[2], entityID: row[3], action: row[4], state: row[5], source: row[6])
            let key = "\(p.entity)#\(p.entityID)"
            if let earlier = byEntity[key] {
                dropped.append(earlier.seq)
                // The transaction's first notable action names it: added, paused, resumed, removed.
                if earlier.action != "updated" { p.action = earlier.action }
                p.source = p.source ?? earlier.source
            } else {
                order.append(key)
            }
            byEntity[key] = p
        }
        var prev =
            try String.fetchOne(
                db.cachedStatement(sql: "SELECT hash FROM config_changes WHERE hash IS NOT NULL ORDER BY seq DESC LIMIT 1")) ?? genesisHash
        for p in order.compactMap({ byEntity[$0] }).sorted(by: { $0.seq < $1.seq }) {
            let last = try String.fetchOne(
                db.cachedStatement(
                    sql: "SELECT state FROM config_changes WHERE entity = ? AND entity_id = ? AND hash IS NOT NULL ORDER BY seq DESC LIMIT 1"),
                arguments: [p.entity, p.entityID])
            if p.action == "updated" && last == p.state {
                dropped.append(p.seq)
                continue
            }
            let by = p.source ?? source
            let hash = sha256Hex(
                canonical(seq: p.seq, at: p.at, entity: p.entity, entityID: p.entityID, action: p.action, state: p.state, source: by, prev: prev))
            try db.execute(
                sql: "UPDATE config_changes SET action = ?, source = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                arguments: [p.action, by, prev, hash, p.seq])
            prev = hash
        }
        for seq in dropped { try db.execute(sql: "DELETE FROM config_changes WHERE seq = ?", arguments: [seq]) }
    }

    /// Checks the chain: every row sealed, each hash over its row and the previous hash.
    /// - Returns: the number of rows, and the first problem with its seq.
    static func verify(_ db: Database) throws -> (count: Int, bad: (seq: Int64, problem: String)?) {
        let cursor = try Row.fetchCursor(
            db,
            sql: """
                SELECT seq, at, entity, entity_id, action, state, source, prev_hash, hash,
                    typeof(at) || typeof(entity) || typeof(entity_id) || typeof(action) || typeof(state)
                FROM config_changes ORDER BY seq
                """)
        var prev = genesisHash
        var count = 0
        while let row = try cursor.next() {
            count += 1
            let seq: Int64 = row[0]
            guard (row[9] as String) == "integertextintegertexttext" else {
                return (count, (seq, "a column holds a value of the wrong type; the change was altered"))
            }
            guard let hash = row[8] as String?, let prevHash = row[7] as String?, let source = row[6] as String? else {
                return (count, (seq, "this change was made outside helpline and never sealed"))
            }
            guard prevHash == prev else { return (count, (seq, "prev_hash does not match the previous change's hash")) }
            let text = canonical(
                seq: seq, at: row[1], entity: row[2], entityID: row[3], action: row[4], state: row[5], source: source, prev: prevHash)
            guard sha256Hex(text) == hash else { return (count, (seq, "its contents do not match its hash; the change was altered")) }
            prev = hash
        }
        return (count, nil)
    }

    /// The sealed changes in `[from, to)` (all when nil), each with what it changed.
    static func changes(_ db: Database, from: Int64? = nil, to: Int64? = nil, entity: String? = nil) throws -> [ConfigChange] {
        var conditions = ["hash IS NOT NULL"]
        var arguments: StatementArguments = []
        if let from {
            conditions.append("at >= ?")
            arguments += [from]
        }
        if let to {
            conditions.append("at < ?")
            arguments += [to]
        }
        if let entity {
            conditions.append("entity = ?")
            arguments += [entity]
        }
        let rows = try Row.fetchAll(
            db,
            sql:
                "SELECT seq, at, entity, entity_id, action, state, source FROM config_changes WHERE \(conditions.joined(separator: " AND ")) ORDER BY seq",
            arguments: arguments)
        return try rows.map { row in
            let seq: Int64 = row[0]
            let entity: String = row[2]
            let entityID: Int64 = row[3]
            let state = Self.fields(row[5])
            let before = try String.fetchOne(
                db,
                sql: "SELECT state FROM config_changes WHERE entity = ? AND entity_id = ? AND seq < ? AND hash IS NOT NULL ORDER BY seq DESC LIMIT 1",
                arguments: [entity, entityID, seq]
            ).map(Self.fields)
            var changed: [ConfigChange.Field] = []
            for name in Set(state.keys).union(before?.keys ?? [:].keys).sorted() {
                let old = before?[name] ?? nil
                let new = state[name] ?? nil
                if before == nil || old != new { changed.append(.init(name: name, old: old, new: new)) }
            }
            return ConfigChange(
                seq: seq, at: Date(epochMilliseconds: row[1]), entity: entity, entityID: entityID, action: row[4],
                source: row[6] ?? outside, fields: changed)
        }
    }

    /// A snapshot's settings as text (numbers in decimal, NULL as nil).
    static func fields(_ json: String) -> [String: String?] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return [:] }
        var out: [String: String?] = [:]
        for (key, value) in object {
            switch value {
            case is NSNull: out[key] = .some(nil)
            case let n as NSNumber: out[key] = n.stringValue
            case let s as String: out[key] = s
            default: out[key] = String(describing: value)
            }
        }
        return out
    }
}

extension Helpline {
    /// Runs a configuration change in one write transaction, and seals its history: rows left
    /// unsealed by something else first (as `outside helpline`), then this change's own.
    func configWrite<T>(_ body: (Database) throws -> T) throws -> T {
        try write { db in
            try ConfigHistory.seal(db, source: ConfigHistory.outside)
            let result = try body(db)
            try ConfigHistory.seal(db, source: options.changeSource)
            return result
        }
    }

    /// The configuration changes, oldest first, each with what it changed.
    ///
    /// - Parameters:
    ///   - from: the first instant; nil for the beginning.
    ///   - to: the end (exclusive); nil for now.
    ///   - entity: `provider`, `helpline`, `listing` or `terms`; nil for all.
    public func configHistory(from: Date? = nil, to: Date? = nil, entity: String? = nil) throws -> [ConfigChange] {
        try read { db in
            try ConfigHistory.changes(db, from: from?.epochMilliseconds, to: to?.epochMilliseconds, entity: entity)
        }
    }

    /// Checks the configuration history's chain.
    ///
    /// - Returns: the number of changes, and the first problem found (nil when intact).
    public func verifyConfigHistory() throws -> (changes: Int, firstBadSeq: Int64?, problem: String?) {
        try read { db in
            let v = try ConfigHistory.verify(db)
            return (v.count, v.bad?.seq, v.bad?.problem)
        }
    }
}
