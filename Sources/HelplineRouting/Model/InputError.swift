/// An input value that does not parse or is out of range. Every case names the value.
public enum InputError: HelplineError, Equatable {
    /// A phone number that is not a valid NANP number in an accepted format.
    case invalidPhone(String, reason: String)
    /// A weekly hours spec that does not parse.
    case invalidHours(String, reason: String)
    /// A time zone that is not an IANA zone name.
    case invalidTimeZone(String)
    /// A state code that is not a US state, DC or territory.
    case invalidState(String)
    /// A number outside the range its field allows.
    case outOfRange(field: String, value: String, allowed: String)
    /// A value that should be a whole number and is not.
    case notANumber(field: String, value: String)
    /// A required field that is missing or blank.
    case missing(field: String)
    /// A field name this input does not know.
    case unknownField(String, known: [String])
    /// A date or instant that does not parse.
    case invalidDate(String, expected: String)
    /// A value that is not one of the accepted choices.
    case invalidChoice(field: String, value: String, choices: [String])
    /// Text that is not acceptable (empty, binary, too large).
    case invalidText(field: String, reason: String)
    /// A CSV file that is not acceptable as a whole (empty, no header, duplicate columns).
    case invalidCSV(reason: String)
    /// An event time later than the clock allows: events are recorded when or after they happen.
    case futureTime(String, limitSeconds: Int)
    /// An error in one row of an imported file; nothing from the file was written.
    indirect case inRow(Int, field: String, InputError)
    /// An operator's own number (a provider's phone, a listing's or helpline's number) that is
    /// not valid: shown as typed, since it is not a caller's.
    case invalidBusinessPhone(String, reason: String)

    /// Missing required input is bad usage (64), like a missing option; everything else is bad data.
    public var category: ErrorCategory {
        if case .missing = self { return .usage }
        return .badData
    }

    /// The same error about an operator's number: not masked.
    public var unmasked: InputError {
        if case .invalidPhone(let value, let reason) = self { return .invalidBusinessPhone(value, reason: reason) }
        return self
    }

    public var message: String {
        switch self {
        case .invalidPhone(let value, let reason):
            return "invalid phone number \(Self.quote(Self.maskDigits(value))): \(reason)"
        case .invalidBusinessPhone(let value, let reason):
            return "invalid phone number \(Self.quote(value)): \(reason)"
        case .invalidHours(let value, let reason):
            return "invalid hours \(Self.quote(value)): \(reason)"
        case .invalidTimeZone(let value):
            return "unknown time zone \(Self.quote(value))"
        case .invalidState(let value):
            return "unknown US state code \(Self.quote(value))"
        case .outOfRange(let field, let value, let allowed):
            return "\(field) \(Self.quote(value)) is out of range (\(allowed))"
        case .notANumber(let field, let value):
            return "\(field) \(Self.quote(value)) is not a whole number"
        case .missing(let field):
            return "\(field) is required"
        case .unknownField(let field, _):
            return "unknown field \(Self.quote(field))"
        case .invalidDate(let value, let expected):
            return "invalid date \(Self.quote(value)): expected \(expected)"
        case .invalidChoice(let field, let value, let choices):
            return "\(field) \(Self.quote(value)) is not one of \(choices.joined(separator: ", "))"
        case .invalidText(let field, let reason):
            return "\(field): \(reason)"
        case .invalidCSV(let reason):
            return "invalid CSV: \(reason)"
        case .futureTime(let value, let limit):
            return "the time \(Self.quote(value)) is more than \(limit / 60) minutes in the future"
        case .inRow(let row, let field, let error):
            return "row \(row), field \(field): \(error.message); nothing was imported"
        }
    }

    public var hint: String? {
        switch self {
        case .invalidPhone(_, let reason) where reason.hasPrefix("the form takes"):
            return "type it exactly as (212) 555-0142: parentheses, a space and a dash"
        case .invalidPhone, .invalidBusinessPhone:
            return "use E.164 (+18009151270), 10 digits (8009151270) or (800) 915-1270; area code and exchange start with 2-9 and are not N11"
        case .invalidHours:
            return "examples: 24/7, 'mon-fri 08:00-20:00', 'mon-fri 08:00-12:00,13:00-17:00; sat 10:00-14:00', 'fri 22:00-02:00'"
        case .invalidTimeZone:
            return "use an IANA zone name such as America/New_York or America/Denver"
        case .invalidState:
            return "use a two-letter USPS code such as NY, NJ or DC"
        case .missing(let field):
            return "give --\(field.replacingOccurrences(of: "_", with: "-")) (see the command's --help)"
        case .outOfRange, .notANumber, .invalidChoice:
            return nil
        case .unknownField(_, let known):
            return "known fields: \(known.joined(separator: ", "))"
        case .invalidDate:
            return "example: 2026-11-25T14:03:00-05:00 for an instant, 2026-11-25 for a day"
        case .invalidText, .invalidCSV:
            return nil
        case .futureTime:
            return "an event is recorded when it happens or later (--at backfills the past); check --at and the machine's clock"
        case .inRow(_, _, let error):
            return error.hint
        }
    }

    /// Masks the middle digits of something that may be a caller's number, as reports do: the
    /// first four and the last four digits stay, so an operator can still tell which input it was.
    /// Masks a phone-like value by the same rule reports use (`PhoneNumber.masked`): the
    /// exchange, the 3 digits after the area code, is hidden. Values with fewer than 10 digits
    /// are shown as typed; longer ones hide all but their first 4 and last 4 digits.
    static func maskDigits(_ value: String) -> String {
        let digitCount = value.unicodeScalars.filter { $0.properties.numericType != nil }.count
        guard digitCount >= 10 else { return value }
        // 10 digits: area code (3) shown; 11 with a leading country code: 4 shown.
        let shownFirst = digitCount == 10 ? 3 : 4
        var seen = 0
        var out = ""
        for scalar in value.unicodeScalars {
            if scalar.properties.numericType != nil {
                seen += 1
                out += seen <= shownFirst || seen > digitCount - 4 ? String(scalar) : "*"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func quote(_ value: String) -> String {
        var shown = ""
        for scalar in value.unicodeScalars.prefix(80) {
            if scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}" {
                shown += scalar.escaped(asASCII: true)
            } else {
                shown.unicodeScalars.append(scalar)
            }
        }
        if value.unicodeScalars.count > 80 { shown += "…" }
        return "'\(shown)'"
    }
}
