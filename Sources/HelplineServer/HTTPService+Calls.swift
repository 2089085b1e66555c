import Foundation
import HelplineRouting
import Hummingbird

extension HTTPService {
    /// `POST /v1/calls`: routes a call; a resend with the same `external_id` gets the first answer.
    func routeCall(_ f: RequestFields, note: RequestNote) async throws -> Response {
        guard let to = f["to"] else { throw HTTPFailure.missing("to") }
        guard let from = f["from"] else { throw HTTPFailure.missing("from") }
        guard (try? PhoneNumber(parsing: to)) != nil else {
            throw HTTPFailure(
                status: .unprocessableContent, code: "invalid_number", message: "the dialed number is not a phone number",
                hint: "send `to` as E.164 (+18009151270) or ten digits")
        }
        let result = try await route(to: to, from: from, callerState: f["caller_state"], externalID: f["external_id"])
        note.callID = result.callID
        return Self.json(.ok, result)
    }

    /// Routes on the database threads, counting the outcome; an unroutable number is answered
    /// with the call it logged rather than as an error.
    func route(to: String, from: String, callerState: String?, externalID: String?) async throws -> RouteResult {
        let start = ContinuousClock.now
        let helpline = self.helpline
        let result = try await database {
            do {
                return try helpline.route(to: to, from: from, callerState: callerState, externalID: externalID)
            } catch RoutingError.unroutable(_, let callID) {
                return try helpline.routeResult(callID: callID)
            }
        }
        metrics.routed(kind: result.kind.rawValue, outcome: result.outcome.rawValue, seconds: ContinuousClock.now - start)
        return result
    }

    /// `POST /v1/events`: answered, no-answer, busy, failed or ended, by `call_id` or `external_id`.
    func callEvent(_ f: RequestFields, note: RequestNote) async throws -> Response {
        guard let name = f["event"] else { throw HTTPFailure.missing("event") }
        let event = try CallEvent(parsing: name)
        let attempt = try f["attempt"].map { text -> Int in
            guard let n = Int(text), n >= 1 else {
                throw HTTPFailure(status: .unprocessableContent, code: "invalid", message: "attempt must be 1 or more", hint: nil)
            }
            return n
        }
        if event.failure != nil && attempt == nil { throw HTTPFailure.missing("attempt") }
        let callID = try await resolveCall(callID: f["call_id"], externalID: f["external_id"])
        note.callID = callID
        let response = try await apply(event, callID: callID, attempt: attempt)
        metrics.event(event.rawValue)
        return response
    }

    /// The call an event names: its id, or telephony's external id.
    func resolveCall(callID: String?, externalID: String?) async throws -> Int64 {
        if let callID {
            guard let id = Int64(callID), id > 0 else {
                throw HTTPFailure(status: .unprocessableContent, code: "invalid", message: "call_id must be a positive integer", hint: nil)
            }
            return id
        }
        guard let externalID else { throw HTTPFailure.missing("call_id or external_id") }
        let helpline = self.helpline
        return try await database { try helpline.callID(externalID: externalID) }
    }

    /// Records one event; the answer is the call after it, or for a failed offer the next step
    /// in the route shape.
    func apply(_ event: CallEvent, callID: Int64, attempt: Int?) async throws -> Response {
        let helpline = self.helpline
        switch event {
        case .answered:
            return Self.json(.ok, try await database { try helpline.answered(callID: callID, attempt: attempt) })
        case .ended:
            return Self.json(.ok, try await database { try helpline.ended(callID: callID) })
        case .noAnswer, .busy, .failed:
            let failure = event.failure ?? .noAnswer
            var next = try await database { try helpline.noAnswer(callID: callID, attempt: attempt, failure: failure) }
            // HTTP.md promises a resent event the same answer, byte for byte; a proxy that resends
            // after a lost reply must relay exactly what it would have. Only the CLI marks a repeat.
            next.repeated = false
            return Self.json(.ok, next)
        }
    }
}
