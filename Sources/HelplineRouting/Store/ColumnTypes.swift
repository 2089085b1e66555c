import Foundation
import GRDB

/// Checks that stored values have their columns' declared types before they are decoded.
///
/// SQLite lets anyone with the sqlite3 shell put text in an INTEGER column, and GRDB traps when
/// it decodes such a value. The reads that follow a call (its events, `call show`) and `doctor`
/// check the rows they are about to read, so a damaged row is an error that names it (exit 74),
/// never a crash.
enum ColumnTypes {
    /// The declared storage class of each column of a table: INTEGER or TEXT (others unchecked).
    private static let declared = Locked<[String: [(name: String, type: String)]]>([:])
    /// What names a row in an error: rowid, or the first key column of a WITHOUT ROWID table.
    private static let rowNames = Locked<[String: String]>([:])

    private static func rowName(of table: String, db: Database) throws -> String {
        if let known = rowNames.withLock({ $0[table] }) { return known }
        let withoutRowid =
            try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = ?", arguments: [table])?.uppercased()
            .contains("WITHOUT ROWID") ?? false
        let key = try String.fetchOne(db, sql: "SELECT name FROM pragma_table_info(?) WHERE pk = 1", arguments: [table])
        let name = withoutRowid ? "\"\(key ?? "")\"" : "rowid"
        rowNames.withLock { $0[table] = name }
        return name
    }

    private static func columns(of table: String, db: Database) throws -> [(name: String, type: String)] {
        if let known = declared.withLock({ $0[table] }) { return known }
        let columns = try Row.fetchAll(db, sql: "SELECT name, upper(type) FROM pragma_table_info(?)", arguments: [table]).compactMap {
            row -> (name: String, type: String)? in
            guard let name = row[0] as String?, let type = row[1] as String?, type == "INTEGER" || type == "TEXT" else { return nil }
            return (name, type)
        }
        declared.withLock { $0[table] = columns }
        return columns
    }

    /// Throws `StoreError.badValue` (its path filled in by the store) for the first row of `table` matching `filter` (all rows when
    /// nil) whose value is not of its column's declared type (NULL passes: NOT NULL is SQLite's).
    ///
    /// - Parameters:
    ///   - table: a table of the schema (a constant, never input).
    ///   - filter: an SQL condition on the table's columns, with `?` for `arguments`.
    static func check(_ table: String, filter: String? = nil, arguments: StatementArguments = [], db: Database) throws {
        let columns = try columns(of: table, db: db)
        guard !columns.isEmpty else { return }
        guard
            // Cached, SQL text and statement: the call events run the same checks on every event.
            let row = try Row.fetchOne(db.cachedStatement(sql: try checkSQL(table, filter: filter, columns: columns, db: db)), arguments: arguments)
        else { return }
        let rowid: Int64 = (row[0] as Int64?) ?? 0
        for (i, c) in columns.enumerated() {
            let found: String = (row[i + 1] as String?) ?? "?"
            if found != "null" && found != (c.type == "INTEGER" ? "integer" : "text") {
                throw StoreError.badValue(path: "", table: table, row: rowid, column: c.name, found: found, expected: c.type.lowercased())
            }
        }
    }

    /// The SQL of a check, built once per table and filter.
    private static let checkSQLs = Locked<[String: String]>([:])

    private static func checkSQL(_ table: String, filter: String?, columns: [(name: String, type: String)], db: Database) throws -> String {
        let key = table + "\u{0}" + (filter ?? "")
        if let known = checkSQLs.withLock({ $0[key] }) { return known }
        let wrong = columns.map { c in
            "(typeof(\"\(c.name)\") NOT IN ('null', '\(c.type == "INTEGER" ? "integer" : "text")'))"
        }
        let typeofs = columns.map { "typeof(\"\($0.name)\")" }.joined(separator: ", ")
        let condition = (filter.map { "(\($0)) AND " } ?? "") + "(" + wrong.joined(separator: " OR ") + ")"
        let sql = "SELECT \(try rowName(of: table, db: db)), \(typeofs) FROM \"\(table)\" WHERE \(condition) LIMIT 1"
        checkSQLs.withLock { $0[key] = sql }
        return sql
    }

    /// Tables whose rows are evidence: a person corrects them, never `doctor --repair`.
    static let evidence: Set<String> = ["consent_records", "config_changes", "terms_versions", "schema_migrations"]

    /// Converts values stored with the wrong type when the conversion loses nothing (in practice
    /// a BLOB in a TEXT column: SQLite's affinity already stores `'42'` as 42 in an INTEGER
    /// column); returns how many values changed. Values like `'x'` or `1.5` in an INTEGER column
    /// are left for a person.
    static func repair(_ table: String, db: Database) throws -> Int {
        guard !evidence.contains(table) else { return 0 }
        var changed = 0
        for c in try columns(of: table, db: db) {
            let column = "\"\(c.name)\""
            if c.type == "INTEGER" {
                try db.execute(
                    sql: """
                        UPDATE "\(table)" SET \(column) = CAST(\(column) AS INTEGER)
                        WHERE (typeof(\(column)) = 'text' AND \(column) GLOB '[0-9]*' AND NOT \(column) GLOB '*[^0-9]*' AND length(\(column)) <= 18)
                           OR (typeof(\(column)) = 'real' AND \(column) = CAST(\(column) AS INTEGER))
                        """)
            } else {
                try db.execute(
                    sql: "UPDATE \"\(table)\" SET \(column) = CAST(\(column) AS TEXT) WHERE typeof(\(column)) IN ('integer', 'real', 'blob')")
            }
            changed += db.changesCount
        }
        return changed
    }

    /// Every table of the schema, for `doctor`.
    static func tables(_ db: Database) throws -> [String] {
        try String.fetchAll(
            db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%' ORDER BY name")
    }
}
