import ArgumentParser
import Foundation
import HelplineRouting

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Reports for operators and cron.",
        subcommands: [Daily.self, Neutrality.self]
    )

    struct Daily: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "daily",
            abstract: "How one day served its callers: calls, answers, callbacks, response, per-provider shares.",
            discussion: """
                The day is resolved in --tz (default: $HELPLINE_TZ, else the machine's zone). --out writes \
                the file atomically (a temporary file, then a rename), so a half-written report never exists.
                Examples:
                  helpline report daily                       # yesterday, as text
                  helpline report daily --date 2026-11-25 --format html --out day.html
                """)
        @OptionGroup var global: GlobalOptions
        @Option(help: "YYYY-MM-DD, yesterday or today.") var date: String = "yesterday"
        @Option(help: "The zone the day is in.") var tz: String?
        @Option(help: "text, json, csv or html (default: text).") var format: String?
        @Option(help: "Write to this file atomically instead of stdout.") var out: String?
        @OptionGroup var output: JSONFlag

        func run() throws {
            let helpline = try global.open()
            let zone = try tz.map(TimeZone.init(iana:)) ?? helpline.defaultTimeZone
            Output.zone = zone  // times print in the zone the day was cut in
            Output.zone = zone  // times print in the zone the day was cut in
            let day = try LocalDate(resolving: date, in: zone, now: helpline.options.now())
            let chosen = output.json ? .json : try format.map(ReportFormat.init(parsing:)) ?? .text
            let text = try helpline.dailyReport(for: day, in: zone).render(chosen)
            if let out {
                try AtomicFile.write(text, to: out)
            } else {
                print(text, terminator: "")
            }
        }
    }

    struct Neutrality: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "neutrality",
            abstract: "Offers against entitlement per provider: the proof that no provider pays to get more calls.",
            discussion: """
                Entitlement is the sum of each provider's recorded share over the pool decisions of the days \
                --from through --to (local days in --tz). Sticky repeat-caller offers are counted apart. A \
                deviation is flagged when |z| >= 3 in a Poisson-binomial z-test. Entitlement follows the \
                configuration of each moment, so offers are also tested against the configured weights (members \
                and weights at the end of the period); the report counts every exclusion by reason and lists \
                the period's configuration changes (see `helpline history`). Exits 65 when either test flags.
                Example: helpline report neutrality --from 2026-11-01 --to 2026-11-30
                """)
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: JSONFlag
        @Option(help: "First day, YYYY-MM-DD (default: 30 days ago).") var from: String?
        @Option(help: "Last day, YYYY-MM-DD (default: yesterday).") var to: String?
        @Option(help: "The zone the days are in.") var tz: String?

        func run() throws {
            let helpline = try global.open()
            let zone = try tz.map(TimeZone.init(iana:)) ?? helpline.defaultTimeZone
            Output.zone = zone  // times print in the zone the day was cut in
            Output.zone = zone  // times print in the zone the day was cut in
            let now = helpline.options.now()
            let last = try to.map { try LocalDate(resolving: $0, in: zone, now: now) } ?? LocalDate(now, in: zone).previous
            var first = last
            for _ in 0..<29 { first = first.previous }
            if let from { first = try LocalDate(resolving: from, in: zone, now: now) }
            let report = try helpline.neutralityReport(from: first, to: last, in: zone)
            if output.json { try Output.json(report) } else { print(report.text(), terminator: "") }
            if !report.isNeutral {
                throw NeutralityBreach(names: report.lines.filter { $0.significant || $0.configuredSignificant }.map(\.name))
            }
        }
    }
}

/// A neutrality audit that flagged a provider.
struct NeutralityBreach: HelplineError {
    let names: [String]
    var category: ErrorCategory { .badData }
    var message: String {
        "offers deviate significantly from entitlement or from the configured weights for: \(names.joined(separator: ", "))"
    }
    var hint: String? { "read the report's exclusions and configuration changes, and `helpline history` for the period" }
}
