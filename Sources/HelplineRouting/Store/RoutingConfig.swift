import Foundation
import GRDB

/// The routing configuration a process caches: providers, active listings and helplines. It is
/// reread only when `config_version` moves, which triggers bump on every change.
struct RoutingConfig: Sendable {
    let version: Int64
    /// Providers that are not removed, by id.
    let providers: [Int64: Provider]
    /// The same providers in id order, for deterministic candidate lists (kept as one array so a
    /// call doesn't copy 50 providers out of the dictionary).
    let providersInOrder: [Provider]
    let listingsByNumber: [String: Listing]
    let helplinesByNumber: [String: HelplineNumber]
    /// Terms versions by effective time, ascending (ties by version).
    let terms: [(effectiveAt: Int64, stamp: TermsStamp)]

    /// The terms version in effect at `time`: the latest effective at or before it.
    func terms(at time: Date) -> TermsStamp? {
        let ms = time.epochMilliseconds
        return terms.last { $0.effectiveAt <= ms }?.stamp
    }

    static func currentVersion(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT version FROM config_version WHERE id = 1")) ?? 0
    }

    static func load(_ db: Database, version: Int64) throws -> RoutingConfig {
        let providers = try Row.fetchAll(
            db, sql: "SELECT \(Provider.columns) FROM providers WHERE status != 'removed' ORDER BY id"
        ).map(Provider.init(row:))
        let listings = try Row.fetchAll(db, sql: "SELECT \(Listing.columns) FROM listings WHERE removed_at IS NULL").map(Listing.init(row:))
        let helplineIDs = try Int64.fetchAll(db, sql: "SELECT id FROM helplines ORDER BY id")
        let helplines = try helplineIDs.map { try Helpline.fetchHelpline(id: $0, db: db) }
        let terms = try Row.fetchAll(db, sql: "SELECT version, sha256, effective_at FROM terms_versions ORDER BY effective_at, version")
            .map { (effectiveAt: $0["effective_at"] as Int64, stamp: TermsStamp(version: $0["version"], sha256: $0["sha256"])) }
        return RoutingConfig(
            version: version,
            providers: Dictionary(uniqueKeysWithValues: providers.map { ($0.id, $0) }),
            providersInOrder: providers,
            listingsByNumber: Dictionary(listings.map { ($0.number.e164, $0) }, uniquingKeysWith: { a, _ in a }),
            helplinesByNumber: Dictionary(uniqueKeysWithValues: helplines.map { ($0.number.e164, $0) }), terms: terms)
    }
}

extension Helpline {
    /// The routing configuration as of this transaction, from the cache when it is current.
    func routingConfig(_ db: Database) throws -> RoutingConfig {
        let version = try RoutingConfig.currentVersion(db)
        if let cached = configCache.withLock({ $0 }), cached.version == version { return cached }
        let fresh = try RoutingConfig.load(db, version: version)
        configCache.withLock { $0 = fresh }
        return fresh
    }
}
