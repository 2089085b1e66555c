public import Foundation

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
        // Asking for the one zone is far cheaper than listing them all; the name must come back
        // exactly as given, so aliases in another case or form are refused too.
        guard trimmed == "UTC" || trimmed.contains("/"), trimmed.utf8.count <= 64,
            let zone = TimeZone(identifier: trimmed), zone.identifier == trimmed || trimmed == "UTC"
        else {
            throw InputError.invalidTimeZone(name)
        }
        self = zone
    }
}
