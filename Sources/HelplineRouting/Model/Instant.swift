import Foundation

/// Parsing and printing of instants as ISO 8601 with an offset, the form the CLI and JSON use.
public enum Instant {
    /// Parses `2026-11-25T14:03:00-05:00`, `2026-11-25T19:03:00Z`, or with fractional seconds.
    ///
    /// An instant without an offset is refused: a wall time alone is ambiguous on DST days.
    ///
    /// - Throws: `InputError.invalidDate`.
    public static func parse(_ text: String) throws -> Date {
        let t = text.trimmingWhitespace()
        // Only ASCII; the formatter is lenient about some characters that should be refused.
        guard t.utf8.count <= 40, t.allSatisfy(\.isASCII) else {
            throw InputError.invalidDate(text, expected: "an ISO 8601 instant with an offset")
        }
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let date = plain.date(from: t) ?? fractional.date(from: t) else {
            throw InputError.invalidDate(text, expected: "an ISO 8601 instant with an offset, such as 2026-11-25T14:03:00-05:00")
        }
        return date
    }

    /// Formats an instant as ISO 8601 with the offset of `zone` at that instant.
    public static func format(_ date: Date, in zone: TimeZone) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        f.timeZone = zone
        return f.string(from: date)
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
