public import Foundation
import GRDB

/// One published version of the terms of use. Immutable once published: it is what callers agreed to.
public struct TermsVersion: Sendable, Hashable {
    /// 1, 2, 3… in publication order.
    public var version: Int
    /// The full text.
    public var text: String
    /// Lowercase hex SHA-256 of `text` as UTF-8; the consent ledger quotes it.
    public var sha256: String
    /// From when this version applies to calls.
    public var effectiveAt: Date
    public var publishedAt: Date

    /// The most text a version may hold (1 MiB): terms are a page of prose, not a file store.
    public static let maxBytes = 1 << 20

    /// Checks that terms text is worth publishing: non-blank, text and not too large.
    ///
    /// - Parameter data: the file's bytes.
    /// - Returns: the text.
    /// - Throws: `InputError.invalidText` saying which rule it breaks.
    public static func validatedText(_ data: Data) throws -> String {
        guard data.count <= maxBytes else {
            throw InputError.invalidText(field: "terms file", reason: "it is \(data.count) bytes; the limit is \(maxBytes)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw InputError.invalidText(field: "terms file", reason: "it is not UTF-8 text")
        }
        guard !text.unicodeScalars.contains(where: { $0.value == 0 }) else {
            throw InputError.invalidText(field: "terms file", reason: "it contains NUL bytes, so it is not text")
        }
        guard !text.trimmingWhitespace().isEmpty else {
            throw InputError.invalidText(field: "terms file", reason: "it is empty")
        }
        return text
    }
}

extension Helpline {
    /// Publishes a new version of the terms of use.
    ///
    /// - Parameters:
    ///   - text: the terms; see `TermsVersion.validatedText` for what is accepted.
    ///   - effectiveAt: when it starts to apply; now when nil. Calls before then keep the older
    ///     version. It may not lie before a call or consent already recorded, nor before the
    ///     previous version's start: either would rewrite which terms those callers agreed to.
    /// - Returns: the new version, with its number and SHA-256.
    /// - Throws: `InputError.invalidText` for blank text, `StoreError.conflict` for an effective
    ///   time that would rewrite history, `StoreError` when the write fails.
    @discardableResult
    public func publishTerms(_ text: String, effectiveAt: Date? = nil) throws -> TermsVersion {
        let text = try TermsVersion.validatedText(Data(text.utf8))
        let now = options.now()
        let effective = effectiveAt ?? now
        return try configWrite { db in
            let recorded = try Int64.fetchOne(
                db,
                sql: """
                    SELECT max(t) FROM (SELECT max(recorded_at) AS t FROM consent_records UNION ALL SELECT max(received_at) FROM calls
                    UNION ALL SELECT max(effective_at) FROM terms_versions)
                    """)
            if let recorded, effective.epochMilliseconds < recorded {
                let utc = TimeZone(identifier: "UTC") ?? .current
                throw StoreError.conflict(
                    "terms can't take effect at \(Instant.format(effective, in: utc)): calls, consents or terms are recorded up to \(Instant.format(Date(epochMilliseconds: recorded), in: utc))",
                    hint: "publish with --effective-at now or later; what earlier callers agreed to stays as recorded")
            }
            let version = (try Int.fetchOne(db, sql: "SELECT max(version) FROM terms_versions") ?? 0) + 1
            let sha = sha256Hex(text)
            try db.execute(
                sql: "INSERT INTO terms_versions (version, text, sha256, effective_at, published_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [version, text, sha, effective.epochMilliseconds, now.epochMilliseconds])
            return TermsVersion(version: version, text: text, sha256: sha, effectiveAt: effective, publishedAt: now)
        }
    }

    /// Every published version, oldest first.
    public func termsVersions() throws -> [TermsVersion] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM terms_versions ORDER BY version").map(TermsVersion.init(row:)) }
    }

    /// One version by number, or the version in effect at `at` (now) when `version` is nil.
    ///
    /// - Returns: nil when no version is in effect yet.
    /// - Throws: `StoreError.notFound` for an unknown version number.
    public func termsVersion(_ version: Int? = nil, at time: Date? = nil) throws -> TermsVersion? {
        try read { db in
            if let version {
                guard let row = try Row.fetchOne(db, sql: "SELECT * FROM terms_versions WHERE version = ?", arguments: [version]) else {
                    throw StoreError.notFound(kind: "terms version", id: String(version))
                }
                return try TermsVersion(row: row)
            }
            return try Self.termsInEffect(at: time ?? options.now(), db: db)
        }
    }

    static func termsInEffect(at time: Date, db: Database) throws -> TermsVersion? {
        try Row.fetchOne(
            db,
            sql: "SELECT * FROM terms_versions WHERE effective_at <= ? ORDER BY effective_at DESC, version DESC LIMIT 1",
            arguments: [time.epochMilliseconds]
        ).map(TermsVersion.init(row:))
    }
}

extension TermsVersion {
    /// Reads a stored version, and refuses one whose text no longer matches its SHA-256: the
    /// text is what callers agreed to, and a replaced text must never be shown as theirs.
    ///
    /// - Throws: `ConsentError.termsAltered`.
    init(row: Row) throws {
        self.init(
            version: row["version"], text: row["text"], sha256: row["sha256"],
            effectiveAt: Date(epochMilliseconds: row["effective_at"]), publishedAt: Date(epochMilliseconds: row["published_at"]))
        guard sha256Hex(text) == sha256 else { throw ConsentError.termsAltered(version: version) }
    }
}
