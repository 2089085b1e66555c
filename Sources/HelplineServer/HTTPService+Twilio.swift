import Foundation
import HTTPTypes
import HelplineRouting
import Hummingbird
import NIOCore

extension HTTPService {
    /// What callers hear. Short, plain sentences: people in crisis call these numbers.
    enum Spoken {
        static let terms = "By calling the helpline you agree to the terms of use."
        static let callback =
            "All of our providers are helping other callers. A provider will call you back at this number as soon as possible. Goodbye."
        static let unreturnable =
            "All of our providers are helping other callers, and we cannot call back a withheld or international number. Please call again in a few minutes."
        static let unroutable = "The number you called is not in service. Please check the number and call again."
        static let hold = "Please hold while we connect your call."
        static let unavailable = "We are sorry, we cannot take your call right now. Please call again in a few minutes."
    }

    /// How many times a caller is held and asked again while the database is busy, before they
    /// are told to call again.
    static let maxRetries = 5

    /// `/twilio/*`: 404 without a Twilio auth token, 403 for a bad signature, else TwiML or 204.
    func twilio(_ request: Request, route: String, note: RequestNote) async throws -> Response {
        guard let token = configuration.twilioAuthToken else { throw HTTPFailure.notFound }
        let f = try await fields(request, limit: configuration.bodyLimit)
        let url = publicBase() + request.uri.description
        guard let signature = request.headers[Self.twilioSignature], TwilioSignature.isValid(signature, token: token, url: url, parameters: f.pairs)
        else { throw HTTPFailure.badSignature }
        let query = request.uri.queryParameters
        let callID = query["call"].flatMap { Int64($0) }
        let attempt = query["attempt"].flatMap { Int($0) }
        note.callID = callID
        switch route {
        case "/twilio/voice":
            do {
                let result = try await self.route(to: f["To"] ?? "", from: f["From"] ?? "", callerState: f["FromState"], externalID: f["CallSid"])
                note.callID = result.callID
                return twiml(verbs(for: result, greet: true))
            } catch {
                return twiml(recover(from: error, request: request, route: route, note: note))
            }
        case "/twilio/dial-status":
            guard let callID, let attempt else { return twiml([TwiML.hangup]) }
            do {
                return twiml(try await dialStatus(f["DialCallStatus"] ?? "", callID: callID, attempt: attempt))
            } catch {
                return twiml(recover(from: error, request: request, route: route, note: note))
            }
        case "/twilio/number-status":
            guard let callID, let attempt else { throw HTTPFailure.badRequest("call and attempt are required in the query") }
            if ["in-progress", "answered"].contains((f["CallStatus"] ?? "").lowercased()) {
                _ = try await apply(.answered, callID: callID, attempt: attempt)
                metrics.event(CallEvent.answered.rawValue)
            }
            return Response(status: .noContent)
        default:  // call-status
            guard let event = CallEvent.twilioCallStatus(f["CallStatus"] ?? "") else { return Response(status: .noContent) }
            let id = try await resolveCall(callID: nil, externalID: f["CallSid"])
            note.callID = id
            _ = try await apply(event, callID: id, attempt: nil)
            metrics.event(event.rawValue)
            return Response(status: .noContent)
        }
    }

    static let twilioSignature = HTTPField.Name("X-Twilio-Signature")!

    /// The `<Dial>` action: records how the offer ended and says what comes next.
    private func dialStatus(_ status: String, callID: Int64, attempt: Int) async throws -> [String] {
        guard let events = CallEvent.twilioDialStatus(status) else { return [TwiML.hangup] }
        let helpline = self.helpline
        for event in events { metrics.event(event.rawValue) }
        switch events {
        case [.answered, .ended]:
            try await database {
                // The number-status callback usually recorded the answer already: that's a repeat.
                _ = try helpline.answered(callID: callID, attempt: attempt)
                _ = try helpline.ended(callID: callID)
            }
            return [TwiML.hangup]
        case [.ended]:
            _ = try await database { try helpline.ended(callID: callID) }
            return [TwiML.hangup]
        default:
            let failure = events.first?.failure ?? .failed
            let next = try await database { try helpline.noAnswer(callID: callID, attempt: attempt, failure: failure) }
            return verbs(for: next, greet: false)
        }
    }

    /// The TwiML verbs for a routing answer.
    func verbs(for result: RouteResult, greet: Bool) -> [String] {
        switch result.outcome {
        case .offer:
            guard let provider = result.provider, let attempt = result.attempt else { return [TwiML.say(Spoken.unavailable), TwiML.hangup] }
            let base = publicBase()
            let query = "call=\(result.callID)&attempt=\(attempt)"
            return (greet ? [TwiML.say(Spoken.terms)] : []) + [
                TwiML.dial(
                    destination: provider.destination, action: "\(base)/twilio/dial-status?\(query)", timeout: provider.ringTimeoutSeconds,
                    statusCallback: "\(base)/twilio/number-status?\(query)")
            ]
        case .callback: return [TwiML.say(Spoken.callback), TwiML.hangup]
        case .unreturnable: return [TwiML.say(Spoken.unreturnable), TwiML.hangup]
        case .unroutable: return [TwiML.say(Spoken.unroutable), TwiML.hangup]
        case .connected, .ended: return [TwiML.hangup]
        }
    }

    /// What a caller hears when their request failed: held and retried while the database is
    /// busy (the retry is idempotent: the call id and external id make a resend change nothing),
    /// else told to call again. Twilio always gets valid TwiML.
    private func recover(from error: any Error, request: Request, route: String, note: RequestNote) -> [String] {
        let failure = failure(for: error)
        note.error = failure.code
        if failure.status == .serviceUnavailable { return retry(request: request, route: route) }
        return [TwiML.say(Spoken.unavailable), TwiML.hangup]
    }

    /// Hold the caller a second and ask again, up to `maxRetries` times.
    func retry(request: Request, route: String) -> [String] {
        var parameters = request.uri.queryParameters.filter { $0.key != "retry" }.map { "\($0.key)=\($0.value)" }
        let tries = request.uri.queryParameters["retry"].flatMap { Int($0) } ?? 0
        guard tries < Self.maxRetries else { return [TwiML.say(Spoken.unavailable), TwiML.hangup] }
        parameters.append("retry=\(tries + 1)")
        return [TwiML.say(Spoken.hold), TwiML.pause(1), TwiML.redirect(publicBase() + route + "?" + parameters.joined(separator: "&"))]
    }

    func twiml(_ verbs: [String]) -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/xml; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: TwiML.response(verbs))))
    }
}
