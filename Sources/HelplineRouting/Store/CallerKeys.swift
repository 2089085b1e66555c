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

    /// The first instant of a period.
    static func start(of period: Int) -> Date {
        Date(timeIntervalSince1970: Double(CivilTime.daysFromCivil(year: period / 100, month: period % 100, day: 1) * 86_400))
    }

    /// The hash of a number for a row written at `time`; creates the month's key when needed.
    /// Must run inside a write transaction.
    ///
    /// - Parameter prepared: the database's prepared keys, to reuse the month's (a route's).
    static func hash(_ e164: String, at time: Date, prepared: PreparedKeys? = nil, db: Database) throws -> String {
        let period = period(of: time)
        if let key = try Data.fetchOne(db.cachedStatement(sql: "SELECT key FROM caller_keys WHERE period = ?"), arguments: [period]) {
            // A new month for writing drops the older ones: the repeat lookup prepares again the
            // month it still reads (and checks it exists), and nothing else keeps it.
            return hmac(e164, key: key, prepared: prepared, period: period, dropsOlder: true)
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
    /// - Parameters:
    ///   - known: a hash of this number already computed for `at` (a route's own), so its
    ///     month's key is not applied twice.
    ///   - prepared: the database's prepared keys: the range's latest two months are taken from
    ///     it (and kept in it), and a month of the range whose key is gone is forgotten.
    static func hashes(
        _ e164: String, from: Date? = nil, to: Date? = nil, known: (hash: String, at: Date)? = nil, prepared: PreparedKeys? = nil,
        db: Database
    ) throws -> [String] {
        var sql = "SELECT period, key FROM caller_keys"
        var arguments: StatementArguments = []
        var range: ClosedRange<Int>?
        let last = to.map(period(of:))
        if let first = from.map(period(of:)), let last {
            sql += " WHERE period BETWEEN ? AND ?"
            range = first...max(first, last)
            arguments = [first, last]
        }
        let knownPeriod = known.map { period(of: $0.at) }
        // Only the months routes hash under (the latest two of the range) are worth preparing.
        let recent = last.map(previous)
        var result: [String] = []
        var present: Set<Int> = []
        let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: arguments)
        while let row = try rows.next() {
            let rowPeriod: Int = row[0]
            present.insert(rowPeriod)
            if let known, rowPeriod == knownPeriod {
                result.append(known.hash)
            } else {
                let cacheable = recent.map { rowPeriod >= $0 } ?? false
                result.append(hmac(e164, key: row[1], prepared: cacheable ? prepared : nil, period: rowPeriod))
            }
        }
        prepared?.forgetAbsent(in: range, present: present)
        result.append(sha256Hex(e164))
        return result
    }

    /// The period before `period` (202612 → 202611, 202701 → 202612).
    static func previous(_ period: Int) -> Int {
        period % 100 == 1 ? (period / 100 - 1) * 100 + 12 : period - 1
    }

    /// The period after `period` (202611 → 202612, 202612 → 202701).
    static func next(_ period: Int) -> Int {
        period % 100 == 12 ? (period / 100 + 1) * 100 + 1 : period + 1
    }

    /// The keyed hash of `text`.
    ///
    /// - Parameters:
    ///   - prepared: where the key's prepared state is kept for the next call; nil prepares the
    ///     key for this call only.
    ///   - period: the key's month.
    ///   - dropsOlder: a month prepared anew forgets every earlier month.
    static func hmac(_ text: String, key: Data, prepared: PreparedKeys? = nil, period: Int = 0, dropsOlder: Bool = false) -> String {
        var mac = prepared?.mac(key: key, period: period, dropsOlder: dropsOlder) ?? HMAC<SHA256>(key: SymmetricKey(data: key))
        var bytes = text
        bytes.withUTF8 { mac.update(data: UnsafeRawBufferPointer($0)) }
        return lowercaseHex(mac.finalize())
    }

    /// SQL for `column IN (?, ?, …)` with one placeholder per hash.
    static func inList(_ column: String, _ count: Int) -> String {
        "\(column) IN (" + Array(repeating: "?", count: max(count, 1)).joined(separator: ", ") + ")"
    }
}

/// One database's keys, prepared for HMAC (setting a key up costs as much as hashing a number),
/// by month: only the months routes hash under are kept. A state is used only for the very key
/// bytes just read from `caller_keys` in the same transaction, and a month whose key is gone is
/// forgotten by this process's own purge at once and by the next lookup over it otherwise, so
/// a purge's shredding does not live on in the memory of a long-running server.
final class PreparedKeys: Sendable {
    private let entries = Locked<[Int: (key: Data, mac: HMAC<SHA256>)]>([:])

    /// The prepared state of `key`, the key of `period`, prepared now if it is new.
    ///
    /// - Parameter dropsOlder: when prepared now, forget every month before `period`.
    func mac(key: Data, period: Int, dropsOlder: Bool = false) -> HMAC<SHA256> {
        if let hit = entries.withLock({ $0[period] }), hit.key == key { return hit.mac }
        let fresh = HMAC<SHA256>(key: SymmetricKey(data: key))
        entries.withLock { cache in
            // Routes use two months at a time; more means old months were written.
            if cache.count >= 4 { cache.removeAll() }
            if dropsOlder { for older in cache.keys.filter({ $0 < period }) { cache[older] = nil } }
            cache[period] = (key, fresh)
        }
        return fresh
    }

    /// Forgets the months in `range` (every month when nil) whose key is not in `present`, the
    /// months found in `caller_keys` over that range.
    func forgetAbsent(in range: ClosedRange<Int>?, present: Set<Int>) {
        entries.withLock { cache in
            let gone = cache.keys.filter { (range?.contains($0) ?? true) && !present.contains($0) }
            for period in gone { cache[period] = nil }
        }
    }

    /// The key bytes prepared now.
    var keys: [Data] { entries.withLock { $0.values.map(\.key) } }
}
