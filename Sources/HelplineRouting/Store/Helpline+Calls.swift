public import Foundation
import GRDB

extension Helpline {
    /// The tables `callState` checks the call's rows of.
    static let checkedByCallState: Set<String> = ["calls", "attempts"]

    /// The tables an event's answer needs no further check of: those `callState` checked, or all
    /// of them for a trusted call.
    static func checkedAfterCallState(trusted: Bool) -> Set<String> { trusted ? Set(callTables) : checkedByCallState }

    /// Records that an offer of the call was answered.
    ///
    /// Idempotent: a resent "answered" (a retransmitted 200 OK) changes nothing and returns the
    /// same call. It is refused when it contradicts the call: an attempt that already went
    /// unanswered (a late event is never credited to the provider offered next), or a call that
    /// moved on to a callback.
    ///
    /// - Parameters:
    ///   - callID: the call's id, from `route`.
    ///   - attempt: which attempt was answered (1, 2, …); nil means the one ringing now.
    ///   - time: when it was answered; now when nil. Not before the attempt was offered.
    /// - Throws: `StoreError.notFound` for an unknown call; `RoutingError.unknownAttempt`, `.conflictingEvent` or
    ///   `.eventTooEarly`; `InputError.futureTime`; `StoreError`.
    @discardableResult
    public func answered(callID: Int64, attempt: Int? = nil, at time: Date? = nil) throws -> CallRecord {
        return try write { db in
            let when = try eventTime(time)
            let trusted = try isTrusted(callID: callID, db: db)
            let call = try Self.callState(callID, db: db, trusted: trusted)
            guard let latest = call.latestAttempt else {
                throw RoutingError.conflictingEvent(callID: callID, event: "answered", state: "\(call.status) with no offer")
            }
            let current =
                try attempt.map { seq in
                    guard let a = call.attempts.first(where: { $0.seq == seq }) else {
                        throw RoutingError.unknownAttempt(callID: callID, attempt: seq)
                    }
                    return a
                } ?? latest
            switch (call.status, current.outcome) {
            case (_, .answered):
                break  // a repeat: the same answer
            case (.ringing, nil) where current.seq == latest.seq:
                try Self.requireNotBefore(when, current.offeredAt, callID: callID, event: "answered", what: "attempt \(current.seq) was offered")
                let ms = when.epochMilliseconds
                try db.cachedStatement(sql: "UPDATE attempts SET outcome = 'answered', answered_at = ? WHERE call_id = ? AND seq = ?").execute(
                    arguments: [ms, callID, current.seq])
                try db.cachedStatement(
                    sql: """
                        UPDATE calls SET status = 'connected', answered_at = ?, answered_provider_id = ?, answered_seq = ?, updated_at = ?
                        WHERE id = ?
                        """
                ).execute(arguments: [ms, current.providerID, current.seq, ms, callID])
                try db.cachedStatement(
                    sql: """
                        INSERT INTO provider_live (provider_id, unanswered_in_a_row) VALUES (?, 0)
                        ON CONFLICT (provider_id) DO UPDATE SET unanswered_in_a_row = 0
                        """
                ).execute(arguments: [current.providerID])
            default:
                throw RoutingError.conflictingEvent(
                    callID: callID, event: "answered",
                    state: Self.describe(status: call.status, attempt: current)
                        + (current.seq != latest.seq ? "; attempt \(latest.seq) was offered since" : ""))
            }
            return try Self.fetchCall(callID, db: db, checked: Self.checkedAfterCallState(trusted: trusted))
        }
    }

    /// Records that an offer went unanswered, and offers the next fallback that is eligible now,
    /// or queues a callback when none is left (a listing call's callback is owed by its provider).
    ///
    /// Idempotent when `attempt` is given: a resent event for an attempt that already failed
    /// returns the same next step and writes nothing.
    ///
    /// - Parameters:
    ///   - callID: the call's id.
    ///   - attempt: which attempt failed (1, 2, …); nil means the current one.
    ///   - failure: no-answer, busy or failed.
    ///   - time: when; now when nil.
    /// - Returns: the next offer, or the queued callback, in `route`'s shape.
    /// - Throws: `StoreError.notFound` for an unknown call; `RoutingError.unknownAttempt` or `.conflictingEvent`.
    @discardableResult
    public func noAnswer(callID: Int64, attempt: Int? = nil, failure: AttemptFailure = .noAnswer, at time: Date? = nil) throws
        -> RouteResult
    {
        return try write { db in
            let when = try eventTime(time)
            let trusted = try isTrusted(callID: callID, db: db)
            let call = try Self.callState(callID, db: db, trusted: trusted)
            guard let current = call.latestAttempt else {
                throw RoutingError.conflictingEvent(callID: callID, event: failure.rawValue, state: "\(call.status) with no offer")
            }
            let target = attempt ?? current.seq
            guard let failed = call.attempts.first(where: { $0.seq == target }) else {
                throw RoutingError.unknownAttempt(callID: callID, attempt: target)
            }
            if failed.outcome == .answered {
                throw RoutingError.conflictingEvent(
                    callID: callID, event: failure.rawValue, state: "answered on attempt \(failed.seq)")
            }
            if failed.outcome != nil {
                // A repeat: the call as it stands, marked so nobody takes it for a new offer.
                var result = try Self.routeResult(callID: callID, db: db, trusted: trusted)
                result.repeated = true
                return result
            }
            guard call.status == .ringing else {
                throw RoutingError.conflictingEvent(callID: callID, event: failure.rawValue, state: call.status.rawValue)
            }
            try Self.requireNotBefore(when, failed.offeredAt, callID: callID, event: failure.rawValue, what: "attempt \(failed.seq) was offered")
            try self.failAttempt(call: call, attempt: failed, failure: failure, at: when, db: db)
            try self.offerNext(call: call, at: when, db: db)
            return try Self.routeResult(callID: callID, db: db, trusted: trusted)
        }
    }

    /// Records that the call ended. A connected call ends normally. A call still ringing ended
    /// because the caller hung up: the offer is marked failed and a callback is queued.
    ///
    /// Idempotent: ending an ended call changes nothing, except a call the sweep ended by
    /// assumption (`endUnheardCalls`), whose real end time this records.
    ///
    /// - Throws: `StoreError.notFound` for an unknown call; `StoreError`.
    @discardableResult
    public func ended(callID: Int64, at time: Date? = nil) throws -> CallRecord {
        return try write { db in
            let when = try eventTime(time)
            let trusted = try isTrusted(callID: callID, db: db)
            let call = try Self.callState(callID, db: db, trusted: trusted)
            let ms = when.epochMilliseconds
            if call.status == .connected, let answeredAt = call.answeredAt {
                try Self.requireNotBefore(when, answeredAt, callID: callID, event: "ended", what: "it was answered")
            } else {
                try Self.requireNotBefore(when, call.receivedAt, callID: callID, event: "ended", what: "it was received")
            }
            switch call.status {
            case .connected:
                // By key, one row: a multi-row UPDATE of an indexed column makes SQLite collect
                // the rows in a temporary table first.
                for answered in call.attempts where answered.outcome == .answered && answered.endedAt == nil {
                    try db.cachedStatement(sql: "UPDATE attempts SET ended_at = ? WHERE call_id = ? AND seq = ?")
                        .execute(arguments: [ms, callID, answered.seq])
                }
                try db.cachedStatement(sql: "UPDATE calls SET status = 'ended', ended_at = ?, updated_at = ? WHERE id = ?").execute(arguments: [
                    ms, ms, callID,
                ])
            case .ringing:
                if let current = call.latestAttempt, current.outcome == nil {
                    try db.cachedStatement(sql: "UPDATE attempts SET outcome = 'failed', ended_at = ? WHERE call_id = ? AND seq = ?").execute(
                        arguments: [ms, callID, current.seq])
                }
                try self.queueCallbackForCall(call, reason: .callerHungUp, at: when, db: db)
                try db.cachedStatement(sql: "UPDATE calls SET ended_at = ?, updated_at = ? WHERE id = ?").execute(arguments: [ms, ms, callID])
            default:
                // ended, callback or unroutable: the phone leg is over; record the first end time only,
                // unless the sweep assumed it: the real end of an answered call replaces that.
                try db.cachedStatement(
                    sql: """
                        UPDATE calls SET ended_at = ?1, end_assumed = 0, updated_at = ?1
                        WHERE id = ?2 AND end_assumed = 1 AND answered_at <= ?1
                        """
                ).execute(arguments: [ms, callID])
                if db.changesCount > 0, let answered = call.attempts.first(where: { $0.outcome == .answered }) {
                    try db.cachedStatement(sql: "UPDATE attempts SET ended_at = ? WHERE call_id = ? AND seq = ?")
                        .execute(arguments: [ms, callID, answered.seq])
                } else {
                    try db.cachedStatement(sql: "UPDATE calls SET ended_at = coalesce(ended_at, ?), updated_at = ? WHERE id = ?")
                        .execute(arguments: [ms, ms, callID])
                }
            }
            return try Self.fetchCall(callID, db: db, checked: Self.checkedAfterCallState(trusted: trusted))
        }
    }

    /// The call routed with telephony's id `externalID`: a SIP proxy knows only its Call-ID when
    /// the caller hangs up, so every event can be addressed by it.
    ///
    /// - Throws: `StoreError.notFound` when no call has that external id.
    public func callID(externalID: String) throws -> Int64 {
        let id = try read { db in
            try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM calls WHERE external_id = ?"), arguments: [externalID])
        }
        guard let id else { throw StoreError.notFound(kind: "call with external id", id: externalID) }
        return id
    }

    /// How long past its ring timeout an attempt may stay ringing before `closeStaleAttempts(grace:at:)`
    /// closes it: telephony's own timer and event delivery get this much slack.
    public static let staleRingGrace: TimeInterval = 30

    /// Closes every attempt still ringing more than `grace` seconds past its ring timeout: its
    /// answer or no-answer event was lost. Each is recorded as `no-answer` and its call moves on
    /// to a callback; it is not offered to anyone else, since nobody is on the line to connect.
    ///
    /// The server runs this on a timer; `helpline sweep` runs it from cron.
    ///
    /// - Parameters:
    ///   - grace: seconds past the ring deadline (default `staleRingGrace`).
    ///   - time: now, when nil.
    /// - Returns: the ids of the calls closed, oldest first.
    /// - Throws: `StoreError`.
    @discardableResult
    public func closeStaleAttempts(grace: TimeInterval = Helpline.staleRingGrace, at time: Date? = nil) throws -> [Int64] {
        try write { db in
            let when = try eventTime(time)
            let cutoff = when.epochMilliseconds - Int64(grace * 1000)
            // A value edited to the wrong type is an error that names its row, not a trap in decoding.
            try ColumnTypes.check(
                "attempts", filter: "outcome IS NULL AND ended_at IS NULL AND ring_deadline < ?", arguments: [cutoff], db: db)
            // The partial index holds only attempts still ringing, so this reads the stale ones alone.
            let stale = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT call_id, seq FROM attempts INDEXED BY attempts_ringing
                        WHERE outcome IS NULL AND ended_at IS NULL AND ring_deadline < ? ORDER BY ring_deadline LIMIT 1000
                        """), arguments: [cutoff])
            var closed: [Int64] = []
            for row in stale {
                let callID: Int64 = row["call_id"]
                let seq: Int = row["seq"]
                let call = try Self.callState(callID, db: db)
                guard call.status == .ringing, let attempt = call.latestAttempt, attempt.seq == seq, attempt.outcome == nil else {
                    // An older attempt left open (an edit by hand): close it without moving the call.
                    try db.cachedStatement(sql: "UPDATE attempts SET outcome = 'no-answer', ended_at = ? WHERE call_id = ? AND seq = ?").execute(
                        arguments: [when.epochMilliseconds, callID, seq])
                    continue
                }
                try failAttempt(call: call, attempt: attempt, failure: .noAnswer, at: when, db: db)
                try queueCallbackForCall(call, reason: .noAnswer, at: when, db: db)
                closed.append(callID)
            }
            if !closed.isEmpty {
                logger.warning("closed attempts left ringing past their timeout", metadata: ["calls": "\(closed.count)"])
            }
            return closed
        }
    }

    /// Ends every call still connected a maximum call length (`maxCallLength`) after it
    /// was answered: its `ended` event was lost. Such a call already stopped counting toward its
    /// provider's concurrency; ending it also lets `purge` redact its caller, which it never
    /// does for a live call.
    ///
    /// The end recorded is the answer time plus the maximum call length, whenever the sweep runs,
    /// and the call is marked `end_assumed` so nobody reads it as measured. A late `ended` event
    /// replaces it with the real time.
    ///
    /// - Parameter time: now, when nil.
    /// - Returns: the ids of the calls ended, oldest answer first (at most 1,000 per run).
    /// - Throws: `StoreError`, also for a stale attempt whose values have the wrong type.
    @discardableResult
    public func endUnheardCalls(at time: Date? = nil) throws -> [Int64] {
        try write { db in
            let when = try eventTime(time)
            // The stored setting as of now: another process may have changed it since this one
            // opened, and this is where a long-running process picks the change up.
            let setting = try Self.readMaxCallLength(db)
            maxCallLengthSetting.withLock { $0 = setting }
            let length = Int64(maxCallLength * 1000)
            // The complement of what `liveCalls` counts as connected at this instant.
            let cutoff = when.epochMilliseconds - length
            let filter = "outcome = 'answered' AND ended_at IS NULL AND answered_at <= ?"
            try ColumnTypes.check("attempts", filter: filter, arguments: [cutoff], db: db)
            let stale = try Row.fetchAll(
                db.cachedStatement(
                    sql:
                        "SELECT call_id, seq, answered_at FROM attempts INDEXED BY attempts_connected WHERE \(filter) ORDER BY answered_at LIMIT 1000"
                ),
                arguments: [cutoff])
            var ended: [Int64] = []
            for row in stale {
                let callID: Int64 = row["call_id"]
                let seq: Int = row["seq"]
                let end = (row["answered_at"] as Int64) + length
                try db.cachedStatement(sql: "UPDATE attempts SET ended_at = ? WHERE call_id = ? AND seq = ?").execute(arguments: [end, callID, seq])
                // Only a call connected through this attempt ends; any other state (an edit by hand)
                // is left as it is, with its stray attempt closed.
                try db.cachedStatement(
                    sql: """
                        UPDATE calls SET status = 'ended', ended_at = ?, end_assumed = 1, updated_at = ?
                        WHERE id = ? AND status = 'connected' AND answered_seq = ?
                        """
                ).execute(arguments: [end, when.epochMilliseconds, callID, seq])
                if db.changesCount > 0 { ended.append(callID) }
            }
            if !ended.isEmpty {
                logger.warning("ended calls whose end event never came", metadata: ["calls": "\(ended.count)"])
            }
            return ended
        }
    }

    /// What one sweep closed.
    public struct Sweep: Sendable, Equatable {
        /// Calls whose offer was left ringing past its timeout: each now waits for a callback.
        public var rungOut: [Int64]
        /// Calls left connected past the maximum call length: each is now ended, its end assumed.
        public var endAssumed: [Int64]
    }

    /// Closes what lost telephony events left open: `closeStaleAttempts(at:)`, then
    /// `endUnheardCalls(at:)`, each in its own transaction.
    ///
    /// - Parameter time: now, when nil.
    /// - Throws: `StoreError`.
    @discardableResult
    public func sweep(at time: Date? = nil) throws -> Sweep {
        Sweep(rungOut: try closeStaleAttempts(at: time), endAssumed: try endUnheardCalls(at: time))
    }

    /// Refuses an event dated before the thing it follows (an answer before its offer, an end
    /// before the call): such times would make negative response times and credit the wrong offer.
    static func requireNotBefore(_ when: Date, _ earliest: Date, callID: Int64, event: String, what: String) throws {
        if when < earliest {
            throw RoutingError.eventTooEarly(callID: callID, event: event, time: when, earliest: earliest, what: what)
        }
    }

    private static func describe(status: CallStatus, attempt: AttemptRecord) -> String {
        switch (status, attempt.outcome) {
        case (.callback, _): return "waiting for a callback after attempt \(attempt.seq) went unanswered"
        case (_, let outcome?): return "\(status.rawValue), attempt \(attempt.seq) \(outcome.rawValue)"
        default: return status.rawValue
        }
    }

    /// Marks an attempt failed, counts it toward the provider's run of unanswered offers, and
    /// auto-pauses the provider when the run reaches its limit.
    private func failAttempt(call: CallState, attempt: AttemptRecord, failure: AttemptFailure, at when: Date, db: Database) throws {
        let ms = when.epochMilliseconds
        try db.cachedStatement(sql: "UPDATE attempts SET outcome = ?, ended_at = ? WHERE call_id = ? AND seq = ?").execute(arguments: [
            failure.rawValue, ms, call.id, attempt.seq,
        ])
        guard failure != .failed else { return }
        try db.cachedStatement(
            sql: """
                INSERT INTO provider_live (provider_id, unanswered_in_a_row) VALUES (?, 1)
                ON CONFLICT (provider_id) DO UPDATE SET unanswered_in_a_row = unanswered_in_a_row + 1
                """
        ).execute(arguments: [attempt.providerID])
        let run =
            try Int.fetchOne(
                db.cachedStatement(sql: "SELECT unanswered_in_a_row FROM provider_live WHERE provider_id = ?"), arguments: [attempt.providerID]) ?? 0
        let provider = try Self.fetchProvider(attempt.providerID, db: db)
        if let limit = provider.autoPauseAfter, run >= limit, provider.status == .active {
            try ConfigHistory.seal(db, source: ConfigHistory.outside)
            try db.cachedStatement(sql: "UPDATE providers SET status = 'paused', updated_at = ?, revision = revision + 1 WHERE id = ?").execute(
                arguments: [ms, provider.id])
            try Self.recordProviderEvent(
                db: db, providerID: provider.id, event: "auto-paused", at: when,
                detail: "\(run) unanswered offers in a row (limit \(limit)); last on call \(call.id)")
            try ConfigHistory.seal(db, source: "auto-pause")
            logger.warning("provider auto-paused", metadata: ["provider_id": "\(provider.id)", "unanswered_in_a_row": "\(run)"])
        }
    }

    /// Decides the step after an attempt went unanswered with `Router.nextOffer`, records that
    /// decision (tied to the attempt it creates), and offers or queues the callback it names.
    private func offerNext(call: CallState, at when: Date, db: Database) throws {
        let first = try StoredDecision.fetch(callID: call.id, attempt: 1, db: db)
        let kind = CallKind(rawValue: call.kind) ?? .unroutable
        let helplineNumber = try call.helplineID.map { try Self.fetchHelpline(id: $0, db: db) }
        let tried = call.attempts.map(\.providerID)
        var candidates: [Candidate] = []
        if kind == .pool, let helplineNumber {
            let config = try routingConfig(db)
            let untried = first.fallbacks.filter { !tried.contains($0) }.compactMap { config.providers[$0] }
            candidates = try Self.candidates(untried, members: helplineNumber.members.map(Set.init), at: when, maxCallLength: maxCallLength, db: db)
        }
        let input = NextOfferInput(
            kind: kind, strategy: first.strategy ?? "none", plan: first.fallbacks, tried: tried, maxAttempts: helplineNumber?.maxAttempts ?? 1,
            candidates: candidates, call: IncomingCall(callerState: try call.callerState.map(USState.init(parsing:)), receivedAt: when))
        let decision = Router.nextOffer(input)
        let attempt = call.attempts.count + 1
        try insertDecision(
            decision, callID: call.id, attempt: attempt, at: when, stateBefore: DecisionJSON.state(decision.stateBefore),
            input: DecisionJSON.input(input, attempt: attempt), db: db)
        if let providerID = decision.offeredProviderID, let next = candidates.first(where: { $0.provider.id == providerID }) {
            try Self.recordOffer(
                callID: call.id, seq: attempt, provider: next.provider, at: when, ringTimeout: helplineNumber?.ringTimeoutSeconds ?? 20, db: db)
            try db.cachedStatement(sql: "UPDATE calls SET updated_at = ? WHERE id = ?").execute(arguments: [when.epochMilliseconds, call.id])
            return
        }
        try queueCallbackForCall(call, reason: .noAnswer, at: when, db: db)
    }

    /// Moves a call to "waiting for a callback" and queues it, unless one is already queued.
    private func queueCallbackForCall(_ call: CallState, reason: CallbackReason, at when: Date, db: Database) throws {
        let ms = when.epochMilliseconds
        guard let caller = try? PhoneNumber(stored: call.caller) else {
            // A withheld or international caller can't be called back: the call ends unreturnable.
            try db.cachedStatement(sql: "UPDATE calls SET status = 'ended', ended_at = coalesce(ended_at, ?), updated_at = ? WHERE id = ?").execute(
                arguments: [ms, ms, call.id])
            return
        }
        try db.cachedStatement(sql: "UPDATE calls SET status = 'callback', updated_at = ? WHERE id = ?").execute(arguments: [ms, call.id])
        if try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM callbacks WHERE call_id = ?"), arguments: [call.id]) != nil { return }
        var owedBy: Int64?
        if let listingID = call.listingID {
            owedBy = try Int64.fetchOne(db.cachedStatement(sql: "SELECT provider_id FROM listings WHERE id = ?"), arguments: [listingID])
        }
        if try ConsentLedger.isRevoked(caller: caller, db: db) { return }
        _ = try Self.queueCallback(
            callID: call.id, phone: caller, state: try call.callerState.map(USState.init(parsing:)), reason: reason,
            helplineID: call.helplineID, owedBy: owedBy, at: when, db: db)
    }

}
