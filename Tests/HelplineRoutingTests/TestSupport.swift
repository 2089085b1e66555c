import Foundation
import GRDB
import Testing

@testable import HelplineRouting

/// A fresh folder under the system temp directory, removed when the value goes away.
final class TempDir: @unchecked Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("helpline-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// A clock the tests set by hand.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    init(_ start: Date) { current = start }
    init(_ iso: String) throws { current = try Instant.parse(iso) }

    var now: Date {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    func set(_ iso: String) throws {
        let d = try Instant.parse(iso)
        lock.lock()
        current = d
        lock.unlock()
    }

    func set(_ date: Date) {
        lock.lock()
        current = date
        lock.unlock()
    }

    func advance(seconds: Double) {
        lock.lock()
        current = current.addingTimeInterval(seconds)
        lock.unlock()
    }
}

func instant(_ iso: String) -> Date {
    // Test literals are fixed strings; a typo should fail the test loudly, not crash it.
    (try? Instant.parse(iso)) ?? Date(timeIntervalSince1970: 0)
}

/// Opens a helpline database in `dir` with a test clock and zone.
func openHelpline(_ dir: TempDir, clock: TestClock? = nil, zone: String = "America/New_York", name: String = "h.sqlite")
    throws -> Helpline
{
    var options = Helpline.Options()
    if let clock { options.now = { clock.now } }
    options.defaultTimeZone = try TimeZone(iana: zone)
    return try Helpline(path: dir.path(name), options: options)
}

func phone(_ text: String) throws -> PhoneNumber { try PhoneNumber(parsing: text) }

/// The result of running the built `helpline` binary.
struct CommandResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs the `helpline` binary that `swift test` built next to the test bundle.
enum CLI {
    static var binary: URL {
        if let override = ProcessInfo.processInfo.environment["HELPLINE_BIN"] { return URL(fileURLWithPath: override) }
        // The test bundle lives in the build's bin folder, next to the `helpline` executable.
        var dir = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("helpline")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: ".build/debug/helpline")
    }

    @discardableResult
    static func run(_ arguments: [String], db: String? = nil, env: [String: String] = [:], stdin: String? = nil) throws
        -> CommandResult
    {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["HELPLINE_TZ"] = "America/New_York"
        environment.removeValue(forKey: "HELPLINE_DB")
        if let db { environment["HELPLINE_DB"] = db }
        for (k, v) in env { environment[k] = v }
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes before waiting so a large output can't fill a pipe and stall the child.
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async {
            outData = out.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        errData = err.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return CommandResult(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Runs `count` copies of a bash script at once, each given its number as $1, with $HL the
    /// binary, $OUT the folder for their output and $HELPLINE_DB the database; waits for all.
    static func workers(_ count: Int, script: String, db: String, out: TempDir, env extra: [String: String] = [:]) throws {
        let processes = try (1...count).map { n -> Process in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/bash")
            p.arguments = ["-c", script, "worker", String(n)]
            var env = ProcessInfo.processInfo.environment
            env["HL"] = binary.path
            env["OUT"] = out.url.path
            env["HELPLINE_DB"] = db
            env["HELPLINE_TZ"] = "America/New_York"
            env.merge(extra) { $1 }
            p.environment = env
            try p.run()
            return p
        }
        for p in processes { p.waitUntilExit() }
    }

    /// Creates a database with `helpline init` (the only command besides `demo` that creates
    /// one) and returns its path.
    static func newDatabase(_ dir: TempDir, _ name: String = "h.sqlite") throws -> String {
        let path = dir.path(name)
        let r = try run(["init"], db: path)
        #expect(r.status == 0, "init: \(r.stderr)")
        return path
    }

    /// Starts a `sqlite3` process that runs `statement` inside one transaction and then keeps it
    /// open for about 3 s (a long query), as another tool holding the database would; returns once
    /// the transaction has begun. Wait for the process before the test ends.
    static func holdTransaction(_ db: String, _ statement: String) throws -> Process {
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        holder.arguments = [
            "sqlite3", db,
            statement
                + "; SELECT 1 FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 30000000) SELECT count(*) FROM c); COMMIT;",
        ]
        holder.standardOutput = FileHandle.nullDevice
        try holder.run()
        Thread.sleep(forTimeInterval: 0.3)
        return holder
    }

    /// Runs SQL on a database as another tool would (the sqlite3 shell), outside helpline.
    static func outside(_ path: String, _ statements: String...) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            for statement in statements { try db.execute(sql: statement) }
        }
        try queue.close()
    }

    /// A new database with `providers` providers (A, B, … on 303-555-01NN) and the general
    /// number 8009151270, set up through the CLI as an operator would.
    static func seededDatabase(_ dir: TempDir, providers: Int = 1, name: String = "h.sqlite") throws -> String {
        let db = try newDatabase(dir, name)
        for n in 1...max(providers, 1) {
            let letter = String(UnicodeScalar(UInt8(64 + n)))
            let r = try run(["provider", "add", "--name", letter, "--phone", "30355501\(String(format: "%02d", n))"], db: db)
            #expect(r.status == 0, "provider add: \(r.stderr)")
        }
        let r = try run(["number", "add", "--number", "8009151270"], db: db)
        #expect(r.status == 0, "number add: \(r.stderr)")
        return db
    }

    /// Runs a shell command; returns its exit status.
    @discardableResult
    static func shell(_ command: String) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }

    /// Parses stdout as a JSON object.
    static func json(_ result: CommandResult) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        return try #require(object as? [String: Any], "stdout is not a JSON object: \(result.stdout)")
    }
}

/// A database with three providers, a listing and a helpline, on a test clock.
struct RoutingFixture {
    let dir: TempDir
    let clock: TestClock
    let helpline: Helpline
    let a: Provider
    let b: Provider
    let c: Provider
    let listingNumber = "8885550199"
    let helplineNumber = "8009151270"

    init(
        strategy: RoutingStrategy = .weightedRoundRobin, start: String = "2026-11-25T12:00:00-05:00", terms: Bool = true,
        aFields: [String: String] = [:], bFields: [String: String] = [:], cFields: [String: String] = [:]
    ) throws {
        dir = try TempDir()
        clock = try TestClock(start)
        helpline = try openHelpline(dir, clock: clock)
        a = try helpline.addProvider(fields: ProviderFields(["name": "A", "phone": "3035550101", "weight": "2"].merging(aFields) { $1 }))
        b = try helpline.addProvider(fields: ProviderFields(["name": "B", "phone": "2125550102"].merging(bFields) { $1 }))
        c = try helpline.addProvider(fields: ProviderFields(["name": "C", "phone": "6175550103"].merging(cFields) { $1 }))
        try helpline.addListing(name: "A's center", number: try phone(listingNumber), providerID: a.id)
        try helpline.addHelplineNumber(try phone(helplineNumber), settings: HelplineSettings(strategy: strategy))
        if terms { try helpline.publishTerms("Terms of use v1\n", effectiveAt: instant("2026-01-01T00:00:00Z")) }
    }

    func count(_ table: String) throws -> Int {
        try helpline.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM \(table)") ?? -1 }
    }
}
