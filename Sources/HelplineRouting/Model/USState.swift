/// A two-letter code for a US state, DC, a territory with NANP numbers, or a Canadian province
/// or territory (Canada shares the NANP; a provider's state list that names only US states
/// does not serve a Canadian caller).
public struct USState: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The upper-case code, for example `NY`.
    public let code: String

    /// Every accepted code: the 50 states, DC, and the territories in the NANP.
    public static let allCodes: Set<String> = [
        "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS",
        "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY",
        "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV",
        "WI", "WY", "DC", "PR", "VI", "GU", "AS", "MP",
        "AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT",
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

    /// Whether each pair of upper-case letters (AA = 0 … ZZ = 675) is a known code.
    private static let knownPairs: [Bool] = {
        var table = [Bool](repeating: false, count: 26 * 26)
        for code in allCodes {
            let u = Array(code.utf8)
            table[Int(u[0] - 0x41) * 26 + Int(u[1] - 0x41)] = true
        }
        return table
    }()

    /// A code from a table in this module; a test checks every one of them is known.
    init(knownCode: String) { code = knownCode }

    /// Parses a comma-separated list such as `NY,NJ`; an empty text is the empty set (all states).
    ///
    /// - Throws: `InputError.invalidState` for the first code that is not known.
    public static func parseList(_ text: String) throws -> Set<USState> {
        if let stored = parseStoredList(text) { return stored }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingWhitespace() }
        if parts.allSatisfy(\.isEmpty) { return [] }
        var states = Set<USState>()
        for part in parts {
            states.insert(try USState(parsing: String(part)))
        }
        return states
    }

    /// Reads a list in the stored form (`joined`: upper-case codes and commas, nothing else)
    /// without case mapping, which costs more than the rest: every process reads every
    /// provider's states. Returns nil for any other form, which `parseList` then reads and judges.
    static func parseStoredList(_ text: String) -> Set<USState>? {
        if text.isEmpty { return [] }
        var states = Set<USState>()
        var utf8 = text.utf8[...]
        while true {
            guard utf8.count >= 2 else { return nil }
            let first = utf8[utf8.startIndex]
            let second = utf8[utf8.index(after: utf8.startIndex)]
            guard first >= 0x41, first <= 0x5A, second >= 0x41, second <= 0x5A, knownPairs[Int(first - 0x41) * 26 + Int(second - 0x41)]
            else { return nil }
            let code = String(decoding: utf8.prefix(2), as: UTF8.self)
            states.insert(USState(knownCode: code))
            utf8 = utf8.dropFirst(2)
            if utf8.isEmpty { return states }
            guard utf8.first == UInt8(ascii: ","), utf8.count > 1 else { return nil }
            utf8 = utf8.dropFirst()
        }
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
