/// A plain-text table with columns aligned for a terminal: numbers to the right, text to the left.
public struct TextTable: Sendable {
    public var header: [String]
    public var rows: [[String]]

    public init(header: [String], rows: [[String]]) {
        self.header = header
        self.rows = rows
    }

    /// The table as lines ending in newlines; an empty table prints its header and `(none)`.
    public func render() -> String {
        let all = [header] + rows
        let count = header.count
        var widths = [Int](repeating: 0, count: count)
        for row in all {
            for (i, cell) in row.prefix(count).enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        func isNumeric(_ s: String) -> Bool {
            !s.isEmpty && s.allSatisfy { $0.isNumber || $0 == "." || $0 == "%" || $0 == "-" || $0 == "+" }
        }
        var out = ""
        for (index, row) in all.enumerated() {
            var cells: [String] = []
            for i in 0..<count {
                let cell = i < row.count ? row[i] : ""
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                cells.append(index > 0 && isNumeric(cell) ? pad + cell : cell + pad)
            }
            var line = cells.joined(separator: "  ")
            while line.hasSuffix(" ") { line.removeLast() }
            out += line + "\n"
        }
        if rows.isEmpty { out += "(none)\n" }
        return out
    }
}
