import Foundation

/// Who called, as telephony reported it. Every caller is routed and logged; only a North
/// American number can be called back, has a state, or is recognized as a repeat caller.
public enum CallerID: Sendable, Hashable {
    /// A North American number.
    case number(PhoneNumber)
    /// A valid E.164 number outside the +1 zone, such as `+447911123456`.
    case international(String)
    /// Anonymous, private, blocked, or something that is not a number at all (telephony sends
    /// `anonymous`, `restricted`, an empty field, or `+266696687` for a withheld number).
    case withheld

    /// Reads a caller field; it never fails, since a call must be routed whoever placed it.
    ///
    /// - Parameter text: the caller as telephony sent it.
    public init(parsing text: String) {
        if let number = try? PhoneNumber(parsing: text) {
            self = .number(number)
            return
        }
        let trimmed = text.trimmingWhitespace()
        // E.164: a +, then 8 to 15 digits not starting with 0; +1 is North America, handled above.
        let digits = trimmed.utf8.dropFirst()
        if trimmed.hasPrefix("+"), (8...15).contains(digits.count), digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            digits.first != UInt8(ascii: "0"), digits.first != UInt8(ascii: "1"), trimmed != Self.withheldMarker
        {
            self = .international(trimmed)
            return
        }
        self = .withheld
    }

    /// The number telephony sends in place of a withheld caller ID (Lesotho's +266 696687).
    public static let withheldMarker = "+266696687"

    /// The stored kind: `number`, `international` or `withheld`.
    public var kind: String {
        switch self {
        case .number: return "number"
        case .international: return "international"
        case .withheld: return "withheld"
        }
    }

    /// The North American number, when there is one: what a callback or a repeat lookup needs.
    public var northAmerican: PhoneNumber? {
        if case .number(let number) = self { return number }
        return nil
    }

    /// The number as stored in `calls.caller`: E.164, or empty when withheld.
    public var stored: String {
        switch self {
        case .number(let number): return number.e164
        case .international(let e164): return e164
        case .withheld: return ""
        }
    }

    /// How reports and logs show it.
    public var masked: String {
        switch self {
        case .number(let number): return number.masked
        case .international(let e164): return String(e164.prefix(4)) + "***" + String(e164.suffix(2))
        case .withheld: return "withheld"
        }
    }
}
