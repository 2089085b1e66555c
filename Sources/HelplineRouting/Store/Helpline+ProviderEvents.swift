public import Foundation
import GRDB

/// One logged change of a provider's status.
public struct ProviderEvent: Sendable, Hashable {
    public var providerID: Int64
    public var at: Date
    /// `added`, `paused`, `resumed`, `removed` or `auto-paused`.
    public var event: String
    public var detail: String
}

extension Helpline {
    static func recordStatusChange(db: Database, providerID: Int64, to status: ProviderStatus, at time: Date, detail: String = "") throws {
        let event: String
        switch status {
        case .active: event = "resumed"
        case .paused: event = "paused"
        case .removed: event = "removed"
        }
        try recordProviderEvent(db: db, providerID: providerID, event: event, at: time, detail: detail)
    }

    static func recordProviderEvent(db: Database, providerID: Int64, event: String, at time: Date, detail: String) throws {
        try db.cachedStatement(sql: "INSERT INTO provider_events (provider_id, at, event, detail) VALUES (?, ?, ?, ?)").execute(arguments: [
            providerID, time.epochMilliseconds, event, detail,
        ])
    }

    /// The status changes of a provider, oldest first.
    public func providerEvents(providerID: Int64) throws -> [ProviderEvent] {
        try read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: "SELECT provider_id, at, event, detail FROM provider_events WHERE provider_id = ? ORDER BY id"),
                arguments: [providerID]
            ).map {
                ProviderEvent(providerID: $0["provider_id"], at: Date(epochMilliseconds: $0["at"]), event: $0["event"], detail: $0["detail"])
            }
        }
    }
}
