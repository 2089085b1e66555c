import CSV
import Foundation
import GRDB

extension Helpline {
    /// Imports providers from CSV text, all or nothing.
    ///
    /// The header row names the same fields as `provider add` (`name`, `phone`, `tz`, `hours`,
    /// `states`, `weight`, `priority`, `hourly_cap`, `daily_cap`, `monthly_cap`, `concurrency`,
    /// `auto_pause_after`; `-` and `_` are alike). Quoting is RFC 4180; a UTF-8 BOM and CRLF line
    /// ends are accepted; blank lines are skipped.
    ///
    /// - Parameters:
    ///   - csv: the file's text.
    ///   - allowSamePhone: accept phones that listed providers already answer on (see `addProvider`).
    /// - Returns: the providers added, in file order.
    /// - Throws: `InputError.inRow` naming the first bad row (counting the header as row 1) and
    ///   field, or `InputError.invalidCSV` for a file without a usable header. Nothing is written then.
    @discardableResult
    public func importProviders(csv: String, allowSamePhone: Bool = false) throws -> [Provider] {
        let providers = try Self.parseProviderCSV(csv, defaultTimeZone: defaultTimeZone)
        let now = options.now()
        return try configWrite { db in
            try providers.enumerated().map { index, provider in
                do {
                    return try Self.insertProvider(provider, allowSamePhone: allowSamePhone, db: db, at: now)
                } catch let error as StoreError {
                    // Name the row, as for any other bad row: the header is row 1.
                    throw StoreError.conflict("row \(index + 2): \(error.message); nothing was imported", hint: error.hint)
                }
            }
        }
    }

    /// Parses and validates a providers CSV file without touching the database.
    static func parseProviderCSV(_ csv: String, defaultTimeZone: TimeZone) throws -> [NewProvider] {
        var text = csv
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        guard !text.trimmingWhitespace().isEmpty else { throw InputError.invalidCSV(reason: "the file is empty") }
        let reader: CSVReader
        do {
            reader = try CSVReader(string: text, hasHeaderRow: true)
        } catch {
            throw InputError.invalidCSV(reason: "the header row can't be read")
        }
        let header = (reader.headerRow ?? []).map(ProviderFields.normalize)
        for name in header where !ProviderFields.names.contains(name) {
            throw InputError.inRow(1, field: name, .unknownField(name, known: ProviderFields.names))
        }
        guard Set(header).count == header.count else {
            throw InputError.invalidCSV(reason: "a column is named twice in the header")
        }
        for required in ["name", "phone"] where !header.contains(required) {
            throw InputError.inRow(1, field: required, .missing(field: required))
        }
        var providers: [NewProvider] = []
        var rowNumber = 1
        while let row = reader.next() {
            rowNumber += 1
            if row.count == 1 && row[0].trimmingWhitespace().isEmpty { continue }
            guard row.count == header.count else {
                throw InputError.inRow(
                    rowNumber, field: "(columns)",
                    .invalidCSV(reason: "it has \(row.count) fields and the header has \(header.count)"))
            }
            var values: [String: String] = [:]
            for (name, value) in zip(header, row) { values[name] = value }
            do {
                let fields = try ProviderFields(values)
                providers.append(try fields.newProvider(defaultTimeZone: defaultTimeZone))
            } catch let error as InputError {
                throw InputError.inRow(rowNumber, field: Self.fieldName(of: error), error)
            }
        }
        if let error = reader.error {
            throw InputError.invalidCSV(reason: "row \(rowNumber + 1) can't be read: \(error)")
        }
        guard !providers.isEmpty else { throw InputError.invalidCSV(reason: "the file has a header but no rows") }
        return providers
    }

    /// The field an input error is about, to name it in an import error.
    private static func fieldName(of error: InputError) -> String {
        switch error {
        case .invalidPhone, .invalidBusinessPhone: return "phone"
        case .invalidHours: return "hours"
        case .invalidTimeZone: return "tz"
        case .invalidState: return "states"
        case .outOfRange(let field, _, _), .notANumber(let field, _), .missing(let field), .invalidChoice(let field, _, _),
            .invalidText(let field, _), .inRow(_, let field, _):
            return field
        case .unknownField(let field, _): return field
        case .invalidDate, .invalidCSV, .futureTime: return "(row)"
        }
    }
}
