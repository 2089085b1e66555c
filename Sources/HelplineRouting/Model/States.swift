import Foundation

/// Where a call stands, as stored in `calls.status`.
public enum CallStatus: String, Sendable, Hashable, CaseIterable, Codable {
    /// An offer is ringing.
    case ringing
    /// A provider answered and the call is on.
    case connected
    /// The call is over: answered and ended, or unanswered with nobody to call back.
    case ended
    /// Nobody answered; a callback is owed (or the caller revoked consent).
    case callback
    /// The dialed number is neither a listing nor a helpline.
    case unroutable
}

/// Where a callback stands, as stored in `callbacks.status`.
public enum CallbackStatus: String, Sendable, Hashable, CaseIterable, Codable {
    case pending
    case returned
    case abandoned
    /// Closed because the caller revoked consent.
    case revoked
}

/// The one place stored status text becomes a typed state: a value the schema's CHECK would
/// refuse can only come from a damaged file, and is named as such.
enum StateCodec {
    static func decode<State: RawRepresentable>(_ text: String, as: State.Type, table: String, row: Int64, column: String) throws -> State
    where State.RawValue == String {
        guard let state = State(rawValue: text) else {
            throw StoreError.badValue(path: "", table: table, row: row, column: column, found: "'\(text.prefix(20))'", expected: "a \(column)")
        }
        return state
    }
}
