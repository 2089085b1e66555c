import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Timing and child-process helpers.
enum Measure {
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func median(_ values: [Double]) -> Double {
        let s = values.sorted()
        guard !s.isEmpty else { return .nan }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        let s = values.sorted()
        guard !s.isEmpty else { return .nan }
        return s[min(s.count - 1, max(0, Int((p * Double(s.count)).rounded(.up)) - 1))]
    }

    struct Run {
        let seconds: Double
        let maxRSSKiB: Int
        let status: Int32
        let stdout: String
    }

    /// Runs a program to completion; returns its wall time, its own peak RSS (from wait4) and exit status.
    static func run(_ path: String, _ args: [String], env: [String: String] = [:], captureTo output: String? = nil) throws -> Run {
        let start = now()
        let pid = try spawn(path, args, env: env, stderrTo: "/dev/null", stdoutTo: output ?? "/dev/null")
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let elapsed = now() - start
        let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let text = output.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) } ?? ""
        return Run(seconds: elapsed, maxRSSKiB: usage.ru_maxrss, status: exitStatus, stdout: text)
    }

    /// Starts a program in the background, its output to files; returns its pid. Stop it by pid.
    static func spawn(
        _ path: String, _ args: [String], env: [String: String], stderrTo errPath: String, stdoutTo outPath: String = "/dev/null",
        stdinFrom inPath: String? = nil
    ) throws -> pid_t {
        var fileActions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fileActions)
        defer { posix_spawn_file_actions_destroy(&fileActions) }
        // Read-write, so opening a FIFO doesn't wait for a writer (posix_spawn waits for the child's exec).
        if let inPath { posix_spawn_file_actions_addopen(&fileActions, 0, inPath, O_RDWR, 0) }
        posix_spawn_file_actions_addopen(&fileActions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&fileActions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }
        let argv = ([path] + args).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &fileActions, nil, argv, envp)
        guard rc == 0 else { throw BenchError.failed("cannot start \(path): \(String(cString: strerror(rc)))") }
        return pid
    }

    /// A `sqlite3` shell holding the database's write lock until `release()`: it reads its
    /// commands from a FIFO, so the lock is taken and let go on cue.
    final class LockHolder {
        let pid: pid_t
        let fifo: String
        let writer: FileHandle

        init(sqlite3: String, db: String) throws {
            fifo = db + ".lock-fifo"
            unlink(fifo)
            guard mkfifo(fifo, 0o600) == 0 else { throw BenchError.failed("mkfifo \(fifo) failed") }
            let out = db + ".lock-out"
            pid = try Measure.spawn(sqlite3, [db], env: [:], stderrTo: "/dev/null", stdoutTo: out, stdinFrom: fifo)
            guard let handle = FileHandle(forWritingAtPath: fifo) else { throw BenchError.failed("cannot open \(fifo)") }
            writer = handle
            writer.write(Data("BEGIN IMMEDIATE;\nSELECT 'locked';\n".utf8))
            for _ in 0..<200 where !((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").contains("locked") {
                Thread.sleep(forTimeInterval: 0.01)
            }
        }

        func release() {
            writer.write(Data("ROLLBACK;\n.quit\n".utf8))
            try? writer.close()
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            unlink(fifo)
        }
    }

    static func spawnHoldingLock(_ sqlite3: String, db: String) throws -> LockHolder { try LockHolder(sqlite3: sqlite3, db: db) }

    /// The first executable named `name` on PATH.
    static func which(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }
}
