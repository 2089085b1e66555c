public import Foundation

/// A call or callback event that can't be carried out. Every case names the call or value.
public enum RoutingError: HelplineError, Equatable {
    /// The dialed number is neither an active listing nor a helpline. The call was logged.
    case unroutable(dialed: String, callID: Int64)
    /// The event contradicts the call's state, such as "no-answer" after "answered".
    case conflictingEvent(callID: Int64, event: String, state: String)
    /// An attempt number that the call never made.
    case unknownAttempt(callID: Int64, attempt: Int)
    /// An event dated before what it follows: an answer before its offer, an end before the call.
    case eventTooEarly(callID: Int64, event: String, time: Date, earliest: Date, what: String)
    /// The callback is already closed.
    case callbackClosed(id: Int64, status: String)
    /// A listing call's callback may only be returned by the listing's own provider.
    case callbackOwedByAnother(id: Int64, owedBy: Int64)
    /// The web form's honeypot field was changed: a bot. Nothing was queued.
    case honeypotChanged
    /// The caller revoked consent; no callback is queued for them.
    case consentRevoked(callerMasked: String)

    public var category: ErrorCategory { .badData }

    public var message: String {
        switch self {
        case .unroutable(let dialed, let callID):
            return "\(InputError.quote(dialed)) is not a listing or helpline number (logged as unroutable call \(callID))"
        case .conflictingEvent(let callID, let event, let state):
            return "call \(callID) can't take '\(event)': it is \(state)"
        case .unknownAttempt(let callID, let attempt): return "call \(callID) has no attempt \(attempt)"
        case .eventTooEarly(let callID, let event, let time, let earliest, let what):
            let utc = TimeZone(identifier: "UTC") ?? .current
            return "call \(callID) can't take '\(event)' at \(Instant.format(time, in: utc)): \(what) at \(Instant.format(earliest, in: utc))"
        case .callbackClosed(let id, let status): return "callback \(id) is already \(status)"
        case .callbackOwedByAnother(let id, let owedBy):
            return "callback \(id) is for a listing call and is owed by provider \(owedBy)"
        case .honeypotChanged: return "the form's honeypot field was changed; the request looks automated and was rejected"
        case .consentRevoked(let caller): return "\(caller) revoked consent; no callback is queued"
        }
    }

    public var hint: String? {
        switch self {
        case .unroutable: return "add the number with `helpline number add` or `helpline listing add`, or check the dialed number"
        case .conflictingEvent: return "see the call's history with `helpline call show ID`"
        case .unknownAttempt: return "see the call's attempts with `helpline call show ID`"
        case .eventTooEarly: return "check --at (or the peer's clock): an event can't precede what it follows"
        case .callbackClosed: return nil
        case .callbackOwedByAnother(_, let owedBy): return "complete it with --provider \(owedBy)"
        case .honeypotChanged: return "the honeypot must be left unchanged; people never see it"
        case .consentRevoked: return "a new call or form request from the caller records consent again"
        }
    }
}
