import Foundation
import GRDB

extension Provider {
    /// The columns `init(row:)` reads, by position: every process loads all providers on its first
    /// call, and matching column names (case-insensitively) cost more than the values.
    static let columns = """
        id, name, phone, time_zone, hours, states, weight, priority, hourly_cap, daily_cap, monthly_cap,
        concurrency_cap, auto_pause_after, status, revision, created_at, updated_at, sip_uri
        """

    /// Reads a provider row selected with `columns`, validating every stored value again.
    init(row: Row) throws {
        let id: Int64 = row[0]
        let zoneName: String = row[3]
        let statusName: String = row[13]
        do {
            guard let zone = TimeZone(identifier: zoneName) else { throw InputError.invalidTimeZone(zoneName) }
            guard let status = ProviderStatus(rawValue: statusName) else {
                throw InputError.invalidChoice(field: "status", value: statusName, choices: ProviderStatus.allCases.map(\.rawValue))
            }
            self.init(
                id: id, name: row[1], phone: try PhoneNumber(stored: row[2]), timeZone: zone,
                hours: try WeeklyHours(parsing: row[4]), states: try USState.parseList(row[5]),
                weight: row[6], priority: row[7],
                caps: Caps(hourly: row[8], daily: row[9], monthly: row[10], concurrent: row[11]),
                autoPauseAfter: row[12], sipURI: row[17], status: status, revision: row[14],
                createdAt: Date(epochMilliseconds: row[15]), updatedAt: Date(epochMilliseconds: row[16]))
        } catch let error as InputError {
            throw StoreError.corrupt(path: "providers row \(id)", reason: error.message)
        }
    }
}

extension Listing {
    /// The columns `init(row:)` reads, by position.
    static let columns = "id, name, number, provider_id, created_at, removed_at, ring_timeout_s"

    init(row: Row) throws {
        let id: Int64 = row[0]
        do {
            self.init(
                id: id, name: row[1], number: try PhoneNumber(stored: row[2]), providerID: row[3],
                createdAt: Date(epochMilliseconds: row[4]),
                removedAt: (row[5] as Int64?).map(Date.init(epochMilliseconds:)), ringTimeoutSeconds: row[6])
        } catch let error as InputError {
            throw StoreError.corrupt(path: "listings row \(id)", reason: error.message)
        }
    }
}

extension HelplineNumber {
    static let columns = """
        id, number, name, strategy, all_providers, repeat_window_days, ring_timeout_s, max_attempts, created_at, updated_at
        """

    init(row: Row, members: [Int64]) throws {
        let id: Int64 = row["id"]
        do {
            self.init(
                id: id, number: try PhoneNumber(stored: row["number"]), name: row["name"],
                strategy: try RoutingStrategy(parsing: row["strategy"]),
                members: (row["all_providers"] as Bool) ? nil : members,
                repeatWindowDays: row["repeat_window_days"], ringTimeoutSeconds: row["ring_timeout_s"],
                maxAttempts: row["max_attempts"], createdAt: Date(epochMilliseconds: row["created_at"]),
                updatedAt: Date(epochMilliseconds: row["updated_at"]))
        } catch let error as InputError {
            throw StoreError.corrupt(path: "helplines row \(id)", reason: error.message)
        }
    }
}
