import Foundation
import HTTPTypes
import HelplineRouting
import Hummingbird
import NIOCore

extension HTTPService {
    /// `GET /widget[?number=8009151270]`.
    func widget(_ request: Request) async throws -> Response {
        let helpline = self.helpline
        let wanted = request.uri.queryParameters["number"].map(String.init)
        let (numbers, advertisers, terms) = try await database {
            (try helpline.helplineNumbers(), try helpline.advertisers(), try helpline.termsVersion())
        }
        let chosen: HelplineNumber?
        if let wanted {
            let parsed = try? PhoneNumber(parsing: wanted)
            chosen = numbers.first { $0.number == parsed }
        } else {
            chosen = numbers.min { $0.id < $1.id }
        }
        guard let chosen else {
            throw HTTPFailure(status: .notFound, code: "unknown_number", message: "no general number matches", hint: "see helpline number list")
        }
        let banner = try await banner()
        let html = WidgetPage.widget(
            number: chosen.number, bannerLine: banner.line, disclosure: Disclosure.paragraph(advertisers: advertisers), publicBase: publicBase(),
            hasTerms: terms != nil)
        return Self.html(.ok, html)
    }

    /// `POST /v1/callbacks`: public, rate-limited per address; a bot that fills the honeypot gets
    /// exactly what a person gets.
    func callbackRequest(_ request: Request, context: ServerContext, note: RequestNote) async -> Response {
        let browser = Self.prefersHTML(request)
        do {
            guard limiter.allow(Self.clientAddress(peer: context.remoteAddress, forwardedFor: request.headers[Self.forwardedFor])) else {
                throw HTTPFailure.tooMany
            }
            let f = try await fields(request, limit: configuration.callbackBodyLimit)
            guard let phone = f["phone"] else { throw HTTPFailure.missing("phone") }
            let honeypot = f["website"] ?? ""
            let state = f["state"]
            let helpline = self.helpline
            do {
                _ = try await database { try helpline.requestCallback(phoneField: phone, honeypot: honeypot, state: state) }
            } catch RoutingError.honeypotChanged {
                // Logged in rejected_requests by the library; answered as a success.
                metrics.bot()
                note.error = "honeypot"
            } catch let error as InputError {
                let failure = HTTPFailure(error)
                note.error = failure.code
                if browser {
                    return Self.html(
                        .unprocessableContent, WidgetPage.invalid(publicBase: publicBase(), value: phone, error: Self.formError(error)))
                }
                return Self.errorResponse(failure)
            }
            return browser ? Self.html(.created, WidgetPage.thankYou) : Self.json(.created, ["status": "queued"])
        } catch {
            let failure = failure(for: error)
            note.error = failure.code
            guard browser else { return Self.errorResponse(failure) }
            let text: String
            switch failure.status {
            case .contentTooLarge: text = "That request was too large. Please enter only your phone number."
            case .tooManyRequests: text = "Too many requests came from your connection. Please wait a minute and try again."
            case .serviceUnavailable: text = "We could not take your request just now. Please try again in a moment, or call us."
            case .badRequest: text = "The form was incomplete. Please enter your phone number and try again."
            default: text = "Something went wrong on our side. Please call us instead."
            }
            var response = Self.html(failure.status, WidgetPage.sentence(text))
            if failure.status == .serviceUnavailable { response.headers[.retryAfter] = "1" }
            return response
        }
    }

    /// The address a request came from, for the per-address rate limit. Behind the TLS proxy the
    /// server is meant to sit behind, every request comes from loopback: then the proxy's
    /// `X-Forwarded-For` names the client, and its last entry is the one the proxy itself saw
    /// (earlier entries are whatever the client claimed). From any other peer the header is ignored,
    /// so a client can't pick its own address.
    static func clientAddress(peer: String, forwardedFor: String?) -> String {
        let loopback = peer.hasPrefix("127.") || peer == "::1" || peer == "::ffff:127.0.0.1"
        guard loopback, let header = forwardedFor,
            let last = header.split(separator: ",").last.map({ $0.trimmingCharacters(in: .whitespaces) }), !last.isEmpty
        else { return peer }
        return last
    }

    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    /// A person-readable sentence for a bad phone field.
    static func formError(_ error: InputError) -> String {
        if case .invalidState = error { return "Please choose a US state from the list." }
        return "Enter your phone number as (###) ###-####, for example (303) 555-0123."
    }

    /// Whether the client asked for HTML over JSON: a browser posting the form.
    static func prefersHTML(_ request: Request) -> Bool {
        guard let accept = request.headers[.accept]?.lowercased() else { return false }
        guard let html = accept.range(of: "text/html") else { return false }
        guard let json = accept.range(of: "application/json") else { return true }
        return html.lowerBound < json.lowerBound
    }

    static func html(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .contentSecurityPolicy: WidgetPage.contentSecurityPolicy,
                .cacheControl: "no-store",
            ],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
