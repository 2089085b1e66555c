import ArgumentParser
import Foundation
import HelplineRouting

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Build a demo database, simulate yesterday's calls, and print the daily report.",
        discussion: """
            Three advertisers (ARK Behavioral Health, Recovery Helpline, Alli Addiction Services), a listing \
            for each, the general number (800) 915-1270 and the terms; then a day of calls with answers, \
            no-answers, failovers, callbacks, repeat callers, calls after hours and web-form requests. \
            The database is --db, else $HELPLINE_DB, else ./helpline-demo.sqlite (replaced on each run).
            Example: helpline demo --calls 500
            """)
    @Option(name: .long, help: ArgumentHelp("The demo database (default: ./helpline-demo.sqlite).", valueName: "path")) var db: String?
    @Option(help: "How many calls to simulate.") var calls: Int = 300
    @Option(help: "The helpline's zone.") var tz: String = "America/New_York"
    @Flag(help: "Replace --db if it exists.") var replace = false

    func run() throws {
        let zone = try TimeZone(iana: tz)
        let explicit = db ?? DatabaseSettings.environment("HELPLINE_DB")
        let path = explicit ?? "helpline-demo.sqlite"
        if FileManager.default.fileExists(atPath: path) {
            guard explicit == nil || replace else {
                throw CLIError.usage("\(path) exists; the demo builds a new database", hint: "pass --replace, or another --db")
            }
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        let day = LocalDate(Date(), in: zone).previous
        let summary = try DemoDay(calls: calls, day: day, zone: zone).build(at: path)
        let r = summary.report
        print("Demo database: \(summary.path)  (try: helpline call list --db \(summary.path) --date \(day) --tz \(tz))\n")
        let rate = r.responseRate.map { String(format: "%.1f%%", $0 * 100) } ?? "-"
        print(
            "Simulated \(r.calls) calls on \(day): response rate \(rate) (answered \(r.answered) + returned callbacks), \(r.callbacksPending) callbacks still pending."
        )
        print("Web-form bots rejected by the honeypot: \(summary.botsRejected).  Listing reroutes: \(r.listingReroutes).\n")
        print("Share of first offers on the general number (neutral routing follows the weights):")
        let totalFirst = max(r.providers.reduce(0) { $0 + $1.firstOffers }, 1)
        for p in r.providers {
            let name = p.name.padding(toLength: max(p.name.count, 26), withPad: " ", startingAt: 0)
            print(
                "  \(name)"
                    + String(
                        format: " %5.1f%% of first offers (%d), entitled to %.1f",
                        Double(p.firstOffers) * 100 / Double(totalFirst), p.firstOffers, p.expectedOffered))
        }
        print("")
        print(r.text(), terminator: "")
    }
}
