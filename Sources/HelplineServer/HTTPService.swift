import Foundation
import HelplineRouting
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Synchronization

/// The request context: Hummingbird's, plus the peer's address for the callback form's rate limit.
struct ServerContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The client's IP address, or "unknown".
    let remoteAddress: String

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }
}

/// What a handler learned that the request's log line should carry (never a number or a token).
final class RequestNote: @unchecked Sendable {
    var callID: Int64?
    var error: String?
}

/// Every endpoint of shared/HTTP.md, as one responder: the paths are few and fixed, and one place
/// decides admission (`--max-inflight`), logging and metrics for all of them.
final class HTTPService: HTTPResponder, Sendable {
    typealias Context = ServerContext

    let helpline: Helpline
    let configuration: ServerConfiguration
    let workers: NIOThreadPool
    let logger: Logger
    /// The base URL Twilio signs and the widget links to.
    let publicBase: @Sendable () -> String
    let metrics = ServerMetrics.shared
    let limiter: RateLimiter
    let bannerCache = NIOLockedValueBox<(at: ContinuousClock.Instant, banner: Banner)?>(nil)
    private let inflight = Atomic<Int>(0)

    init(
        helpline: Helpline, configuration: ServerConfiguration, workers: NIOThreadPool, logger: Logger,
        publicBase: @escaping @Sendable () -> String
    ) {
        self.helpline = helpline
        self.configuration = configuration
        self.workers = workers
        self.logger = logger
        self.publicBase = publicBase
        self.limiter = RateLimiter(limit: configuration.callbackRequestsPerMinute, window: .seconds(60))
    }

    /// Requests admitted and not yet answered.
    @Sendable func inflightCount() -> Int { inflight.load(ordering: .relaxed) }

    /// The routes by name, for logs and metrics: a raw path could hold anything, digits included.
    static let routes: Set<String> = [
        "/v1/calls", "/v1/events", "/v1/callbacks", "/v1/banner", "/v1/disclosure", "/widget", "/terms", "/healthz", "/metrics",
        "/twilio/voice", "/twilio/dial-status", "/twilio/number-status", "/twilio/call-status",
    ]

    func respond(to request: Request, context: ServerContext) async throws -> Response {
        let start = ContinuousClock.now
        let path = request.uri.path
        let route = Self.routes.contains(path) ? path : "other"
        let note = RequestNote()
        var response: Response
        if route == "/healthz" || route == "/metrics" {
            // Never admitted or counted: they must answer while everything else is saturated.
            response = await handle(request, route: route, context: context, note: note)
        } else {
            let count = inflight.add(1, ordering: .relaxed).newValue
            metrics.inflight(count)
            if count > configuration.maxInflight {
                response = overloaded(route: route, request: request)
                note.error = "overloaded"
            } else {
                response = await handle(request, route: route, context: context, note: note)
            }
            metrics.inflight(inflight.subtract(1, ordering: .relaxed).newValue)
        }
        let elapsed = ContinuousClock.now - start
        metrics.request(method: request.method.rawValue, route: route, status: response.status.code, duration: elapsed)
        var line: Logger.Metadata = [
            "method": "\(request.method.rawValue)", "path": "\(route)", "status": "\(response.status.code)",
            "latency_ms": "\(String(format: "%.1f", Double(elapsed.nanoseconds) / 1e6))",
        ]
        if let id = note.callID { line["call_id"] = "\(id)" }
        if let error = note.error { line["error"] = "\(error)" }
        logger.info("request", metadata: line)
        return response
    }

    /// Answers one admitted request; every failure becomes its HTTP answer here.
    private func handle(_ request: Request, route: String, context: ServerContext, note: RequestNote) async -> Response {
        do {
            switch (request.method, route) {
            case (.get, "/healthz"): return Self.json(.ok, ["status": "ok"])
            case (.get, "/metrics"):
                try requireToken(request)
                return Response(
                    status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(string: metrics.text())))
            case (.post, "/v1/calls"):
                try requireToken(request)
                return try await routeCall(try await fields(request, limit: configuration.bodyLimit), note: note)
            case (.post, "/v1/events"):
                try requireToken(request)
                return try await callEvent(try await fields(request, limit: configuration.bodyLimit), note: note)
            case (.post, "/v1/callbacks"): return await callbackRequest(request, context: context, note: note)
            case (.get, "/v1/banner"): return Self.json(.ok, BannerBody(try await banner()))
            case (.get, "/v1/disclosure"):
                let names = try await database { try self.helpline.advertisers() }
                return Self.json(
                    .ok, DisclosureBody(text: Disclosure.paragraph(advertisers: names), providers: names.sorted { $0.lowercased() < $1.lowercased() })
                )
            case (.get, "/terms"):
                guard let terms = try await database({ try self.helpline.termsVersion() }) else {
                    throw HTTPFailure(status: .notFound, code: "no_terms", message: "no terms of use are published", hint: nil)
                }
                return Response(
                    status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: terms.text)))
            case (.get, "/widget"): return try await widget(request)
            case (.post, "/twilio/voice"), (.post, "/twilio/dial-status"), (.post, "/twilio/number-status"), (.post, "/twilio/call-status"):
                return try await twilio(request, route: route, note: note)
            case (_, "other"): throw HTTPFailure.notFound
            default:
                throw HTTPFailure(
                    status: .methodNotAllowed, code: "method_not_allowed", message: "\(route) does not take \(request.method.rawValue)", hint: nil)
            }
        } catch {
            let failure = failure(for: error)
            note.error = failure.code
            return Self.errorResponse(failure)
        }
    }

    /// The HTTP failure an error stands for; a busy database is counted.
    func failure(for error: any Error) -> HTTPFailure {
        switch error {
        case let f as HTTPFailure: return f
        case is NIOTooManyBytesError: return .tooLarge
        case let e as RequestFields.Unreadable: return .badRequest(e.reason)
        case let e as any HelplineError:
            let f = HTTPFailure(e)
            if f.code == "busy" { metrics.busy() }
            return f
        case is NIOThreadPoolError.ThreadPoolInactive:
            return HTTPFailure(status: .serviceUnavailable, code: "stopping", message: "the server is stopping", hint: "retry on another instance")
        default:
            logger.error("unexpected error", metadata: ["type": "\(type(of: error))"])
            return HTTPFailure(status: .internalServerError, code: "internal", message: "an internal error occurred", hint: nil)
        }
    }

    // MARK: - Plumbing

    /// Runs a database call on the database threads, never on the cooperative pool.
    func database<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await workers.runIfActive(body)
    }

    /// The body's fields, refusing a body over `limit` bytes at once when Content-Length says so.
    func fields(_ request: Request, limit: Int) async throws -> RequestFields {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit { throw HTTPFailure.tooLarge }
        let buffer = try await request.body.collect(upTo: limit)
        return try RequestFields.parse(Array(buffer.readableBytesView), contentType: request.headers[.contentType])
    }

    /// Checks the API token: `Bearer TOKEN`, or the password of HTTP Basic with any user name.
    func requireToken(_ request: Request) throws {
        guard let header = request.headers[.authorization] else { throw HTTPFailure.unauthorized }
        var given: String?
        if header.lowercased().hasPrefix("bearer ") {
            given = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        } else if header.lowercased().hasPrefix("basic "),
            let data = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
            let pair = String(data: data, encoding: .utf8), let colon = pair.firstIndex(of: ":")
        {
            given = String(pair[pair.index(after: colon)...])
        }
        guard let given, TwilioSignature.constantTimeEqual(given, configuration.apiToken) else { throw HTTPFailure.unauthorized }
    }

    static func json(_ status: HTTPResponse.Status, _ value: some Encodable, headers: HTTPFields = [:]) -> Response {
        jsonText(status, (try? JSONOutput(zone: utc, pretty: false).string(value)) ?? "{}", headers: headers)
    }

    /// A route-shaped answer: the generic encoder's bytes, written by hand (it runs for every
    /// call and every failed offer).
    static func json(_ status: HTTPResponse.Status, _ value: RouteResult) -> Response {
        jsonText(status, value.compactJSON)
    }

    /// A call's answer to an event, written by hand as well (`answered` and `ended` answer with it).
    static func json(_ status: HTTPResponse.Status, _ value: CallRecord) -> Response {
        jsonText(status, value.compactJSON(zone: utc))
    }

    private static func jsonText(_ status: HTTPResponse.Status, _ text: String, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        var body = ByteBuffer(string: text)
        body.writeStaticString("\n")
        return Response(status: status, headers: fields, body: .init(byteBuffer: body))
    }

    private static let utc = TimeZone(identifier: "UTC") ?? .current

    static func errorResponse(_ f: HTTPFailure) -> Response {
        var headers: HTTPFields = [:]
        if f.status == .unauthorized { headers[.wwwAuthenticate] = "Basic realm=\"helpline\"" }
        if f.status == .serviceUnavailable || f.status == .tooManyRequests { headers[.retryAfter] = f.status == .tooManyRequests ? "60" : "1" }
        return json(f.status, ErrorBody(error: .init(code: f.code, message: f.message, hint: f.hint)), headers: headers)
    }

    /// The answer past `--max-inflight`: at once, without reading the body. Twilio gets TwiML
    /// that holds the caller and asks again, since a 503 would drop the call.
    func overloaded(route: String, request: Request) -> Response {
        if route == "/twilio/voice" || route == "/twilio/dial-status", configuration.twilioAuthToken != nil {
            return twiml(retry(request: request, route: route))
        }
        return Self.overloadedResponse
    }

    // The overloaded answer, built once: under a flood it is most of what the server sends, and
    // must cost next to nothing, or shedding load would itself starve the requests admitted.
    // (Its body is a byte buffer, a value: the one response can be sent any number of times.)
    private static let overloadedResponse = errorResponse(.overloaded)

    /// The public banner, computed at most once a minute: the widget and /v1/banner share it.
    func banner() async throws -> Banner {
        let now = ContinuousClock.now
        if let cached = bannerCache.withLockedValue({ $0 }), now - cached.at < .seconds(60) { return cached.banner }
        let fresh = try await database { try self.helpline.banner() }
        bannerCache.withLockedValue { $0 = (now, fresh) }
        return fresh
    }
}

// MARK: - Bodies

struct ErrorBody: Encodable {
    struct Detail: Encodable {
        var code: String
        var message: String
        var hint: String?
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(code, forKey: .code)
            try c.encode(message, forKey: .message)
            try c.encode(hint, forKey: .hint)
        }
        enum CodingKeys: String, CodingKey { case code, message, hint }
    }
    var error: Detail
}

struct BannerBody: Encodable {
    let banner: Banner
    init(_ banner: Banner) { self.banner = banner }
    enum CodingKeys: String, CodingKey {
        case text, withheld, n, responseRate = "response_rate", medianResponseSeconds = "median_response_seconds", days
    }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(banner.line, forKey: .text)
        try c.encode(banner.line == nil, forKey: .withheld)
        try c.encode(banner.calls, forKey: .n)
        try c.encode(banner.responseRate, forKey: .responseRate)
        try c.encode(banner.medianResponseSeconds, forKey: .medianResponseSeconds)
        try c.encode(banner.days, forKey: .days)
    }
}

struct DisclosureBody: Encodable {
    var text: String
    var providers: [String]
}
