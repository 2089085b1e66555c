public import Foundation

/// A callback owed to a caller.
public struct Callback: Sendable, Hashable {
    public var id: Int64
    /// The call that ended without an answer; nil for a web-form request.
    public var callID: Int64?
    /// The number to call back; nil once purged.
    public var phone: PhoneNumber?
    public var callerState: String?
    public var reason: CallbackReason
    public var helplineID: Int64?
    /// For a listing call, the listing's provider, the only one that may return it.
    public var owedBy: Int64?
    public var requestedAt: Date
    public var status: CallbackStatus
    public var returnedBy: Int64?
    public var closedAt: Date?
}

extension Callback: Encodable {
    enum CodingKeys: String, CodingKey {
        case id, callID = "call_id", phone, callerState = "caller_state", reason, helplineID = "helpline_id", owedBy = "owed_by"
        case requestedAt = "requested_at", status, returnedBy = "returned_by", closedAt = "closed_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(callID.map { String($0) }, forKey: .callID)
        try c.encode(phone, forKey: .phone)
        try c.encode(callerState, forKey: .callerState)
        try c.encode(reason, forKey: .reason)
        try c.encode(helplineID, forKey: .helplineID)
        try c.encode(owedBy, forKey: .owedBy)
        try c.encode(requestedAt, forKey: .requestedAt)
        try c.encode(status, forKey: .status)
        try c.encode(returnedBy, forKey: .returnedBy)
        try c.encode(closedAt, forKey: .closedAt)
    }
}
