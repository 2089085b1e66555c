public import Foundation

// The JSON forms of the model: snake_case keys, phone numbers in E.164, instants as ISO 8601
// with an offset (the encoder's date strategy). These are part of the CLI contract.

extension Provider: Encodable {
    enum CodingKeys: String, CodingKey {
        case id, name, phone, timeZone = "time_zone", hours, states, weight, priority, hourlyCap = "hourly_cap"
        case dailyCap = "daily_cap", monthlyCap = "monthly_cap", concurrency, autoPauseAfter = "auto_pause_after"
        case status, createdAt = "created_at", updatedAt = "updated_at", sipURI = "sip_uri"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(phone, forKey: .phone)
        try c.encode(sipURI, forKey: .sipURI)
        try c.encode(timeZone.identifier, forKey: .timeZone)
        try c.encode(hours.spec, forKey: .hours)
        try c.encode(states.sorted().map(\.code), forKey: .states)
        try c.encode(weight, forKey: .weight)
        try c.encode(priority, forKey: .priority)
        try c.encode(caps.hourly, forKey: .hourlyCap)
        try c.encode(caps.daily, forKey: .dailyCap)
        try c.encode(caps.monthly, forKey: .monthlyCap)
        try c.encode(caps.concurrent, forKey: .concurrency)
        try c.encode(autoPauseAfter, forKey: .autoPauseAfter)
        try c.encode(status.rawValue, forKey: .status)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
    }
}

extension Listing: Encodable {
    enum CodingKeys: String, CodingKey {
        case id, name, number, providerID = "provider_id", createdAt = "created_at", removedAt = "removed_at"
        case ringTimeoutSeconds = "ring_timeout_seconds"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(number, forKey: .number)
        try c.encode(providerID, forKey: .providerID)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(removedAt, forKey: .removedAt)
        try c.encode(ringTimeoutSeconds, forKey: .ringTimeoutSeconds)
    }
}

extension HelplineNumber: Encodable {
    enum CodingKeys: String, CodingKey {
        case id, number, name, strategy, members, allProviders = "all_providers", repeatWindowDays = "repeat_window_days"
        case ringTimeoutSeconds = "ring_timeout_seconds", maxAttempts = "max_attempts", createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(number, forKey: .number)
        try c.encode(name, forKey: .name)
        try c.encode(strategy.rawValue, forKey: .strategy)
        try c.encode(members == nil, forKey: .allProviders)
        try c.encode(members, forKey: .members)
        try c.encode(repeatWindowDays, forKey: .repeatWindowDays)
        try c.encode(ringTimeoutSeconds, forKey: .ringTimeoutSeconds)
        try c.encode(maxAttempts, forKey: .maxAttempts)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
    }
}

extension TermsVersion: Encodable {
    enum CodingKeys: String, CodingKey {
        case version, sha256, effectiveAt = "effective_at", publishedAt = "published_at", text
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(version, forKey: .version)
        try c.encode(sha256, forKey: .sha256)
        try c.encode(effectiveAt, forKey: .effectiveAt)
        try c.encode(publishedAt, forKey: .publishedAt)
        try c.encode(text, forKey: .text)
    }
}

extension MigrationStatus: Encodable {
    enum CodingKeys: String, CodingKey { case schemaVersion = "schema_version", codeVersion = "code_version", migrations }
    enum EntryKeys: String, CodingKey { case version, name, sha256, appliedAt = "applied_at", state }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(schemaVersion, forKey: .schemaVersion)
        try c.encode(Migration.codeVersion, forKey: .codeVersion)
        var list = c.nestedUnkeyedContainer(forKey: .migrations)
        for e in entries {
            var item = list.nestedContainer(keyedBy: EntryKeys.self)
            try item.encode(e.version, forKey: .version)
            try item.encode(e.name, forKey: .name)
            try item.encode(e.sha256, forKey: .sha256)
            try item.encode(e.appliedAt, forKey: .appliedAt)
            try item.encode(e.appliedAt == nil ? "pending" : "applied", forKey: .state)
        }
    }
}

/// Encodes values as the CLI's and services' JSON: sorted keys, pretty, and instants in ISO 8601
/// with the offset of `zone`.
public struct JSONOutput: Sendable {
    public let zone: TimeZone
    /// Indented for people (the CLI), or on one line for programs (HTTP answers).
    public let pretty: Bool

    /// - Parameters:
    ///   - zone: the zone whose offsets instants are printed with.
    ///   - pretty: indent the output (the default); false writes one line.
    public init(zone: TimeZone, pretty: Bool = true) {
        self.zone = zone
        self.pretty = pretty
    }

    /// The JSON text of `value`.
    ///
    /// - Throws: `EncodingError` only for values that can't be JSON (a NaN), which this model avoids.
    public func string(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        let zone = self.zone
        encoder.dateEncodingStrategy = .custom { date, enc in
            var c = enc.singleValueContainer()
            try c.encode(Instant.format(date, in: zone))
        }
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
