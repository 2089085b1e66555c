import Foundation

/// The one rule for names that people type and the public pages print: provider, listing and
/// helpline names.
///
/// A name is printed in the public disclosure, in reports, spreadsheets and terminals, so it is
/// one line of visible text: trimmed, 1 to 200 characters, with at least one letter or digit, and
/// no control characters (newlines, ANSI escapes), invisible format characters (zero-width
/// spaces, bidirectional overrides) or line separators.
public enum DisplayName {
    /// The longest name, in characters.
    public static let maxLength = 200

    /// The name, trimmed and checked.
    ///
    /// - Parameters:
    ///   - text: the name as given.
    ///   - field: the field to name in an error.
    /// - Throws: `InputError.missing` for a blank name, `.invalidText` for anything else refused.
    public static func validated(_ text: String, field: String = "name") throws -> String {
        let name = text.trimmingWhitespace()
        guard !name.isEmpty else { throw InputError.missing(field: field) }
        guard name.count <= maxLength else {
            throw InputError.invalidText(field: field, reason: "longer than \(maxLength) characters")
        }
        for scalar in name.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .unassigned, .privateUse, .surrogate:
                throw InputError.invalidText(
                    field: field,
                    reason: "it contains an invisible or control character (U+\(String(scalar.value, radix: 16, uppercase: true)))")
            default: continue
            }
        }
        guard name.unicodeScalars.contains(where: { $0.properties.isAlphabetic || $0.properties.numericType != nil }) else {
            throw InputError.invalidText(field: field, reason: "it has no letter or digit")
        }
        return name
    }
}

/// Spreadsheet safety for CSV output (OWASP's CSV-injection rule).
public enum SpreadsheetCell {
    /// The cell as a spreadsheet should show it: text starting with `=`, `+`, `-`, `@`, a tab or
    /// a carriage return is prefixed with `'`, so it is shown as text and never run as a formula.
    public static func escaped(_ cell: String) -> String {
        guard let first = cell.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) else { return cell }
        return "'" + cell
    }
}
