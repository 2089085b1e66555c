public import Foundation

/// A wall-clock reading of an instant in a named zone: the fields hours and caps are judged by.
///
/// It is computed with integer arithmetic from the zone's offset at that instant, so it is exact
/// on DST days (a wall time that repeats maps to the right instant) and cheap on the routing path.
public struct CivilTime: Sendable, Hashable, CustomStringConvertible {
    public let year: Int
    /// 1...12
    public let month: Int
    /// 1...31
    public let day: Int
    /// 0...23
    public let hour: Int
    /// 0...59
    public let minute: Int
    /// 0 = Monday ... 6 = Sunday.
    public let weekday: Int

    /// Reads `instant` on the wall clocks of `zone`.
    public init(_ instant: Date, in zone: TimeZone) {
        let seconds = Int(floor(instant.timeIntervalSince1970)) + ZoneOffsets.secondsFromGMT(for: instant, in: zone)
        self.init(localSeconds: seconds)
    }

    /// Reads a count of local seconds since 1970-01-01 00:00 local.
    init(localSeconds: Int) {
        let days = Self.floorDiv(localSeconds, 86_400)
        let secondOfDay = localSeconds - days * 86_400
        hour = secondOfDay / 3600
        minute = (secondOfDay % 3600) / 60
        // 1970-01-01 was a Thursday (3 when Monday is 0).
        weekday = ((days % 7) + 7 + 3) % 7
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = Self.floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = doy - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    }

    /// Minutes since Monday 00:00, the coordinate that weekly hours use.
    public var minuteOfWeek: Int { weekday * 1440 + hour * 60 + minute }

    /// A key for the local hour, for example 2026112514.
    public var hourKey: Int { dayKey * 100 + hour }
    /// A key for the local day, for example 20261125.
    public var dayKey: Int { monthKey * 100 + day }
    /// A key for the local month, for example 202611.
    public var monthKey: Int { year * 100 + month }

    /// `2026-11-25`.
    public var dateString: String {
        String(format: "%04d-%02d-%02d", year, month, day)
    }

    public var description: String { dateString + String(format: " %02d:%02d", hour, minute) }

    static func floorDiv(_ a: Int, _ b: Int) -> Int {
        a >= 0 ? a / b : -((-a + b - 1) / b)
    }

    /// Days since 1970-01-01 for a proleptic Gregorian date (Hinnant's days_from_civil).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}

/// A zone's UTC offset, remembered for the span between two DST transitions: asking the zone is
/// the costly part of reading a wall clock, and routing reads one per candidate per call.
enum ZoneOffsets {
    private struct Span {
        let from: Double
        let until: Double
        let offset: Int
    }

    private static let cache = Locked<[String: Span]>([:])

    static func secondsFromGMT(for instant: Date, in zone: TimeZone) -> Int {
        let t = instant.timeIntervalSince1970
        let id = zone.identifier
        if let span = cache.withLock({ $0[id] }), span.from <= t, t < span.until { return span.offset }
        let offset = zone.secondsFromGMT(for: instant)
        // The offset holds from this instant until the next transition (or for a day when the
        // zone can't say, which keeps an unknown rule from being trusted for long).
        let until = zone.nextDaylightSavingTimeTransition(after: instant)?.timeIntervalSince1970 ?? (t + 86_400)
        cache.withLock { $0[id] = Span(from: t, until: until, offset: offset) }
        return offset
    }
}
