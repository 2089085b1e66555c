/// A two-letter USPS code for a state, DC or a territory with NANP numbers.
public struct USState: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The upper-case code, for example `NY`.
    public let code: String

    /// Every accepted code: the 50 states, DC, and the territories in the NANP.
    public static let allCodes: Set<String> = [
        "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS",
        "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY",
        "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV",
        "WI", "WY", "DC", "PR", "VI", "GU", "AS", "MP",
    ]

    /// Parses a code in any letter case, ignoring surrounding white space.
    ///
    /// - Parameter text: a code such as `ny` or `NJ`.
    /// - Throws: `InputError.invalidState` when it is not a known code.
    public init(parsing text: String) throws {
        let code = text.trimmingWhitespace().uppercased()
        guard Self.allCodes.contains(code) else { throw InputError.invalidState(text) }
        self.code = code
    }

    /// Parses a comma-separated list such as `NY,NJ`; an empty text is the empty set (all states).
    ///
    /// - Throws: `InputError.invalidState` for the first code that is not known.
    public static func parseList(_ text: String) throws -> Set<USState> {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingWhitespace() }
        if parts.allSatisfy(\.isEmpty) { return [] }
        var states = Set<USState>()
        for part in parts {
            states.insert(try USState(parsing: String(part)))
        }
        return states
    }

    /// Joins states in sorted order with commas, the form stored in the database.
    public static func joined(_ states: Set<USState>) -> String {
        states.sorted().map(\.code).joined(separator: ",")
    }

    public static func < (a: USState, b: USState) -> Bool { a.code < b.code }
    public var description: String { code }

    public init(from decoder: any Decoder) throws {
        try self.init(parsing: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(code)
    }
}
