import Crypto
import Foundation
import GRDB

/// The keyed hash of callers' numbers.
///
/// A plain SHA-256 of a 10-digit number is undone by hashing every number in an area code, so
/// each UTC month has its own random key (`caller_keys`), and a number's hash is HMAC-SHA256 under
/// the key of the month the row was written in. A purge of a whole month deletes its key: the
/// hashes stay (the consent chain covers them), but nobody can confirm a guess against them.
enum CallerKeys {
    /// The UTC month of an instant, as a period key (202611).
    static func period(of time: Date) -> Int {
        // UTC has no offset to look up: every route asks this.
        CivilTime(localSeconds: Int(floor(time.timeIntervalSince1970))).monthKey
    }

    static let utc = TimeZone(identifier: "UTC") ?? .current

    /// The first instant of a period.
    static func start(of period: Int) -> Date {
        Date(timeIntervalSince1970: Double(CivilTime.daysFromCivil(year: period / 100, month: period % 100, day: 1) * 86_400))
    }

    /// The hash of a number for a row written at `time`; creates the month's key when needed.
    /// Must run inside a write transaction.
    static func hash(_ e164: String, at time: Date, db: Database) throws -> String {
        let period = period(of: time)
        if let key = try Data.fetchOne(db.cachedStatement(sql: "SELECT key FROM caller_keys WHERE period = ?"), arguments: [period]) {
            return hmac(e164, key: key)
        }
        var bytes = [UInt8](repeating: 0, count: 32)
        var rng = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = rng.next() }
        let key = Data(bytes)
        try db.execute(
            sql: "INSERT INTO caller_keys (period, key, created_at) VALUES (?, ?, ?)", arguments: [period, key, time.epochMilliseconds])
        return hmac(e164, key: key)
    }

    /// Every hash a number may have in rows written between `from` and `to` (all time when nil):
    /// one per month whose key still exists, and the plain SHA-256 of rows written before keys.
    ///
    /// - Parameter known: a hash of this number already computed for `at` (a route's own), so
    ///   its month's key is not applied twice.
    static func hashes(
        _ e164: String, from: Date? = nil, to: Date? = nil, known: (hash: String, at: Date)? = nil, db: Database
    ) throws -> [String] {
        var sql = "SELECT period, key FROM caller_keys"
        var arguments: StatementArguments = []
        if let from, let to {
            sql += " WHERE period BETWEEN ? AND ?"
            arguments = [period(of: from), period(of: to)]
        }
        let knownPeriod = known.map { period(of: $0.at) }
        var result: [String] = []
        let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: arguments)
        while let row = try rows.next() {
            if let known, row[0] == knownPeriod {
                result.append(known.hash)
            } else {
                result.append(hmac(e164, key: row[1]))
            }
        }
        result.append(sha256Hex(e164))
        return result
    }

    /// Each key's HMAC state after the key, by key: setting a key up costs as much as hashing a
    /// number, and a process sees one or two keys a month. Keyed by the key's bytes, so a key
    /// deleted by a purge is simply never asked for again.
    private static let prepared = Locked<[Data: HMAC<SHA256>]>([:])

    static func hmac(_ text: String, key: Data) -> String {
        var mac =
            prepared.withLock { $0[key] }
            ?? {
                let fresh = HMAC<SHA256>(key: SymmetricKey(data: key))
                prepared.withLock { cache in
                    if cache.count >= 64 { cache.removeAll() }
                    cache[key] = fresh
                }
                return fresh
            }()
        var bytes = text
        bytes.withUTF8 { mac.update(data: UnsafeRawBufferPointer($0)) }
        return lowercaseHex(mac.finalize())
    }

    /// SQL for `column IN (?, ?, …)` with one placeholder per hash.
    static func inList(_ column: String, _ count: Int) -> String {
        "\(column) IN (" + Array(repeating: "?", count: max(count, 1)).joined(separator: ", ") + ")"
    }
}
