/// A North American Numbering Plan number, held in E.164 form (`+1NXXNXXXXXX`).
///
/// Area code and exchange both start with 2-9, and N11 service codes (211, 311, 411, 911, …)
/// are refused in either place: they are not numbers a provider answers on or a caller calls from.
public struct PhoneNumber: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The number in E.164 form, for example `+18009151270`.
    public let e164: String

    /// Parses a number written as E.164 (`+18009151270`), 10 digits (`8009151270`) or
    /// `(800) 915-1270`. Surrounding white space is ignored.
    ///
    /// - Parameter text: the number as typed.
    /// - Throws: `InputError.invalidPhone` naming the value and what is wrong with it.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingWhitespace()
        let digits: Substring
        if let rest = Self.match(trimmed, "+1##########") {
            digits = rest
        } else if let rest = Self.match(trimmed, "##########") {
            digits = rest
        } else if let rest = Self.match(trimmed, "(###) ###-####") {
            digits = rest
        } else {
            throw InputError.invalidPhone(text, reason: "not in an accepted format")
        }
        try self.init(nationalDigits: String(digits), original: text)
    }

    /// Parses a business's number (a provider's phone, a listing's or helpline's number) as
    /// `init(parsing:)` does; an error shows it as typed, since it is not a caller's number.
    ///
    /// - Throws: `InputError.invalidBusinessPhone`.
    public init(parsingBusiness text: String) throws {
        do { try self.init(parsing: text) } catch let error as InputError { throw error.unmasked }
    }

    /// Parses the web form's format, `(###) ###-####`, and nothing else.
    ///
    /// - Parameter text: the number as the form sent it.
    /// - Throws: `InputError.invalidPhone` when the text is in any other shape or is not a valid number.
    public init(parsingFormField text: String) throws {
        guard let digits = Self.match(text, "(###) ###-####") else {
            throw InputError.invalidPhone(text, reason: "the form takes (###) ###-#### only")
        }
        try self.init(nationalDigits: String(digits), original: text)
    }

    /// Reads a number that this library stored; it trusts nothing and validates again.
    init(stored: String) throws {
        try self.init(parsing: stored)
    }

    private init(nationalDigits digits: String, original: String) throws {
        let d = Array(digits.utf8)
        guard d.count == 10 else { throw InputError.invalidPhone(original, reason: "a NANP number has 10 digits") }
        func isN11(_ i: Int) -> Bool { d[i + 1] == UInt8(ascii: "1") && d[i + 2] == UInt8(ascii: "1") }
        guard d[0] >= UInt8(ascii: "2") else {
            throw InputError.invalidPhone(original, reason: "the area code must start with 2-9")
        }
        guard !isN11(0) else {
            throw InputError.invalidPhone(original, reason: "area code \(digits.prefix(3)) is an N11 service code")
        }
        guard d[3] >= UInt8(ascii: "2") else {
            throw InputError.invalidPhone(original, reason: "the exchange must start with 2-9")
        }
        guard !isN11(3) else {
            throw InputError.invalidPhone(original, reason: "exchange \(digits.dropFirst(3).prefix(3)) is an N11 service code")
        }
        e164 = "+1" + digits
    }

    /// The three-digit area code.
    public var areaCode: String { String(e164.dropFirst(2).prefix(3)) }

    /// The number as reports and logs show it: area code and last four digits, `+1800***1270`.
    public var masked: String { Self.mask(e164) }

    /// `(800) 915-1270`.
    public var formatted: String {
        let d = Array(e164.dropFirst(2))
        return "(\(String(d[0..<3]))) \(String(d[3..<6]))-\(String(d[6..<10]))"
    }

    public var description: String { e164 }

    /// Masks any stored E.164 text; text that is not a number is masked whole.
    public static func mask(_ e164: String) -> String {
        guard e164.hasPrefix("+1"), e164.count == 12 else { return "***" }
        return "+1" + e164.dropFirst(2).prefix(3) + "***" + e164.suffix(4)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(parsing: text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(e164)
    }

    /// Matches `text` against a pattern in which `#` is any ASCII digit and every other character
    /// is literal; returns the digits in order, or nil.
    private static func match(_ text: String, _ pattern: String) -> Substring? {
        let t = Array(text.utf8)
        let p = Array(pattern.utf8)
        guard t.count == p.count else { return nil }
        var digits = [UInt8]()
        for (c, want) in zip(t, p) {
            if want == UInt8(ascii: "#") {
                guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
                digits.append(c)
            } else if c != want {
                return nil
            }
        }
        return Substring(decoding: digits, as: UTF8.self)
    }
}

extension StringProtocol {
    /// The string without leading and trailing spaces, tabs and line breaks.
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
