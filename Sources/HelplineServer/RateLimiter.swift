import Foundation
import Synchronization

/// At most `limit` requests per `window` from one address: a sliding log per address, pruned as
/// it is read, with the table itself bounded so a flood of addresses can't exhaust memory.
final class RateLimiter: Sendable {
    let limit: Int
    let window: Duration
    private let state = Mutex<[String: [ContinuousClock.Instant]]>([:])
    private let maxAddresses = 100_000

    init(limit: Int, window: Duration) {
        self.limit = limit
        self.window = window
    }

    /// Records a request from `address` and says whether it is within the limit.
    func allow(_ address: String, now: ContinuousClock.Instant = .now) -> Bool {
        state.withLock { table in
            if table.count >= maxAddresses { table.removeAll(keepingCapacity: true) }
            var times = table[address, default: []].filter { now - $0 < window }
            let allowed = times.count < limit
            if allowed { times.append(now) }
            table[address] = times
            return allowed
        }
    }
}
