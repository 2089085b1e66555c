import Foundation

extension TimeZone {
    /// Parses an IANA zone name such as `America/New_York`.
    ///
    /// Abbreviations and offsets (`EST`, `GMT-5`) are refused: they carry no DST rules, and a
    /// provider's hours and caps must follow its local clock through DST changes.
    ///
    /// - Parameter name: the zone name, case-sensitive as in the tz database.
    /// - Throws: `InputError.invalidTimeZone` when it is not a known IANA name.
    public init(iana name: String) throws {
        let trimmed = name.trimmingWhitespace()
        guard trimmed == "UTC" || (trimmed.contains("/") && Self.knownIdentifiers.contains(trimmed)),
            let zone = TimeZone(identifier: trimmed)
        else {
            throw InputError.invalidTimeZone(name)
        }
        self = zone
    }

    private static let knownIdentifiers = Set(TimeZone.knownTimeZoneIdentifiers)
}
