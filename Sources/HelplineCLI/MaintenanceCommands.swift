import ArgumentParser
import Foundation
import HelplineRouting

struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the invariants: integrity, the consent chain, live counters against a recount, and more.",
        discussion: """
            Exits 0 when every check passes, 65 when one fails (74 when the file itself is damaged). \
            --repair rebuilds the live counters from the recount and makes the files mode 0600; it never \
            touches the ledger or the calls.
            Example: helpline doctor --repair
            """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONFlag
    @Flag(help: "Rebuild the live counters from a recount of attempts, and fix file modes.") var repair = false

    func run() throws {
        let report = try global.open().doctor(repair: repair)
        if output.json {
            try Output.json(report)
        } else {
            if repair && report.repaired.isEmpty { print("repaired: nothing needed repair") }
            for fix in report.repaired { print("repaired: \(fix)") }
            Output.table(["CHECK", "RESULT", "DETAIL"], report.checks.map { [$0.name, $0.ok ? "ok" : "FAIL", $0.detail] })
        }
        // Damage outranks drift: the exit code follows the worst kind that failed.
        let failures = report.checks.filter { !$0.ok }
        if let failed = failures.first(where: { $0.kind == .damage }) ?? failures.first(where: { $0.kind == .evidence }) ?? failures.first {
            throw DoctorFailure(check: failed)
        }
    }
}

/// A failed doctor check.
struct DoctorFailure: HelplineError {
    let check: DoctorReport.Check
    var category: ErrorCategory { check.kind == .damage ? .io : .badData }
    var message: String { "doctor: \(check.name) failed: \(check.detail)" }
    var hint: String? {
        switch check.kind {
        case .damage: return "restore the last backup, or correct the named rows with sqlite3 and run doctor again"
        case .repairable: return "run `helpline doctor --repair`"
        case .evidence: return "keep this database for investigation and restore a backup"
        }
    }
}

struct PurgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Redact caller numbers in calls and callbacks before a date; reports and consent proofs stay.",
        discussion: """
            DATE is a day (YYYY-MM-DD, in --tz) or an instant, no later than the end of yesterday. Calls \
            still ringing or connected and pending callbacks keep their numbers. Each month's callers are \
            hashed with that month's own key; a purge that covers a whole month deletes its key, so the \
            consent chain still verifies but nobody can confirm a number against its hashes. The purge \
            then searches the file for every redacted number and fails (74) if one is still there.
            Example: helpline purge --before 2025-11-01 --dry-run
            """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONFlag
    @Option(help: "Redact what was received before this day or instant.") var before: String
    @Option(help: "The zone of a day given as YYYY-MM-DD.") var tz: String?
    @Flag(help: "Only count what would be redacted.") var dryRun = false

    func run() throws {
        let helpline = try global.open()
        let zone = try tz.map(TimeZone.init(iana:)) ?? helpline.defaultTimeZone
        Output.zone = zone  // times print in the zone the day was cut in
        let instant = try (try? LocalDate(parsing: before).start(in: zone)) ?? Instant.parse(before)
        let result = try helpline.purge(before: instant, dryRun: dryRun, in: zone)
        if output.json { return try Output.json(result) }
        let verb = dryRun ? "would redact" : "redacted"
        let shredded = result.shreddedPeriods.isEmpty ? "none" : result.shreddedPeriods.map(String.init).joined(separator: ", ")
        print(
            "\(verb) \(result.calls) calls and \(result.callbacks) callbacks before \(Output.time(result.before)); kept \(result.pendingKept) pending callbacks and \(result.liveKept) live calls; keys of months \(shredded) \(dryRun ? "would be" : "were") shredded"
        )
    }
}
