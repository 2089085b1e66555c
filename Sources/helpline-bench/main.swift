import Foundation
import GRDB
import HelplineRouting

// helpline-bench [--quick] [--work DIR] [--helpline PATH]
//   Prints `name: value` lines; every ratio compares two things measured in this same run.
// helpline-bench worker DB SECONDS OUT
//   Routes calls in a loop for the concurrency measurement; writes "errors p99_ms calls" to OUT.

let arguments = Array(CommandLine.arguments.dropFirst())

func option(_ name: String) -> String? {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return nil }
    return arguments[i + 1]
}

func emit(_ name: String, _ value: Double, digits: Int = 3) {
    FileHandle.standardOutput.write(Data("\(name): \(String(format: "%.\(digits)f", value))\n".utf8))
}

func note(_ text: String) {
    FileHandle.standardError.write(Data("bench: \(text)\n".utf8))
}

/// Routes `count` calls through the library, at simulated times one second apart.
func routeCalls(_ h: Helpline, from first: Int, count: Int, start: Date) throws {
    for n in first..<(first + count) {
        _ = try h.route(to: BenchSetup.helplineNumber, from: BenchSetup.caller(n), at: start.addingTimeInterval(Double(n)))
    }
}

if arguments.first == "worker", arguments.count >= 4, let seconds = Double(arguments[2]) {
    let h = try Helpline(path: arguments[1])
    var latencies: [Double] = []
    var errors = 0
    var n = Int(getpid()) * 100_000
    let end = Measure.now() + seconds
    let start = BenchSetup.startInstant().addingTimeInterval(86_400)
    while Measure.now() < end {
        let t = Measure.now()
        do {
            _ = try h.route(to: BenchSetup.helplineNumber, from: BenchSetup.caller(n), at: start.addingTimeInterval(Double(n % 100_000)))
        } catch let error as StoreError {
            if case .busy = error { errors += 1 } else { note("worker error: \(error)") }
        } catch {
            note("worker error: \(error)")
        }
        latencies.append((Measure.now() - t) * 1000)
        n += 1
    }
    try "\(errors) \(Measure.percentile(latencies, 0.99)) \(latencies.count)\n".write(toFile: arguments[3], atomically: true, encoding: .utf8)
    exit(0)
}

func runBenchmarks() throws {
    if arguments.first == "route-loop", arguments.count >= 2 {
        // For Scripts/crash-test.sh: routes until killed, printing each call id only after its
        // transaction has committed.
        let h = try Helpline(path: arguments[1])
        var n = Int(getpid()) * 1000
        while true {
            let r = try h.route(to: "8009151270", from: BenchSetup.caller(n))
            FileHandle.standardOutput.write(Data("\(r.callID)\n".utf8))
            n += 1
        }
    }
    if arguments.first == "rss-of", arguments.count >= 3 {
        // Runs a program from this small process, so its peak RSS (from wait4) is its own and
        // not the benchmark's: a spawned child shares its parent's pages until it execs.
        let r = try Measure.run(arguments[1], Array(arguments.dropFirst(2)))
        print("\(r.status) \(r.seconds) \(r.maxRSSKiB)")
        exit(0)
    }
    if arguments.first == "route-existing", arguments.count >= 4, let count = Int(arguments[2]), let first = Int(arguments[3]) {
        // Routes `count` calls on an existing benchmark database, at full durability.
        let h = try Helpline(path: arguments[1])
        let t = Measure.now()
        try routeCalls(h, from: first, count: count, start: BenchSetup.startInstant())
        note(String(format: "%.3f ms per call", (Measure.now() - t) * 1000 / Double(count)))
        exit(0)
    }
    if arguments.first == "profile-route", arguments.count >= 3, let count = Int(arguments[2]) {
        // For a profiler: route `count` calls on a fresh database at normal durability, so CPU shows.
        let path = arguments[1]
        _ = try BenchSetup.build(path: path)
        var options = Helpline.Options()
        options.durability = .normal
        let h = try Helpline(path: path, options: options)
        try routeCalls(h, from: 0, count: count, start: BenchSetup.startInstant())
        exit(0)
    }

    let run = try BenchRun()
    note("work folder \(run.work); \(run.quick ? "quick" : "full") run")
    // `--only serve` measures the HTTP server alone.
    if ["serve", "serve-library"].contains(option("--only")) { return try measureServe(run) }
    let sample = try measureRouting(run)
    // `--only route` stops here, for quick iterations while profiling.
    if option("--only") == "route" { return }
    // `--only cli` skips history and reports (the slow part), for iterating on process start-up.
    if option("--only") != "cli" {
        let historyDB = try measureHistoryFlatness(run, sample: sample)
        try measureReports(run, historyDB: historyDB)
        if option("--only") == "history" { return }
    }
    try measureCLIStart(run)
    try measureConcurrency(run)
    try measureServe(run)
    if !arguments.contains("--keep") { try? FileManager.default.removeItem(atPath: run.work) }
}

/// What every measurement shares: the mode, the work folder, the binaries and the start instant.
struct BenchRun {
    let quick = arguments.contains("--quick")
    let work: String
    let helplineBin: String
    let benchBin: String
    let start = BenchSetup.startInstant()
    let zone: TimeZone
    let sqlite3Bin = Measure.which("sqlite3") ?? "/usr/bin/sqlite3"
    var routeDB: String { "\(work)/route.sqlite" }

    init() throws {
        work = option("--work") ?? FileManager.default.temporaryDirectory.appendingPathComponent("helpline-bench-\(getpid())").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        helplineBin = option("--helpline") ?? (URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path + "/helpline")
        benchBin = URL(fileURLWithPath: CommandLine.arguments[0]).path
        zone = try TimeZone(iana: "America/New_York")
    }
}

/// route_calls_per_s, raw_sqlite_txn_per_s, route_vs_raw_ratio. Returns a decision's candidates,
/// state and input, which the raw baseline and the history generator write as they are.
func measureRouting(_ run: BenchRun) throws -> (String, String, String) {
    let (quick, work, start) = (run.quick, run.work, run.start)
    let routeDB = run.routeDB
    let rawDB = "\(work)/raw.sqlite"
    let routed = try BenchSetup.build(path: routeDB)
    _ = try BenchSetup.build(path: rawDB)
    try routeCalls(routed, from: 0, count: 100, start: start)
    let sample = try DatabaseQueue(path: routeDB).read { db -> (String, String, String) in
        let row = try Row.fetchOne(
            db,
            sql: """
                SELECT s.candidates, i.state_before, i.input FROM routing_decisions d JOIN decision_inputs i USING (call_id, attempt)
                JOIN candidate_sets s ON s.id = d.candidate_set_id ORDER BY d.id DESC LIMIT 1
                """)
        return (row?[0] ?? "[]", row?[1] ?? "{}", row?[2] ?? "{}")
    }
    let raw = try RawSQLite(path: rawDB, synchronous: "FULL", candidates: sample.0, state: sample.1, input: sample.2)
    let termsHash = String(repeating: "a", count: 64)
    var next = 100
    var rawNext = 0
    for _ in 0..<100 {
        try raw.write(call: rawNext, at: start.epochMilliseconds, caller: BenchSetup.caller(rawNext), callerHash: termsHash, termsHash: termsHash)
        rawNext += 1
    }
    let rounds = quick ? 6 : 12
    let batch = quick ? 300 : 1000
    var routeTime = 0.0
    var rawTime = 0.0
    for _ in 0..<rounds {
        var t = Measure.now()
        try routeCalls(routed, from: next, count: batch, start: start)
        routeTime += Measure.now() - t
        next += batch
        t = Measure.now()
        for _ in 0..<batch {
            try raw.write(
                call: rawNext, at: start.epochMilliseconds + Int64(rawNext) * 1000, caller: BenchSetup.caller(rawNext), callerHash: termsHash,
                termsHash: termsHash)
            rawNext += 1
        }
        rawTime += Measure.now() - t
    }
    let routePerS = Double(rounds * batch) / routeTime
    let rawPerS = Double(rounds * batch) / rawTime
    emit("route_calls_per_s", routePerS, digits: 0)
    emit("raw_sqlite_txn_per_s", rawPerS, digits: 0)
    emit("route_vs_raw_ratio", routePerS / rawPerS)
    return sample
}

/// history_flatness_ratio: routing with 1,000,000 calls of history against an empty database.
/// Returns the history database, which the report measurements read.
func measureHistoryFlatness(_ run: BenchRun, sample: (String, String, String)) throws -> String {
    let (quick, work, start) = (run.quick, run.work, run.start)
    let historyDB = "\(work)/history.sqlite"
    let emptyDB = "\(work)/empty.sqlite"
    _ = try BenchSetup.build(path: historyDB)
    let historyCalls = 1_000_000
    var t = Measure.now()
    try History.generate(path: historyDB, count: historyCalls, days: 30, end: start, sample: sample)
    note(String(format: "generated %d calls of history in %.1f s", historyCalls, Measure.now() - t))
    // The generator writes without syncing. Until the kernel has written its gigabytes back
    // (and whatever else is pending, such as the release build just before), the fsyncs of the
    // routing that follows wait for them: wait here instead, as a running system's history
    // would be on disk already.
    t = Measure.now()
    try History.syncToDisk(path: historyDB)
    sync()
    note(String(format: "history and pending writes on disk in %.1f s", Measure.now() - t))
    let withHistory = try Helpline(path: historyDB)
    let empty = try BenchSetup.build(path: emptyDB)
    // One discarded batch on each: the first calls after the generator's gigabytes pay for a
    // cold cache (reported on stderr), and the ratio is about the steady state.
    t = Measure.now()
    try routeCalls(withHistory, from: 0, count: 50, start: start)
    note(String(format: "first 50 calls after generating history: %.3f ms per call", (Measure.now() - t) * 20))
    try routeCalls(withHistory, from: 50, count: 250, start: start)
    try routeCalls(empty, from: 0, count: 300, start: start)
    // Paired rounds, alternating which database goes first, and the median of the rounds'
    // ratios: a burst of the disk's write-back (the generator leaves gigabytes behind) lands
    // in one round, not in the result.
    var historyTime = 0.0
    var emptyTime = 0.0
    var roundRatios: [Double] = []
    let flatRounds = quick ? 8 : 12
    let flatBatch = quick ? 200 : 500
    var flatNext = 300
    for round in 0..<flatRounds {
        var h = 0.0
        var e = 0.0
        for isHistory in round % 2 == 0 ? [true, false] : [false, true] {
            t = Measure.now()
            try routeCalls(isHistory ? withHistory : empty, from: flatNext, count: flatBatch, start: start)
            if isHistory { h = Measure.now() - t } else { e = Measure.now() - t }
        }
        historyTime += h
        emptyTime += e
        roundRatios.append(h / e)
        note(
            String(
                format: "flatness round: %.3f ms per call with history, %.3f empty", h * 1000 / Double(flatBatch), e * 1000 / Double(flatBatch)))
        flatNext += flatBatch
    }
    let rounds = roundRatios.map { String(format: "%.2f", $0) }.joined(separator: " ")
    note(String(format: "flatness: total time ratio %.3f; round ratios ", historyTime / emptyTime) + rounds)
    emit("history_flatness_ratio", Measure.median(roundRatios))

    return historyDB
}

/// report_1m_seconds, report_vs_sqlite3_ratio, report_peak_rss_mb: one day of the history.
func measureReports(_ run: BenchRun, historyDB: String) throws {
    let (quick, work, start, zone, benchBin, helplineBin, sqlite3Bin) = (
        run.quick, run.work, run.start, run.zone, run.benchBin, run.helplineBin, run.sqlite3Bin
    )
    let reportDay = LocalDate(start.addingTimeInterval(-15 * 86_400), in: zone)
    let dayStart = reportDay.start(in: zone).epochMilliseconds
    let dayEnd = reportDay.next.start(in: zone).epochMilliseconds
    let reportRuns = quick ? 5 : 9
    var reportTimes: [Double] = []
    var reportRSS = 0
    let handQuery = """
        WITH a AS (SELECT provider_id, outcome, answered_at - offered_at AS s FROM attempts WHERE offered_at >= \(dayStart) AND offered_at < \(dayEnd)),
        r AS (SELECT provider_id, s, row_number() OVER (PARTITION BY provider_id ORDER BY s) AS rn,
                     count(*) OVER (PARTITION BY provider_id) AS cnt FROM a WHERE outcome = 'answered')
        SELECT c.provider_id, c.offered, c.answered, c.no_answer, m.median FROM
          (SELECT provider_id, count(*) AS offered, sum(outcome = 'answered') AS answered,
                  sum(outcome IN ('no-answer', 'busy', 'failed')) AS no_answer FROM a GROUP BY provider_id) c
          LEFT JOIN (SELECT provider_id, avg(s) AS median FROM r WHERE rn IN ((cnt + 1) / 2, (cnt + 2) / 2) GROUP BY provider_id) m
          USING (provider_id);
        """
    var sqliteTimes: [Double] = []
    // Alternating runs, so that both see the same page cache and the same disk.
    for _ in 0..<reportRuns {
        // Through `rss-of`, a small process, so the peak RSS is the report's own.
        let r = try Measure.run(
            benchBin,
            [
                "rss-of", helplineBin, "report", "daily", "--db", historyDB, "--date", reportDay.description, "--tz", "America/New_York",
                "--format", "json",
            ], captureTo: "\(work)/report.rss")
        let parts = r.stdout.split(separator: " ")
        guard r.status == 0, parts.count == 3, parts[0] == "0", let seconds = Double(parts[1]),
            let rss = Int(parts[2].trimmingCharacters(in: .whitespacesAndNewlines))
        else { throw BenchError.failed("report daily failed: \(r.stdout)") }
        reportTimes.append(seconds)
        reportRSS = max(reportRSS, rss)
        let s = try Measure.run(sqlite3Bin, [historyDB, handQuery], captureTo: "\(work)/sqlite3.out")
        guard s.status == 0 else { throw BenchError.failed("sqlite3 exited \(s.status)") }
        sqliteTimes.append(s.seconds)
    }
    emit("report_1m_seconds", Measure.median(reportTimes))
    emit("report_vs_sqlite3_ratio", Measure.median(reportTimes) / Measure.median(sqliteTimes))
    emit("report_peak_rss_mb", Double(reportRSS) / 1024, digits: 1)
}

/// cli_route_ms, cli_sqlite3_insert_ms, cli_route_vs_sqlite3_ratio: one process per event.
func measureCLIStart(_ run: BenchRun) throws {
    let (quick, work, start, zone, helplineBin, sqlite3Bin, routeDB) = (
        run.quick, run.work, run.start, run.zone, run.helplineBin, run.sqlite3Bin, run.routeDB
    )
    let cliRuns = quick ? 25 : 80
    // sqlite3 inserts into its own copy of the database (same schema and size), so neither process
    // ever checkpoints the other's pages when it closes.
    let baselineDB = "\(work)/baseline.sqlite"
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: baselineDB + suffix) }
    try DatabaseQueue(path: routeDB).writeWithoutTransaction { try $0.execute(sql: "VACUUM INTO ?", arguments: [baselineDB]) }
    try DatabaseQueue(path: baselineDB).writeWithoutTransaction { _ = try String.fetchOne($0, sql: "PRAGMA journal_mode = WAL") }
    var cliRoute: [Double] = []
    var cliSQLite: [Double] = []
    for i in 0..<cliRuns {
        let at = Instant.format(start.addingTimeInterval(Double(100_000 + i)), in: zone)
        let r = try Measure.run(
            helplineBin, ["route", "--db", routeDB, "--to", BenchSetup.helplineNumber, "--from", BenchSetup.caller(900_000 + i), "--at", at])
        guard r.status == 0 else { throw BenchError.failed("helpline route exited \(r.status)") }
        cliRoute.append(r.seconds)
        let s = try Measure.run(sqlite3Bin, [baselineDB, "INSERT INTO rejected_requests (at, reason) VALUES (\(i), 'bench');"])
        guard s.status == 0 else { throw BenchError.failed("sqlite3 insert exited \(s.status)") }
        cliSQLite.append(s.seconds)
    }
    emit("cli_route_ms", Measure.median(cliRoute) * 1000, digits: 1)
    emit("cli_sqlite3_insert_ms", Measure.median(cliSQLite) * 1000, digits: 1)
    emit("cli_route_vs_sqlite3_ratio", Measure.median(cliRoute) / Measure.median(cliSQLite))

}

/// concurrent_busy_errors, concurrent_p99_ms: two routing processes while reports run.
func measureConcurrency(_ run: BenchRun) throws {
    let (work, start, zone, benchBin, helplineBin, routeDB) = (run.work, run.start, run.zone, run.benchBin, run.helplineBin, run.routeDB)
    let seconds = 10.0
    var workers: [Process] = []
    for w in 0..<2 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: benchBin)
        p.arguments = ["worker", routeDB, String(seconds), "\(work)/worker-\(w).txt"]
        try p.run()
        workers.append(p)
    }
    let reportEnd = Measure.now() + seconds
    var reportsDuring = 0
    var reportFailures = 0
    while Measure.now() < reportEnd {
        let r = try Measure.run(
            helplineBin,
            ["report", "daily", "--db", routeDB, "--date", LocalDate(start, in: zone).description, "--tz", "America/New_York", "--format", "json"])
        if r.status != 0 { reportFailures += 1 }
        reportsDuring += 1
    }
    for p in workers { p.waitUntilExit() }
    var busy = reportFailures
    var p99s: [Double] = []
    var workerCalls = 0
    for w in 0..<2 {
        let parts = (try String(contentsOfFile: "\(work)/worker-\(w).txt", encoding: .utf8)).split(separator: " ")
        busy += Int(parts[0]) ?? 1
        p99s.append(Double(parts[1]) ?? .nan)
        workerCalls += Int(parts[2].trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }
    note("concurrency: \(workerCalls) calls routed by 2 processes while \(reportsDuring) reports ran")
    emit("concurrent_busy_errors", Double(busy), digits: 0)
    emit("concurrent_p99_ms", p99s.max() ?? .nan, digits: 1)

}

do {
    try runBenchmarks()
} catch {
    note("failed: \(error)")
    exit(1)
}
