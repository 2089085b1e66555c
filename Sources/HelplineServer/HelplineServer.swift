import Foundation
public import HelplineRouting
import Hummingbird
public import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// How `helpline serve` runs: where it listens, what it trusts, and its limits.
public struct ServerConfiguration: Sendable {
    /// The address to bind (loopback by default: a TLS proxy sits in front).
    public var host = "127.0.0.1"
    /// The port; 0 picks a free one (its number is logged).
    public var port = 8080
    /// The base URL Twilio signs: scheme, host and any port, no trailing slash. Nil: the bound address.
    public var publicURL: String?
    /// Requests (other than /healthz and /metrics) in flight before new ones get 503.
    public var maxInflight = 64
    /// Seconds to finish requests in flight after SIGTERM before exiting 75.
    public var drainTimeout: Double = 10
    /// The bearer token for /v1/calls, /v1/events and /metrics.
    public var apiToken: String
    /// Twilio's auth token; without one, /twilio/* answers 404.
    public var twilioAuthToken: String?
    /// Seconds between sweeps of offers left ringing (`Helpline.closeStaleAttempts(grace:at:)`).
    public var sweepInterval: Double = 5
    /// Seconds a keep-alive connection may sit idle.
    public var idleTimeout: Double = 30
    /// The largest request body, in bytes (64 KB), and the callback form's (16 KB).
    public var bodyLimit = 64 * 1024
    public var callbackBodyLimit = 16 * 1024
    /// Callback requests allowed per address per minute.
    public var callbackRequestsPerMinute = 10

    /// A configuration with the API token; everything else at its default.
    public init(apiToken: String) { self.apiToken = apiToken }

    /// Reads a secret from `$NAME`, or from the file named by `$NAME_FILE` (its first line).
    ///
    /// - Throws: `ServerError.unreadableSecret` when the file can't be read.
    public static func secret(_ name: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String? {
        if let value = environment[name], !value.isEmpty { return value }
        guard let file = environment[name + "_FILE"], !file.isEmpty else { return nil }
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
            throw ServerError.unreadableSecret(variable: name + "_FILE", path: file)
        }
        let line = text.split(whereSeparator: \.isNewline).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        return line.isEmpty ? nil : line
    }

    /// Parses `host:port` (or `[v6]:port`).
    ///
    /// - Throws: `ServerError.badListenAddress`.
    public static func listenAddress(_ text: String) throws -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw ServerError.badListenAddress(text)
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw ServerError.badListenAddress(text) }
        return (host, port)
    }
}

/// Why `helpline serve` can't start.
public enum ServerError: HelplineError, Equatable {
    /// No API token in the environment.
    case noAPIToken
    /// A `*_FILE` variable names a file that can't be read.
    case unreadableSecret(variable: String, path: String)
    /// `--listen` is not `host:port`.
    case badListenAddress(String)
    /// `--public-url` is not an http(s) URL.
    case badPublicURL(String)

    public var category: ErrorCategory { .usage }
    public var message: String {
        switch self {
        case .noAPIToken: return "serve needs an API token, and none is set"
        case .unreadableSecret(let variable, let path): return "\(variable) names \(path), which can't be read"
        case .badListenAddress(let text): return "--listen '\(text)' is not host:port"
        case .badPublicURL(let text): return "--public-url '\(text)' is not an http:// or https:// URL"
        }
    }
    public var hint: String? {
        switch self {
        case .noAPIToken: return "set HELPLINE_API_TOKEN, or HELPLINE_API_TOKEN_FILE to a file that holds it"
        case .unreadableSecret: return "check the path and its permissions"
        case .badListenAddress: return "e.g. --listen 127.0.0.1:8080"
        case .badPublicURL: return "e.g. --public-url https://helpline.example.org"
        }
    }
}

/// `helpline serve`: the HTTP front door for Twilio, SIP proxies and the website (shared/HTTP.md).
public enum HelplineHTTPServer {
    /// Runs the server until SIGTERM or SIGINT, then drains and returns the exit code: 0 when every
    /// request in flight finished, 75 when the drain deadline cut some off (the process exits at
    /// the deadline without returning, so their transactions roll back).
    ///
    /// - Parameters:
    ///   - helpline: the database, opened with a pool (not `singleConnection`), ideally with
    ///     `groupCommit`.
    ///   - configuration: where to listen and the limits.
    ///   - logger: one line per request goes here, never with a phone number or a token.
    /// - Throws: `ServerError` for a bad configuration; NIO's errors when the port can't be bound.
    public static func run(helpline: Helpline, configuration: ServerConfiguration, logger: Logger) throws -> Int32 {
        if let url = configuration.publicURL {
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else { throw ServerError.badPublicURL(url) }
        }
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        Task {
            do {
                outcome.set(.success(try await serve(helpline: helpline, configuration: configuration, logger: logger)))
            } catch {
                outcome.set(.failure(error))
            }
            done.signal()
        }
        done.wait()
        return try outcome.get()
    }

    /// The result handed from the server's task to the waiting thread.
    private final class Outcome: @unchecked Sendable {
        private let lock = NSLock()
        private var value: Result<Int32, any Error> = .success(0)
        func set(_ v: Result<Int32, any Error>) { lock.withLock { value = v } }
        func get() throws -> Int32 { try lock.withLock { value }.get() }
    }

    static func serve(helpline: Helpline, configuration: ServerConfiguration, logger: Logger) async throws -> Int32 {
        // Database calls block their thread (up to the busy timeout), so they run here and never on
        // Swift's cooperative pool, which has one thread per core: /healthz stays instant while
        // SQLite waits. One thread per request allowed in flight, so none queues behind another.
        let workers = NIOThreadPool(numberOfThreads: max(2, min(configuration.maxInflight, 128)))
        workers.start()
        let boundURL = NIOLockedValueBox<String?>(nil)
        let service = HTTPService(helpline: helpline, configuration: configuration, workers: workers, logger: logger) {
            configuration.publicURL ?? boundURL.withLockedValue { $0 } ?? "http://\(configuration.host):\(configuration.port)"
        }
        var serverLogger = logger
        serverLogger.logLevel = min(logger.logLevel, .notice) == logger.logLevel ? logger.logLevel : .notice
        let app = Application(
            responder: service,
            server: .http1(configuration: .init(idleTimeout: .milliseconds(Int64(configuration.idleTimeout * 1000)))),
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port)),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? configuration.port
                boundURL.withLockedValue { $0 = "http://\(configuration.host):\(port)" }
                logger.notice("listening", metadata: ["address": "\(configuration.host):\(port)"])
            },
            logger: serverLogger)
        let sweeper = Sweeper(helpline: helpline, interval: configuration.sweepInterval, workers: workers, logger: logger)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: app), .init(service: sweeper)], gracefulShutdownSignals: [], cancellationSignals: [],
                logger: logger))
        let drain = DrainWatch(timeout: configuration.drainTimeout, inflight: service.inflightCount, logger: logger) {
            await group.triggerGracefulShutdown()
        }
        drain.install()
        try await group.run()
        try? await workers.shutdownGracefully()
        logger.notice("stopped", metadata: ["in_flight": "\(service.inflightCount())"])
        return 0
    }
}

/// Turns SIGTERM and SIGINT into a graceful shutdown, and ends the process at the drain deadline
/// if requests are still running then.
final class DrainWatch: @unchecked Sendable {  // `sources` is only touched under its lock
    let timeout: Double
    let inflight: @Sendable () -> Int
    let logger: Logger
    let shutdown: @Sendable () async -> Void
    private let lock = NSLock()
    private var sources: [any DispatchSourceSignal] = []

    init(timeout: Double, inflight: @escaping @Sendable () -> Int, logger: Logger, shutdown: @escaping @Sendable () async -> Void) {
        self.timeout = timeout
        self.inflight = inflight
        self.logger = logger
        self.shutdown = shutdown
    }

    func install() {
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [self] in begin(signal: sig) }
            source.resume()
            lock.withLock { sources.append(source) }
        }
    }

    private func begin(signal: Int32) {
        let started = lock.withLock { () -> Bool in
            let first = !sources.isEmpty
            sources.forEach { $0.cancel() }
            sources.removeAll()
            return first
        }
        guard started else { return }
        logger.notice("draining", metadata: ["signal": "\(signal)", "in_flight": "\(inflight())", "timeout_s": "\(timeout)"])
        Task { await shutdown() }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { [self] in
            let left = inflight()
            logger.error("drain deadline passed; exiting with requests cut off", metadata: ["in_flight": "\(left)"])
            // _exit: no atexit handlers racing the threads still inside SQLite. Their
            // transactions never commit, so SQLite rolls them back on the next open.
            _exit(left > 0 ? 75 : 0)
        }
    }
}

/// Closes offers left ringing past their timeout, every few seconds, on the database threads.
struct Sweeper: Service {
    let helpline: Helpline
    let interval: Double
    let workers: NIOThreadPool
    let logger: Logger

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                // Cut short by a graceful shutdown, so the sweeper never holds up the drain.
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(Int(interval * 1000))) }
            } catch {
                return
            }
            if Task.isShuttingDownGracefully { return }
            do {
                let swept = try await workers.runIfActive { try helpline.sweep() }
                if !swept.rungOut.isEmpty || !swept.endAssumed.isEmpty {
                    logger.warning(
                        "sweep closed calls whose events were lost",
                        metadata: ["rung_out": "\(swept.rungOut.count)", "end_assumed": "\(swept.endAssumed.count)"])
                }
            } catch {
                logger.warning("sweep failed; it runs again", metadata: ["error": "\(type(of: error))"])
            }
        }
    }
}
