public import Foundation

/// A treatment center's tracking number. A call to it always goes to `providerID`.
public struct Listing: Sendable, Hashable, Identifiable {
    public var id: Int64
    public var name: String
    public var number: PhoneNumber
    public var providerID: Int64
    public var createdAt: Date
    /// Set when the listing was removed; removed listings keep their call history.
    public var removedAt: Date?
    /// How long its calls ring the center before a callback is owed, in seconds (default 20).
    public var ringTimeoutSeconds: Int = 20
}
