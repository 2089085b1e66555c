public import Foundation

/// Whether a provider takes calls.
public enum ProviderStatus: String, Sendable, Codable, CaseIterable {
    /// Takes calls.
    case active
    /// Takes no pool calls until resumed (by an operator, or after an auto-pause).
    case paused
    /// Soft-deleted: takes no calls, and its history stays.
    case removed
}

/// Per-provider limits. `nil` means no limit. Hourly, daily and monthly caps count offers in the
/// provider's own time zone; the concurrency cap counts offers ringing or connected.
public struct Caps: Sendable, Hashable, Codable {
    public var hourly: Int?
    public var daily: Int?
    public var monthly: Int?
    public var concurrent: Int?

    public init(hourly: Int? = nil, daily: Int? = nil, monthly: Int? = nil, concurrent: Int? = nil) {
        self.hourly = hourly
        self.daily = daily
        self.monthly = monthly
        self.concurrent = concurrent
    }
}

/// A paid advertiser that answers calls.
///
/// A value type whose fields share one immutable box: every route copies each provider several
/// times (into its candidate, through the router, into the decision's record), and a copy then
/// costs one reference count instead of one per name, zone, hours and states. Setting a field
/// gives this value a box of its own, so copies never see each other's changes.
public struct Provider: Sendable, Hashable, Identifiable {
    private var box: Box

    public var id: Int64 {
        get { box.fields.id }
        set { update { $0.id = newValue } }
    }
    public var name: String {
        get { box.fields.name }
        set { update { $0.name = newValue } }
    }
    /// Where offers ring.
    public var phone: PhoneNumber {
        get { box.fields.phone }
        set { update { $0.phone = newValue } }
    }
    /// The zone its hours and caps are judged in.
    public var timeZone: TimeZone {
        get { box.fields.timeZone }
        set { update { $0.timeZone = newValue } }
    }
    public var hours: WeeklyHours {
        get { box.fields.hours }
        set { update { $0.hours = newValue } }
    }
    /// The states it serves; empty means all.
    public var states: Set<USState> {
        get { box.fields.states }
        set { update { $0.states = newValue } }
    }
    /// Its share within its tier, 1...100.
    public var weight: Int {
        get { box.fields.weight }
        set { update { $0.weight = newValue } }
    }
    /// Its tier; tier 1 is offered first.
    public var priority: Int {
        get { box.fields.priority }
        set { update { $0.priority = newValue } }
    }
    public var caps: Caps {
        get { box.fields.caps }
        set { update { $0.caps = newValue } }
    }
    /// Pause after this many unanswered offers in a row; nil means never.
    public var autoPauseAfter: Int? {
        get { box.fields.autoPauseAfter }
        set { update { $0.autoPauseAfter = newValue } }
    }
    /// Where a SIP proxy rings it (`sip:` or `sips:`); nil rings `phone`.
    public var sipURI: String? {
        get { box.fields.sipURI }
        set { update { $0.sipURI = newValue } }
    }
    public var status: ProviderStatus {
        get { box.fields.status }
        set { update { $0.status = newValue } }
    }
    /// Bumped on every change of settings or status; decisions record it, so they can be replayed.
    public var revision: Int {
        get { box.fields.revision }
        set { update { $0.revision = newValue } }
    }
    public var createdAt: Date {
        get { box.fields.createdAt }
        set { update { $0.createdAt = newValue } }
    }
    public var updatedAt: Date {
        get { box.fields.updatedAt }
        set { update { $0.updatedAt = newValue } }
    }

    init(
        id: Int64, name: String, phone: PhoneNumber, timeZone: TimeZone, hours: WeeklyHours, states: Set<USState>,
        weight: Int, priority: Int, caps: Caps, autoPauseAfter: Int? = nil, sipURI: String? = nil,
        status: ProviderStatus,
        revision: Int, createdAt: Date, updatedAt: Date
    ) {
        box = Box(
            Fields(
                id: id, name: name, phone: phone, timeZone: timeZone, hours: hours, states: states, weight: weight,
                priority: priority, caps: caps, autoPauseAfter: autoPauseAfter, sipURI: sipURI, status: status,
                revision: revision, createdAt: createdAt, updatedAt: updatedAt))
    }

    private struct Fields: Sendable, Hashable {
        var id: Int64
        var name: String
        var phone: PhoneNumber
        var timeZone: TimeZone
        var hours: WeeklyHours
        var states: Set<USState>
        var weight: Int
        var priority: Int
        var caps: Caps
        var autoPauseAfter: Int?
        var sipURI: String?
        var status: ProviderStatus
        var revision: Int
        var createdAt: Date
        var updatedAt: Date
    }

    private final class Box: Sendable {
        let fields: Fields
        init(_ fields: Fields) { self.fields = fields }
    }

    /// Settings change rarely (an operator's edit), so each change copies the fields once.
    private mutating func update(_ change: (inout Fields) -> Void) {
        var fields = box.fields
        change(&fields)
        box = Box(fields)
    }

    public static func == (a: Provider, b: Provider) -> Bool { a.box === b.box || a.box.fields == b.box.fields }

    public func hash(into hasher: inout Hasher) { hasher.combine(box.fields) }

    /// Whether it serves a caller from `state`; an unknown caller state is served by everyone.
    public func serves(_ state: USState?) -> Bool {
        guard let state, !states.isEmpty else { return true }
        return states.contains(state)
    }
}

/// The fields of a provider as an operator or a CSV file gives them, each still text.
///
/// `provider add`, `provider update` and `import providers` all go through this one parser, so
/// they accept and refuse exactly the same values with the same messages.
public struct ProviderFields: Sendable {
    /// The field names, as CSV headers and (with `-` for `_`) as CLI flags.
    public static let names = [
        "name", "phone", "tz", "hours", "states", "weight", "priority", "hourly_cap", "daily_cap",
        "monthly_cap", "concurrency", "auto_pause_after", "sip_uri",
    ]

    /// Field name to text; a missing key means "not given".
    public var values: [String: String]

    /// Collects fields, normalizing names (`hourly-cap` and `Hourly_Cap` are `hourly_cap`).
    ///
    /// - Throws: `InputError.unknownField` for a name that is not a provider field.
    public init(_ values: [String: String]) throws {
        var normalized: [String: String] = [:]
        for (key, value) in values {
            let name = Self.normalize(key)
            guard Self.names.contains(name) else { throw InputError.unknownField(key, known: Self.names) }
            normalized[name] = value
        }
        self.values = normalized
    }

    /// A field name in canonical form: lower case, `_` for `-`, no surrounding space.
    public static func normalize(_ name: String) -> String {
        name.trimmingWhitespace().lowercased().replacingOccurrences(of: "-", with: "_")
    }

    /// The validated new provider these fields describe.
    ///
    /// - Parameter defaultTimeZone: the zone for a provider given without `tz`.
    /// - Throws: `InputError` naming the first field that is missing or invalid.
    public func newProvider(defaultTimeZone: TimeZone) throws -> NewProvider {
        let name = try DisplayName.validated(values["name"] ?? "")
        guard let phone = values["phone"], !phone.trimmingWhitespace().isEmpty else { throw InputError.missing(field: "phone") }
        var provider = NewProvider(name: name, phone: try PhoneNumber(parsingBusiness: phone), timeZone: defaultTimeZone)
        try apply(to: &provider, skipping: ["name", "phone"])
        return provider
    }

    /// Applies the fields that are present to an existing provider's settings.
    ///
    /// A cap given as an empty text or `none` is removed.
    ///
    /// - Throws: `InputError` naming the first invalid field.
    public func apply(to provider: inout NewProvider, skipping: Set<String> = []) throws {
        for (key, raw) in values where !skipping.contains(key) {
            let value = raw.trimmingWhitespace()
            switch key {
            case "name": provider.name = try DisplayName.validated(raw)
            case "phone": provider.phone = try PhoneNumber(parsingBusiness: value)
            case "tz": provider.timeZone = try TimeZone(iana: value)
            case "hours": provider.hours = try WeeklyHours(parsing: value)
            case "states": provider.states = try USState.parseList(value)
            case "weight": provider.weight = try Self.integer("weight", value, 1...100)
            case "priority": provider.priority = try Self.integer("priority", value, 1...1000)
            case "hourly_cap": provider.caps.hourly = try Self.cap("hourly_cap", value)
            case "daily_cap": provider.caps.daily = try Self.cap("daily_cap", value)
            case "monthly_cap": provider.caps.monthly = try Self.cap("monthly_cap", value)
            case "concurrency": provider.caps.concurrent = try Self.cap("concurrency", value)
            case "auto_pause_after":
                provider.autoPauseAfter = Self.isNone(value) ? nil : try Self.integer("auto_pause_after", value, 1...1000)
            case "sip_uri": provider.sipURI = Self.isNone(value) ? nil : try Self.sipURI(value)
            default: throw InputError.unknownField(key, known: Self.names)
            }
        }
    }

    /// A SIP URI as a proxy can dial it: `sip:` or `sips:`, a user part and a host, 5-256 bytes of
    /// printable ASCII with no spaces (it is placed in TwiML and SIP headers as given).
    static func sipURI(_ value: String) throws -> String {
        let lower = value.lowercased()
        let ok =
            (lower.hasPrefix("sip:") || lower.hasPrefix("sips:")) && (5...256).contains(value.utf8.count)
            && value.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") && $0 != UInt8(ascii: "\"") }
            && value.split(separator: ":", maxSplits: 1).last.map { !$0.isEmpty } == true
        guard ok else {
            throw InputError.invalidText(
                field: "sip_uri", reason: "it must look like sip:intake@pbx.example.org (sip: or sips:, no spaces, at most 256 bytes)")
        }
        return value
    }

    private static func isNone(_ value: String) -> Bool { value.isEmpty || value.lowercased() == "none" }

    private static func cap(_ field: String, _ value: String) throws -> Int? {
        isNone(value) ? nil : try integer(field, value, 0...10_000_000)
    }

    static func integer(_ field: String, _ value: String, _ range: ClosedRange<Int>) throws -> Int {
        guard !value.isEmpty, value.allSatisfy({ $0.isASCIIDigit || $0 == "-" }), let n = Int(value) else {
            throw InputError.notANumber(field: field, value: value)
        }
        guard range.contains(n) else {
            throw InputError.outOfRange(field: field, value: value, allowed: "\(range.lowerBound)-\(range.upperBound)")
        }
        return n
    }
}

/// A provider's settings, before it has an id.
public struct NewProvider: Sendable, Hashable {
    public var name: String
    public var phone: PhoneNumber
    public var timeZone: TimeZone
    public var hours: WeeklyHours = .alwaysOpen
    public var states: Set<USState> = []
    public var weight: Int = 1
    public var priority: Int = 1
    public var caps = Caps()
    public var autoPauseAfter: Int?
    public var sipURI: String?

    /// A provider open 24/7 in all states with weight 1, tier 1 and no caps.
    public init(name: String, phone: PhoneNumber, timeZone: TimeZone) {
        self.name = name
        self.phone = phone
        self.timeZone = timeZone
    }
}

extension Provider {
    /// This provider's settings, for editing with `ProviderFields.apply(to:)`.
    public var settings: NewProvider {
        var s = NewProvider(name: name, phone: phone, timeZone: timeZone)
        s.hours = hours
        s.states = states
        s.weight = weight
        s.priority = priority
        s.caps = caps
        s.autoPauseAfter = autoPauseAfter
        s.sipURI = sipURI
        return s
    }
}
