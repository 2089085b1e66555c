import Foundation
import GRDB
import HelplineRouting

/// Builds the benchmark's databases: 50 providers with realistic hours, caps and states, and a
/// helpline routing to all of them by weighted round robin.
enum BenchSetup {
    static let zones = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Phoenix"]
    static let hours = [
        "24/7", "mon-fri 00:00-24:00; sat-sun 06:00-22:00", "daily 00:00-24:00", "mon-sun 00:00-23:59",
        "mon-fri 00:00-12:00,12:00-24:00; sat-sun 00:00-24:00",
    ]
    static let helplineNumber = "8009151270"
    /// A Wednesday noon in New York: every provider is open, so all 50 are candidates.
    static func startInstant() -> Date {
        (try? Instant.parse("2026-11-25T12:00:00-05:00")) ?? Date()
    }

    /// Creates and configures a database at `path`.
    static func build(path: String, providers count: Int = 50) throws -> Helpline {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        var options = Helpline.Options()
        options.defaultTimeZone = try TimeZone(iana: "America/New_York")
        let h = try Helpline(path: path, options: options)
        let states = ["", "NY,NJ,CT,PA", "", "CA,OR,WA,NV,AZ", "", "TX,OK,LA,AR", "", "FL,GA,AL,SC,NC", "", ""]
        var csv = "name,phone,tz,hours,states,weight,priority,hourly_cap,daily_cap,monthly_cap,concurrency,auto_pause_after\n"
        for i in 0..<count {
            csv += "\"Provider \(i + 1), Inc.\",(212) 555-\(String(format: "%04d", 1000 + i)),\(zones[i % zones.count]),"
            csv += "\"\(hours[i % hours.count])\",\"\(states[i % states.count])\",\(1 + i % 5),1,100000,1000000,5000000,1000,\n"
        }
        try h.importProviders(csv: csv)
        try h.addHelplineNumber(try PhoneNumber(parsing: helplineNumber))
        try h.publishTerms("Terms of use for the benchmark.\n", effectiveAt: Date(timeIntervalSince1970: 0))
        return h
    }

    /// The n-th benchmark caller: spread over area codes so caller states vary.
    static func caller(_ n: Int) -> String {
        let areaCodes = ["212", "303", "415", "512", "305", "312", "617", "206", "404", "602"]
        var exchange = 200 + (n * 7919) % 700
        if exchange % 100 == 11 { exchange += 1 }  // N11 is not a number
        return "+1" + areaCodes[n % areaCodes.count] + String(exchange) + String(format: "%04d", (n * 104_729) % 10_000)
    }
}
