/// When a provider answers, as blocks of wall-clock time in a week, judged in the provider's zone.
///
/// The spec is `24/7`, or groups separated by `;`, each a day list and a list of blocks:
/// `mon-fri 08:00-12:00,13:00-17:00; sat 10:00-14:00`. Days are `mon` … `sun`, ranges (`mon-fri`,
/// `fri-mon`), lists (`mon,wed`) or `daily`. A block whose end is not after its start crosses
/// midnight: `fri 22:00-02:00` runs from Friday 22:00 to Saturday 02:00. `24:00` ends a day.
public struct WeeklyHours: Sendable, Hashable, CustomStringConvertible {
    /// A half-open span of minutes since Monday 00:00. `end` may pass the end of the week
    /// (Sunday 22:00-02:00), in which case the span continues into Monday.
    public struct Span: Sendable, Hashable {
        public let start: Int
        public let end: Int
    }

    /// The open spans; empty with `isAlwaysOpen` for 24/7.
    public let spans: [Span]
    /// True for `24/7`.
    public let isAlwaysOpen: Bool
    /// The spec in canonical form, the form stored and shown.
    public let spec: String

    static let minutesPerWeek = 7 * 1440
    private static let dayNames = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    /// The day names' three bytes as one number each, for `parseCanonical`.
    private static let dayKeys: [UInt32] = dayNames.map { name in name.utf8.reduce(0) { $0 << 8 | UInt32($1) } }

    /// Open at every minute of the week.
    public static let alwaysOpen = WeeklyHours(spans: [], isAlwaysOpen: true, spec: "24/7")

    private init(spans: [Span], isAlwaysOpen: Bool, spec: String) {
        self.spans = spans
        self.isAlwaysOpen = isAlwaysOpen
        self.spec = spec
    }

    /// Parses a weekly hours spec.
    ///
    /// - Parameter text: the spec, for example `mon-fri 08:00-20:00; sat 10:00-14:00`.
    /// - Throws: `InputError.invalidHours` naming the part that does not parse.
    public init(parsing text: String) throws {
        if let canonical = Self.parseCanonical(text) {
            self = canonical
        } else {
            try self.init(parsingAnyForm: text)
        }
    }

    /// The general parser: any letter case and spacing, and a message for what is wrong.
    init(parsingAnyForm text: String) throws {
        let trimmed = text.trimmingWhitespace().lowercased()
        func fail(_ reason: String) -> InputError { .invalidHours(text, reason: reason) }
        if trimmed == "24/7" {
            self = .alwaysOpen
            return
        }
        guard !trimmed.isEmpty else { throw fail("it is empty") }
        guard trimmed.utf8.count <= 1000 else { throw fail("it is longer than 1000 characters") }
        var spans: [Span] = []
        var canonicalGroups: [String] = []
        for rawGroup in trimmed.split(separator: ";", omittingEmptySubsequences: false) {
            let group = rawGroup.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard !group.isEmpty else { throw fail("there is an empty group between semicolons") }
            guard group.count >= 2 else {
                throw fail("'\(String(rawGroup).trimmingWhitespace())' needs days and times, like 'mon-fri 08:00-20:00'")
            }
            let dayText = String(group[0])
            let days = try Self.parseDays(dayText, fail)
            // Blocks may be written "08:00-12:00,13:00-17:00" or with spaces after commas.
            let blockTexts = group.dropFirst().joined().split(separator: ",", omittingEmptySubsequences: false)
            var canonicalBlocks: [String] = []
            for blockText in blockTexts {
                let (start, end) = try Self.parseBlock(String(blockText), fail)
                let length = end > start ? end - start : end + 1440 - start
                for day in days {
                    spans.append(Span(start: day * 1440 + start, end: day * 1440 + start + length))
                }
                canonicalBlocks.append(Self.clock(start) + "-" + Self.clock(end))
            }
            canonicalGroups.append(dayText + " " + canonicalBlocks.joined(separator: ","))
        }
        self.init(
            spans: spans.sorted { ($0.start, $0.end) < ($1.start, $1.end) }, isAlwaysOpen: false,
            spec: canonicalGroups.joined(separator: "; "))
    }

    /// Whether the provider is open at a wall-clock reading in its own zone.
    public func isOpen(at time: CivilTime) -> Bool {
        isOpen(minuteOfWeek: time.minuteOfWeek)
    }

    /// Whether a minute since Monday 00:00 falls in an open span, including spans that carry
    /// over from Sunday night into Monday.
    public func isOpen(minuteOfWeek m: Int) -> Bool {
        if isAlwaysOpen { return true }
        let wrapped = m + Self.minutesPerWeek
        for span in spans where (span.start <= m && m < span.end) || (span.start <= wrapped && wrapped < span.end) {
            return true
        }
        return false
    }

    public var description: String { spec }

    private static func parseDays(_ text: String, _ fail: (String) -> InputError) throws -> [Int] {
        if text == "daily" { return Array(0..<7) }
        var days: [Int] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let ends = item.split(separator: "-", omittingEmptySubsequences: false)
            func day(_ name: Substring) throws -> Int {
                guard let index = dayNames.firstIndex(of: String(name)) else {
                    throw fail("'\(name)' is not a day; use mon, tue, wed, thu, fri, sat, sun or daily")
                }
                return index
            }
            switch ends.count {
            case 1:
                days.append(try day(ends[0]))
            case 2:
                let first = try day(ends[0])
                let last = try day(ends[1])
                var d = first
                while true {
                    days.append(d)
                    if d == last { break }
                    d = (d + 1) % 7
                }
            default:
                throw fail("'\(item)' is not a day or a range of days")
            }
        }
        guard Set(days).count == days.count else { throw fail("'\(text)' names a day twice") }
        return days
    }

    /// Parses `HH:MM-HH:MM` into minutes of the day; an end of 24:00 is 1440.
    private static func parseBlock(_ text: String, _ fail: (String) -> InputError) throws -> (Int, Int) {
        let ends = text.split(separator: "-", omittingEmptySubsequences: false)
        guard ends.count == 2 else { throw fail("'\(text)' is not a block like 08:00-20:00") }
        func minutes(_ s: Substring, allow24: Bool) throws -> Int {
            let parts = s.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0].count == 2, parts[1].count == 2,
                parts[0].allSatisfy(\.isASCIIDigit), parts[1].allSatisfy(\.isASCIIDigit),
                let h = Int(parts[0]), let m = Int(parts[1])
            else { throw fail("'\(s)' is not a time like 08:00") }
            guard m < 60, h < 24 || (allow24 && h == 24 && m == 0) else {
                throw fail("'\(s)' is not a time of day")
            }
            return h * 60 + m
        }
        let start = try minutes(ends[0], allow24: false)
        let end = try minutes(ends[1], allow24: true)
        guard start != end else { throw fail("block '\(text)' starts and ends at the same time; use 24/7 or 00:00-24:00") }
        return (start, end)
    }

    /// Parses a spec already in canonical form (as `spec` writes it, and as it is stored) with
    /// no string splitting: every process parses every provider's hours on its first call. Returns
    /// nil for anything else, which the general parser then reads and judges.
    static func parseCanonical(_ text: String) -> WeeklyHours? {
        if text == "24/7" { return .alwaysOpen }
        var text = text
        return text.withUTF8 { b -> WeeklyHours? in
            let n = b.count
            guard n > 0, n <= 1000 else { return nil }
            var spans: [Span] = []
            var i = 0
            func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
            func day(at j: Int) -> Int? {
                guard j + 3 <= n else { return nil }
                let key = UInt32(b[j]) << 16 | UInt32(b[j + 1]) << 8 | UInt32(b[j + 2])
                return dayKeys.firstIndex(of: key)
            }
            func clock(at j: Int, allow24: Bool) -> Int? {
                guard j + 5 <= n, isDigit(b[j]), isDigit(b[j + 1]), b[j + 2] == UInt8(ascii: ":"), isDigit(b[j + 3]), isDigit(b[j + 4])
                else { return nil }
                let h = Int(b[j] - 0x30) * 10 + Int(b[j + 1] - 0x30)
                let m = Int(b[j + 3] - 0x30) * 10 + Int(b[j + 4] - 0x30)
                guard m < 60, h < 24 || (allow24 && h == 24 && m == 0) else { return nil }
                return h * 60 + m
            }
            while true {
                // Days: `daily`, or items `ddd` / `ddd-ddd` separated by commas, then one space.
                var days: [Int] = []
                var seen = 0
                if n - i >= 6, Array(b[i..<i + 5]) == Array("daily".utf8) {
                    days = Array(0..<7)
                    i += 5
                } else {
                    while true {
                        guard let first = day(at: i) else { return nil }
                        i += 3
                        var last = first
                        if i < n, b[i] == UInt8(ascii: "-") {
                            guard let end = day(at: i + 1) else { return nil }
                            last = end
                            i += 4
                        }
                        var d = first
                        while true {
                            guard seen & (1 << d) == 0 else { return nil }
                            seen |= 1 << d
                            days.append(d)
                            if d == last { break }
                            d = (d + 1) % 7
                        }
                        guard i < n, b[i] == UInt8(ascii: ",") else { break }
                        i += 1
                    }
                }
                guard i < n, b[i] == UInt8(ascii: " ") else { return nil }
                i += 1
                // Blocks: `HH:MM-HH:MM` separated by commas.
                while true {
                    guard let start = clock(at: i, allow24: false), i + 5 < n, b[i + 5] == UInt8(ascii: "-"),
                        let end = clock(at: i + 6, allow24: true), start != end
                    else { return nil }
                    i += 11
                    let length = end > start ? end - start : end + 1440 - start
                    for d in days { spans.append(Span(start: d * 1440 + start, end: d * 1440 + start + length)) }
                    guard i < n, b[i] == UInt8(ascii: ",") else { break }
                    i += 1
                }
                if i == n { break }
                // The next group: `; ` between groups, exactly.
                guard n - i > 2, b[i] == UInt8(ascii: ";"), b[i + 1] == UInt8(ascii: " ") else { return nil }
                i += 2
            }
            return WeeklyHours(
                spans: spans.sorted { ($0.start, $0.end) < ($1.start, $1.end) }, isAlwaysOpen: false, spec: String(decoding: b, as: UTF8.self))
        }
    }

    private static func clock(_ minutes: Int) -> String {
        let h = minutes / 60, m = minutes % 60
        return (h < 10 ? "0" : "") + String(h) + ":" + (m < 10 ? "0" : "") + String(m)
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
