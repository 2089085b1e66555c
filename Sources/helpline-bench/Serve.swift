import Foundation
import HelplineRouting

#if canImport(Glibc)
    import Glibc
#endif

/// serve_routes_per_s, serve_route_p99_ms, serve_library_routes_per_s, serve_vs_library_ratio,
/// serve_healthz_p99_ms_under_lock and serve_open_RATE_per_s_p99_ms (and _2xx_share) at 1,000,
/// 2,000 and 3,000 routes/s: `helpline serve` under wrk (200 connections, 10 s of
/// `POST /v1/calls` on loopback, the load generator sharing the two cores, every request
/// admitted), against the same routes through the library in this process, with the same
/// options (a pool, group commit, as many threads as requests the server admits).
func measureServe(_ run: BenchRun) throws {
    guard let wrk = Measure.which("wrk") else {
        note("wrk is not installed (Scripts/install-deps.sh wrk); skipping the serve measurements")
        return
    }
    let seconds = 10
    let threads = 64
    let db = "\(run.work)/serve.sqlite"
    _ = try BenchSetup.build(path: db)

    // The library, in-process: as many threads as the server has database threads.
    var options = Helpline.Options()
    options.groupCommit = true
    options.backgroundCheckpoint = true
    options.busyTimeout = 1
    let library = try Helpline(path: db, options: options)
    let routed = countOnThreads(threads, seconds: Double(seconds), firstCaller: 10_000_000) { n in
        (try? library.route(to: BenchSetup.helplineNumber, from: BenchSetup.caller(n))) != nil
    }
    let libraryPerS = Double(routed) / Double(seconds)
    emit("serve_library_routes_per_s", libraryPerS, digits: 0)
    // What a SIP proxy sends per answered call: the route, `answered` and `ended`, each a write.
    // On a database of its own: after the routes above, the providers' hourly caps are spent and
    // most calls would go to a callback, with nothing to answer.
    let cyclesDB = "\(run.work)/serve-cycles.sqlite"
    _ = try BenchSetup.build(path: cyclesDB)
    let cyclesLibrary = try Helpline(path: cyclesDB, options: options)
    let cycles = countOnThreads(threads, seconds: 5, firstCaller: 50_000_000) { n in
        guard let r = try? cyclesLibrary.route(to: BenchSetup.helplineNumber, from: BenchSetup.caller(n)), r.outcome == .offer else {
            return false
        }
        return (try? cyclesLibrary.answered(callID: r.callID)) != nil && (try? cyclesLibrary.ended(callID: r.callID)) != nil
    }
    emit("serve_library_call_cycles_per_s", Double(cycles) / 5, digits: 0)
    // `--only serve-library` stops here, for profiling the library's side alone.
    if option("--only") == "serve-library" { return }

    // The server under wrk's closed loop: 200 connections, each asking again as soon as it hears back.
    let token = "bench-\(getpid())"
    // A database of its own, as fresh as the library's was: after the library's routes the
    // providers' hourly caps are spent, and the server would measure callbacks, not offers.
    let serveDB = "\(run.work)/serve-http.sqlite"
    _ = try BenchSetup.build(path: serveDB)
    let (server, port) = try startServer(run, db: serveDB, token: token, log: "\(run.work)/serve.log")
    defer { stopServer(server) }
    let script = "\(run.work)/calls.lua"
    try """
    local n = 0
    request = function()
      n = n + 1
      local caller = string.format("%%2B1%03d%03d%04d", 212 + (n % 7) * 100, 200 + (n * 7919) % 700, (n * 104729) % 10000)
      return wrk.format("POST", "/v1/calls", {["Authorization"] = "Bearer \(token)",
        ["Content-Type"] = "application/x-www-form-urlencoded"}, "to=\(BenchSetup.helplineNumber)&from=" .. caller)
    end
    """.write(toFile: script, atomically: true, encoding: .utf8)
    let load = try wrkRun(wrk, ["-t2", "-c200", "-d\(seconds)s", "--latency", "--timeout", "5s", "-s", script, "http://127.0.0.1:\(port)/v1/calls"])
    let servePerS = Double(load.requests - load.non2xx) / Double(seconds)
    emit("serve_routes_per_s", servePerS, digits: 0)
    emit("serve_route_p99_ms", load.p99ms, digits: 1)
    // Past --max-inflight (64 by default) the server answers 503 at once: the share answered 2xx.
    emit("serve_2xx_share", load.requests > 0 ? Double(load.requests - load.non2xx) / Double(load.requests) : .nan)
    emit("serve_vs_library_ratio", servePerS / libraryPerS)

    // 200 connections, open loop: a fixed call rate, latency from each request's scheduled
    // time (see OpenLoad). Each rate gets a fresh database and server, so no phase routes
    // while the offers of the one before ring out.
    for rate in [1000, 2000, 3000] {
        let openDB = "\(run.work)/serve-open-\(rate).sqlite"
        _ = try BenchSetup.build(path: openDB)
        let (openServer, openPort) = try startServer(run, db: openDB, token: token, log: "\(run.work)/serve-open-\(rate).log")
        defer { stopServer(openServer) }
        let open = OpenLoad(rate: Double(rate), connections: 200, seconds: run.quick ? 6 : 10).run(port: openPort, token: token) { n in
            // `+` in a form body is a space.
            "to=\(BenchSetup.helplineNumber)&from=" + BenchSetup.caller(20_000_000 + n).replacingOccurrences(of: "+", with: "%2B")
        }
        note("open loop \(rate)/s: \(open.sent) sent, \(open.ok) 2xx, \(open.failed) failed, p50 \(String(format: "%.1f", open.p50ms)) ms")
        emit("serve_open_\(rate)_per_s_p99_ms", open.p99ms, digits: 1)
        emit("serve_open_\(rate)_per_s_2xx_share", open.sent > 0 ? Double(open.ok) / Double(open.sent) : .nan)
    }

    // /healthz while another process holds the write lock and 200 connections of routes wait on it.
    let holder = try Measure.spawnHoldingLock(run.sqlite3Bin, db: serveDB)
    let background = try Measure.spawn(
        wrk, ["-t1", "-c200", "-d6s", "--timeout", "5s", "-s", script, "http://127.0.0.1:\(port)/v1/calls"], env: [:], stderrTo: "/dev/null",
        stdoutTo: "/dev/null")
    Thread.sleep(forTimeInterval: 0.5)
    let health = try wrkRun(wrk, ["-t1", "-c4", "-d4s", "--latency", "http://127.0.0.1:\(port)/healthz"])
    var status: Int32 = 0
    waitpid(background, &status, 0)
    holder.release()
    emit("serve_healthz_p99_ms_under_lock", health.p99ms, digits: 2)
}

/// Starts `helpline serve` on a free port, logging as in production (to a file here). It
/// admits all 200 connections (--max-inflight 256), so loads measure HTTP and routing, not
/// shedding: `--max-inflight 64` (the default) measures wrk's flood of resends after each 503.
func startServer(_ run: BenchRun, db: String, token: String, log: String) throws -> (pid: pid_t, port: Int) {
    let server = try Measure.spawn(
        run.helplineBin, ["serve", "--db", db, "--listen", "127.0.0.1:0"] + ["--max-inflight", option("--max-inflight") ?? "256"],
        env: ["HELPLINE_API_TOKEN": token], stderrTo: log)
    guard let port = waitForPort(log: log) else {
        stopServer(server)
        throw BenchError.failed("serve did not start: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
    }
    return (server, port)
}

/// Stops a server by its pid and waits for it to drain and exit.
func stopServer(_ pid: pid_t) {
    kill(pid, SIGTERM)
    var status: Int32 = 0
    waitpid(pid, &status, 0)
}

/// How many times `body` succeeded on `threads` threads of their own in `seconds`; thread `w`
/// passes `firstCaller + w * 1,000,000`, `+ 1`, … so no two calls share a caller. Threads, not
/// concurrentPerform (which runs one per core): group commit needs writers waiting together, as
/// the server's database threads do.
func countOnThreads(_ threads: Int, seconds: Double, firstCaller: Int, _ body: @escaping @Sendable (Int) -> Bool) -> Int {
    let count = Counter()
    let deadline = Measure.now() + seconds
    let group = DispatchGroup()
    for worker in 0..<threads {
        group.enter()
        Thread {
            var n = firstCaller + worker * 1_000_000
            while Measure.now() < deadline {
                if body(n) { count.add() }
                n += 1
            }
            group.leave()
        }.start()
    }
    group.wait()
    return count.value
}

/// A count shared by threads.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}

/// The port `helpline serve --listen 127.0.0.1:0` logged, within 10 s.
func waitForPort(log: String) -> Int? {
    for _ in 0..<200 {
        if let text = try? String(contentsOfFile: log, encoding: .utf8),
            let range = text.range(of: #"address=127\.0\.0\.1:(\d+)"#, options: .regularExpression)
        {
            return Int(text[range].split(separator: ":").last ?? "")
        }
        Thread.sleep(forTimeInterval: 0.05)
    }
    return nil
}

/// What wrk printed: requests, non-2xx answers and the 99th percentile latency.
struct WrkResult {
    var requests = 0
    var non2xx = 0
    var p99ms = Double.nan
}

func wrkRun(_ wrk: String, _ args: [String]) throws -> WrkResult {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("wrk-\(getpid())-\(UUID().uuidString.prefix(6)).txt").path
    defer { try? FileManager.default.removeItem(atPath: out) }
    let r = try Measure.run(wrk, args, captureTo: out)
    let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
    guard r.status == 0 else { throw BenchError.failed("wrk failed: \(text)") }
    var result = WrkResult()
    for line in text.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
        let words = line.split(separator: " ", omittingEmptySubsequences: true)
        if line.hasPrefix("99%"), words.count >= 2 { result.p99ms = milliseconds(String(words[1])) }
        if line.contains("requests in"), let first = words.first { result.requests = Int(first) ?? 0 }
        if line.hasPrefix("Non-2xx or 3xx responses:"), let last = words.last { result.non2xx = Int(last) ?? 0 }
    }
    return result
}

/// wrk's durations: 812.00us, 3.21ms, 1.02s.
func milliseconds(_ text: String) -> Double {
    if text.hasSuffix("us") { return (Double(text.dropLast(2)) ?? .nan) / 1000 }
    if text.hasSuffix("ms") { return Double(text.dropLast(2)) ?? .nan }
    if text.hasSuffix("s") { return (Double(text.dropLast(1)) ?? .nan) * 1000 }
    return .nan
}
