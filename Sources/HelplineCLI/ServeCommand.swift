import ArgumentParser
import Foundation
import HelplineRouting

/// What `helpline serve` was asked for, as parsed: the server itself is linked in by the
/// `helpline` executable (`ServeCommand.start`), so this target needs no web server to build.
public struct ServeRequest: Sendable {
    /// `host:port` to listen on.
    public var listen: String
    /// The base URL Twilio signs, when the server sits behind a TLS proxy; nil: `http://` + listen.
    public var publicURL: String?
    public var maxInflight: Int
    public var drainTimeout: Double
    public var busyTimeout: Double
    /// The database as the shared options name it.
    public var databasePath: String
    public var durability: Helpline.Durability
    /// Options for opening the database, as every other command gets them (zone, clock offset).
    public var options: Helpline.Options
}

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve HTTP for Twilio, SIP proxies and the website's widget and callback form.",
        discussion: """
            Secrets never come from the command line.
              $HELPLINE_API_TOKEN, or a file named by $HELPLINE_API_TOKEN_FILE:
                the bearer token for /v1/calls, /v1/events and /metrics;
                without one, serve refuses to start (exit 64).
              $HELPLINE_TWILIO_AUTH_TOKEN, or $HELPLINE_TWILIO_AUTH_TOKEN_FILE:
                checks Twilio's signatures; without one, /twilio/* answers 404.

            SIGTERM or SIGINT stops accepting, finishes requests in flight within --drain-timeout and \
            exits 0; exit 75 when the deadline cut requests off (their transactions roll back).
            Examples:
              helpline serve --listen 127.0.0.1:8080
              helpline serve --public-url https://helpline.example.org
            """)
    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("Address and port to listen on.", valueName: "host:port")) var listen = "127.0.0.1:8080"
    @Option(help: ArgumentHelp("The public base URL Twilio signs (behind a TLS proxy it differs from --listen).", valueName: "url"))
    var publicUrl: String?
    @Option(help: "Requests in flight before new ones get 503 with Retry-After: 1.") var maxInflight = 64
    @Option(help: ArgumentHelp("Seconds to finish requests in flight after SIGTERM.", valueName: "seconds")) var drainTimeout = 10.0

    /// Set by the `helpline` executable: starts the server and returns the exit code.
    nonisolated(unsafe) static var start: ((ServeRequest) throws -> Int32)?

    func validate() throws {
        guard (1...100_000).contains(maxInflight) else { throw ValidationError("--max-inflight must be 1-100000") }
        guard drainTimeout >= 0, drainTimeout <= 3600 else { throw ValidationError("--drain-timeout must be 0-3600 seconds") }
    }

    func run() throws {
        var settings = global.settings
        // serve's callers time out (Kamailio after 2 s): waiting longer for the lock could commit
        // a call after its caller gave up.
        if settings.busyTimeout == nil && DatabaseSettings.environment("HELPLINE_BUSY_TIMEOUT") == nil { settings.busyTimeout = 1 }
        var options = try settings.options(migrate: true, create: false)
        options.singleConnection = false
        options.groupCommit = true
        options.backgroundCheckpoint = true
        options.changeSource = "helpline serve"
        let request = ServeRequest(
            listen: listen, publicURL: publicUrl, maxInflight: maxInflight, drainTimeout: drainTimeout,
            busyTimeout: options.busyTimeout, databasePath: settings.path, durability: options.durability, options: options)
        guard let start = Self.start else {
            throw CLIError.badUsage("this build of helpline has no server", hint: "build the `helpline` executable, which links HelplineServer")
        }
        let code = try start(request)
        if code != 0 { Foundation.exit(code) }
    }
}

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Close calls that lost telephony events left open: ringing past the timeout, or connected too long.",
        discussion: """
            A lost answer or no-answer event would leave a call ringing forever: an offer still ringing 30 s \
            past its ring timeout is closed as no-answer, and the call waits for a callback. A lost end event \
            would leave a call connected forever, and `purge` never redacts a live call: a call still \
            connected the maximum call length (2 hours) after its answer is ended then, marked \
            `end_assumed`; a late end event replaces the assumed time with the real one. \
            `helpline serve` does this itself every few seconds; deployments without the server run it from \
            cron every minute. Prints the ids of the calls it closed, one per line; with --json, \
            {"closed_calls": [rung out], "ended_calls": [ended by assumption]}.
            Example (crontab):
              * * * * * helpline sweep --db /var/lib/helpline/helpline.sqlite
            """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var at: AtOption
    @OptionGroup var output: JSONFlag

    func run() throws {
        let when = try at.instant()
        let swept = try global.open().sweep(at: when)
        if output.json {
            try Output.json(["closed_calls": swept.rungOut.map(String.init), "ended_calls": swept.endAssumed.map(String.init)])
        } else {
            for id in (swept.rungOut + swept.endAssumed).sorted() { print(id) }
        }
    }
}
