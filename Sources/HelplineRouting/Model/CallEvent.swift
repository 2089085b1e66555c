import Foundation

/// Something telephony reports about a routed call, in the words of `POST /v1/events`.
///
/// Each platform's own status words map to one of these, here in one place, because the mapping
/// decides auto-pause: `noAnswer` and `busy` count toward a provider's run of unanswered offers,
/// `failed` (the network's doing) does not, and `ended` closes the call.
public enum CallEvent: String, Sendable, Hashable, CaseIterable {
    /// The provider answered.
    case answered
    /// The offer rang out.
    case noAnswer = "no-answer"
    /// The provider's line was busy or declined.
    case busy
    /// The leg failed for a reason that is not the provider's.
    case failed
    /// The caller hung up, or the connected call finished.
    case ended

    /// The attempt outcome an unanswered offer records; nil for `answered` and `ended`.
    public var failure: AttemptFailure? {
        switch self {
        case .noAnswer: return .noAnswer
        case .busy: return .busy
        case .failed: return .failed
        case .answered, .ended: return nil
        }
    }

    /// Parses an event name as `POST /v1/events` takes it (`no_answer` is accepted for `no-answer`).
    ///
    /// - Throws: `InputError.invalidChoice` naming the accepted events.
    public init(parsing text: String) throws {
        let name = text.trimmingWhitespace().lowercased().replacingOccurrences(of: "_", with: "-")
        guard let event = CallEvent(rawValue: name) else {
            throw InputError.invalidChoice(field: "event", value: text, choices: CallEvent.allCases.map(\.rawValue))
        }
        self = event
    }

    /// The event for a final SIP response to the INVITE that rang the provider: 2xx answered;
    /// 486, 600 and 603 busy; 408 (the proxy's own timer too) and 480 no-answer; any other 4xx-6xx
    /// failed. Provisional responses (1xx) and redirects (3xx) are no event: nil.
    public init?(sipStatus: Int) {
        switch sipStatus {
        case 200..<300: self = .answered
        case 486, 600, 603: self = .busy
        case 408, 480: self = .noAnswer
        case 400..<700: self = .failed
        default: return nil
        }
    }

    /// The event for Twilio's `DialCallStatus` (the `<Dial>` action callback): `completed` means the
    /// provider answered and the bridge is over, so it is `answered` then `ended`; `canceled` means
    /// the caller hung up while it rang. Unknown statuses are nil.
    public static func twilioDialStatus(_ status: String) -> [CallEvent]? {
        switch status.lowercased() {
        case "busy": return [.busy]
        case "no-answer": return [.noAnswer]
        case "failed": return [.failed]
        case "canceled": return [.ended]
        case "completed", "answered": return [.answered, .ended]
        default: return nil
        }
    }

    /// The event for Twilio's `CallStatus` on the caller's leg (the status callback): a finished
    /// call (`completed`, `busy`, `failed`, `no-answer`, `canceled`) is `ended`; other statuses
    /// (`queued`, `ringing`, `in-progress`) are no event.
    public static func twilioCallStatus(_ status: String) -> CallEvent? {
        ["completed", "busy", "failed", "no-answer", "canceled"].contains(status.lowercased()) ? .ended : nil
    }
}
