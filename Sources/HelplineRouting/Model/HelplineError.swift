/// What kind of failure an error is, so a front end can choose its response (the CLI maps these
/// to sysexits codes; an HTTP service would map them to status codes).
public enum ErrorCategory: Sendable, Equatable {
    /// The request itself is malformed or asks for nothing (a CLI's exit 64).
    case usage
    /// The input is wrong: an invalid phone number, an unknown id, a changed honeypot.
    case badData
    /// The database is busy past the busy timeout; retrying later may succeed.
    case unavailable
    /// The database can't be opened, read or written, is corrupt, or is newer than this code.
    case io
    /// A bug: an invariant of this library does not hold.
    case `internal`
}

/// The common shape of every error this library throws: a category, a message that names the
/// offending value, and where possible a hint that says what to do about it.
public protocol HelplineError: Error, CustomStringConvertible, Sendable {
    /// How a front end should treat this error.
    var category: ErrorCategory { get }
    /// One line that says what is wrong, naming the offending value.
    var message: String { get }
    /// One line that says how to fix it, when there is something to say.
    var hint: String? { get }
}

extension HelplineError {
    public var description: String {
        hint.map { "\(message) (\($0))" } ?? message
    }
}
