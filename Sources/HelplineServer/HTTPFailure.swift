import HelplineRouting
import Hummingbird

/// An answer that is an error: its status and the `{"error": {…}}` body HTTP.md specifies.
struct HTTPFailure: Error {
    var status: HTTPResponse.Status
    /// A stable code for programs: `unknown_call`, `busy`, `invalid`…
    var code: String
    var message: String
    var hint: String?

    static func badRequest(_ message: String, hint: String? = nil) -> HTTPFailure {
        HTTPFailure(status: .badRequest, code: "bad_request", message: message, hint: hint)
    }

    static func missing(_ field: String) -> HTTPFailure {
        HTTPFailure(status: .badRequest, code: "missing_field", message: "the field \(field) is missing", hint: "send \(field) in the body")
    }

    static let unauthorized = HTTPFailure(
        status: .unauthorized, code: "unauthorized", message: "a valid API token is required",
        hint: "send Authorization: Bearer TOKEN, or the token as the password of HTTP Basic")
    static let badSignature = HTTPFailure(
        status: .forbidden, code: "bad_signature", message: "the X-Twilio-Signature does not match this request",
        hint: "check --public-url and the auth token")
    static let notFound = HTTPFailure(status: .notFound, code: "not_found", message: "no such path", hint: nil)
    static let tooLarge = HTTPFailure(status: .contentTooLarge, code: "too_large", message: "the body is too large", hint: nil)
    static let tooMany = HTTPFailure(
        status: .tooManyRequests, code: "rate_limited", message: "too many callback requests from this address",
        hint: "try again in a minute")
    static let overloaded = HTTPFailure(
        status: .serviceUnavailable, code: "overloaded", message: "too many requests in flight", hint: "retry after a second")

    /// The status and code for a library error: a person's mistake is 4xx, a busy database 503.
    init(_ error: any HelplineError) {
        self.message = error.message
        self.hint = error.hint
        switch error {
        case let e as StoreError:
            switch e {
            case .busy: (status, code) = (.serviceUnavailable, "busy")
            case .notFound(let kind, _):
                (status, code) = (.notFound, kind.hasPrefix("call") ? "unknown_call" : "not_found")
            case .conflict, .numberInUse, .duplicateProvider: (status, code) = (.conflict, "conflict")
            default: (status, code) = (.internalServerError, "storage")
            }
        case let e as RoutingError:
            switch e {
            case .unknownAttempt: (status, code) = (.notFound, "unknown_attempt")
            case .conflictingEvent, .eventTooEarly, .callbackClosed, .callbackOwedByAnother: (status, code) = (.conflict, "conflict")
            default: (status, code) = (.unprocessableContent, "invalid")
            }
        default:
            switch error.category {
            case .usage: (status, code) = (.badRequest, "bad_request")
            case .badData: (status, code) = (.unprocessableContent, "invalid")
            case .unavailable: (status, code) = (.serviceUnavailable, "busy")
            case .io, .internal: (status, code) = (.internalServerError, "internal")
            }
        }
    }

    init(status: HTTPResponse.Status, code: String, message: String, hint: String?) {
        self.status = status
        self.code = code
        self.message = message
        self.hint = hint
    }
}
