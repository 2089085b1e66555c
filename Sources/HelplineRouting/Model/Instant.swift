public import Foundation

/// Parsing and printing of instants as ISO 8601 with an offset, the form the CLI and JSON use.
public enum Instant {
    /// Parses `2026-11-25T14:03:00-05:00`, `2026-11-25T19:03:00Z`, or with fractional seconds.
    ///
    /// An instant without an offset is refused: a wall time alone is ambiguous on DST days.
    ///
    /// - Throws: `InputError.invalidDate`.
    public static func parse(_ text: String) throws -> Date {
        // Parsed by hand: the platform's ISO 8601 formatter loads ICU's date formatting, which
        // costs a one-shot CLI process milliseconds, and is lenient in ways an API shouldn't be.
        let bytes = Array(text.trimmingWhitespace().utf8)
        func fail() -> InputError {
            InputError.invalidDate(text, expected: "an ISO 8601 instant with an offset, such as 2026-11-25T14:03:00-05:00")
        }
        var i = 0
        func digits(_ n: Int) throws -> Int {
            guard i + n <= bytes.count else { throw fail() }
            var v = 0
            for _ in 0..<n {
                let c = bytes[i]
                guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { throw fail() }
                v = v * 10 + Int(c - UInt8(ascii: "0"))
                i += 1
            }
            return v
        }
        func expect(_ c: Character) throws {
            guard i < bytes.count, bytes[i] == c.asciiValue else { throw fail() }
            i += 1
        }
        guard bytes.count <= 40 else { throw fail() }
        let year = try digits(4)
        try expect("-")
        let month = try digits(2)
        try expect("-")
        let day = try digits(2)
        guard i < bytes.count, bytes[i] == UInt8(ascii: "T") || bytes[i] == UInt8(ascii: "t") else { throw fail() }
        i += 1
        let hour = try digits(2)
        try expect(":")
        let minute = try digits(2)
        try expect(":")
        let second = try digits(2)
        var fraction = 0.0
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1
            var count = 0
            while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") {
                fraction += Double(bytes[i] - UInt8(ascii: "0")) * scale
                scale /= 10
                i += 1
                count += 1
            }
            guard count > 0, count <= 9 else { throw fail() }
        }
        guard i < bytes.count else { throw fail() }
        var offset = 0
        switch bytes[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            i += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign = bytes[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            let oh = try digits(2)
            try expect(":")
            let om = try digits(2)
            guard oh <= 18, om < 60 else { throw fail() }
            offset = sign * (oh * 3600 + om * 60)
        default:
            throw fail()
        }
        guard i == bytes.count, (1...12).contains(month), hour < 24, minute < 60, second < 60, year >= 1970 else { throw fail() }
        let days = CivilTime.daysFromCivil(year: year, month: month, day: day)
        let check = CivilTime(localSeconds: days * 86_400)
        guard check.year == year, check.month == month, check.day == day else { throw fail() }
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// Formats an instant as ISO 8601 with the offset of `zone` at that instant (`Z` for zero).
    public static func format(_ date: Date, in zone: TimeZone) -> String {
        let offset = ZoneOffsets.secondsFromGMT(for: date, in: zone)
        let whole = Int(date.timeIntervalSince1970.rounded(.down))
        let local = CivilTime(localSeconds: whole + offset)
        let second = ((whole + offset) % 60 + 60) % 60
        var out = local.dateString + "T" + String(format: "%02d:%02d:%02d", local.hour, local.minute, second)
        if offset == 0 {
            out += "Z"
        } else {
            let magnitude = abs(offset)
            out += (offset < 0 ? "-" : "+") + String(format: "%02d:%02d", magnitude / 3600, (magnitude % 3600) / 60)
        }
        return out
    }
}

/// A calendar day, as reports and purges name it (`2026-11-25`).
public struct LocalDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Parses `YYYY-MM-DD`, refusing days that don't exist (`2026-02-30`).
    ///
    /// - Throws: `InputError.invalidDate`.
    public init(parsing text: String) throws {
        let t = text.trimmingWhitespace()
        let parts = t.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) }),
            let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]), (1...12).contains(m), y >= 1970
        else { throw InputError.invalidDate(text, expected: "YYYY-MM-DD") }
        let days = CivilTime.daysFromCivil(year: y, month: m, day: d)
        let back = CivilTime(localSeconds: days * 86_400)
        guard back.year == y, back.month == m, back.day == d else {
            throw InputError.invalidDate(text, expected: "a day that exists, as YYYY-MM-DD")
        }
        (year, month, day) = (y, m, d)
    }

    /// The local date of an instant in a zone.
    public init(_ instant: Date, in zone: TimeZone) {
        let c = CivilTime(instant, in: zone)
        (year, month, day) = (c.year, c.month, c.day)
    }

    init(daysSinceEpoch days: Int) {
        let c = CivilTime(localSeconds: days * 86_400)
        (year, month, day) = (c.year, c.month, c.day)
    }

    var daysSinceEpoch: Int { CivilTime.daysFromCivil(year: year, month: month, day: day) }

    /// The day before.
    public var previous: LocalDate { LocalDate(daysSinceEpoch: daysSinceEpoch - 1) }
    /// The day after.
    public var next: LocalDate { LocalDate(daysSinceEpoch: daysSinceEpoch + 1) }

    /// The first instant of this day in `zone` (local midnight, or the first minute after a DST gap).
    public func start(in zone: TimeZone) -> Date {
        // Local midnight as if UTC, corrected by the zone's offset there; a second pass settles
        // the offset when midnight falls on a transition.
        let local = Double(daysSinceEpoch * 86_400)
        var guess = Date(timeIntervalSince1970: local - Double(zone.secondsFromGMT(for: Date(timeIntervalSince1970: local))))
        guess = Date(timeIntervalSince1970: local - Double(zone.secondsFromGMT(for: guess)))
        return guess
    }

    public static func < (a: LocalDate, b: LocalDate) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }
    public var description: String { String(format: "%04d-%02d-%02d", year, month, day) }
}

extension LocalDate {
    /// Parses `YYYY-MM-DD`, `today` or `yesterday`, the last two resolved in `zone` at `now`.
    ///
    /// - Throws: `InputError.invalidDate`.
    public init(resolving text: String, in zone: TimeZone, now: Date) throws {
        switch text.trimmingWhitespace().lowercased() {
        case "today": self = LocalDate(now, in: zone)
        case "yesterday": self = LocalDate(now, in: zone).previous
        default: try self.init(parsing: text)
        }
    }
}
