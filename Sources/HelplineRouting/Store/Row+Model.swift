import Foundation
import GRDB

extension Provider {
    static let columns = """
        id, name, phone, time_zone, hours, states, weight, priority, hourly_cap, daily_cap, monthly_cap,
        concurrency_cap, auto_pause_after, status, revision, created_at, updated_at
        """

    /// Reads a provider row, validating every stored value again.
    init(row: Row) throws {
        let id: Int64 = row["id"]
        do {
            guard let zone = TimeZone(identifier: row["time_zone"]) else {
                throw InputError.invalidTimeZone(row["time_zone"])
            }
            guard let status = ProviderStatus(rawValue: row["status"]) else {
                throw InputError.invalidChoice(field: "status", value: row["status"], choices: ProviderStatus.allCases.map(\.rawValue))
            }
            self.init(
                id: id, name: row["name"], phone: try PhoneNumber(stored: row["phone"]), timeZone: zone,
                hours: try WeeklyHours(parsing: row["hours"]), states: try USState.parseList(row["states"]),
                weight: row["weight"], priority: row["priority"],
                caps: Caps(hourly: row["hourly_cap"], daily: row["daily_cap"], monthly: row["monthly_cap"], concurrent: row["concurrency_cap"]),
                autoPauseAfter: row["auto_pause_after"], status: status, revision: row["revision"],
                createdAt: Date(epochMilliseconds: row["created_at"]), updatedAt: Date(epochMilliseconds: row["updated_at"]))
        } catch let error as InputError {
            throw StoreError.corrupt(path: "providers row \(id)", reason: error.message)
        }
    }
}

extension Listing {
    static let columns = "id, name, number, provider_id, created_at, removed_at"

    init(row: Row) throws {
        let id: Int64 = row["id"]
        do {
            self.init(
                id: id, name: row["name"], number: try PhoneNumber(stored: row["number"]), providerID: row["provider_id"],
                createdAt: Date(epochMilliseconds: row["created_at"]),
                removedAt: (row["removed_at"] as Int64?).map(Date.init(epochMilliseconds:)))
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
