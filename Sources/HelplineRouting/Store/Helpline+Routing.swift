public import Foundation
import GRDB

extension Helpline {
    /// Routes an incoming call: resolves the dialed number, decides, and writes the call, the
    /// decision, the attempt, the counters, the strategy state and the consent record in ONE
    /// IMMEDIATE transaction. Either all of it is stored or none of it is.
    ///
    /// - Parameters:
    ///   - dialed: the number the caller dialed, in any accepted phone format.
    ///   - caller: the caller's number.
    ///   - callerState: the caller's US state when telephony knows it; otherwise it is looked up
    ///     from the area code.
    ///   - time: when the call arrived; now when nil.
    ///   - externalID: telephony's id for the call. Routing the same id again returns the first
    ///     answer and writes nothing, so a retried webhook can't route a call twice.
    /// - Returns: the offer (or queued callback), fallbacks, verdicts and consent stamp.
    ///   Every caller is routed and logged: a withheld, malformed or international caller ID
    ///   (see `CallerID`) has no state, is never sticky, and is owed no callback.
    /// - Throws: `InputError` for an invalid external id or a time in the future;
    ///   `RoutingError.unroutable` (after logging the call) when the number is neither a listing
    ///   nor a helpline; `StoreError`.
    public func route(
        to dialed: String, from caller: String, callerState: String? = nil, at time: Date? = nil, externalID: String? = nil
    ) throws -> RouteResult {
        // A state telephony sends that is not a known code is not worth losing the call over:
        // it is set aside (the area code decides) and said in the warnings.
        let given = callerState.map { $0.trimmingWhitespace() }.flatMap { $0.isEmpty ? nil : $0 }
        let state = given.flatMap { try? USState(parsing: $0) }
        var result = try route(dialed: dialed, callerID: CallerID(parsing: caller), callerState: state, at: time, externalID: externalID)
        if let given, state == nil {
            result.warnings.append("caller state \(InputError.quote(given)) is not a known code; it was set aside")
        }
        return result
    }

    /// Routes an incoming call from a North American number; see `route(to:from:callerState:at:externalID:)`.
    public func route(
        dialed: String, caller: PhoneNumber, callerState: USState?, at time: Date? = nil, externalID: String? = nil
    ) throws -> RouteResult {
        try route(dialed: dialed, callerID: .number(caller), callerState: callerState, at: time, externalID: externalID)
    }

    /// Routes an incoming call from any caller; see `route(to:from:callerState:at:externalID:)`.
    public func route(
        dialed: String, callerID: CallerID, callerState: USState?, at time: Date? = nil, externalID: String? = nil
    ) throws -> RouteResult {
        let dialedNumber = try? PhoneNumber(parsing: dialed)
        let dialedText = dialedNumber?.e164 ?? String(dialed.trimmingWhitespace().prefix(32))
        if let externalID, externalID.isEmpty || externalID.utf8.count > 128 {
            throw InputError.invalidText(field: "external id", reason: "it must be 1-128 bytes")
        }
        let seed = UInt64.random(in: .min ... .max)
        let caller = callerID.northAmerican
        let result: RouteResult = try write { db in
            // Read once the write lock is held, so routing times follow commit order.
            let when = try eventTime(time)
            // Keyed by the month's secret (see `CallerKeys`). A withheld caller is hashed from a
            // random value: withheld calls are never one "caller".
            let callerHash =
                callerID == .withheld
                ? sha256Hex("withheld:" + UUID().uuidString) : try CallerKeys.hash(callerID.stored, at: when, prepared: preparedKeys, db: db)
            if let externalID,
                let existing = try Int64.fetchOne(
                    db.cachedStatement(sql: "SELECT id FROM calls WHERE external_id = ? AND external_id IS NOT NULL"), arguments: [externalID])
            {
                return try Self.routeResult(callID: existing, db: db)
            }
            let config = try routingConfig(db)
            // Only a North American caller has a state.
            let resolvedState = caller.flatMap { callerState ?? AreaCodes.state(of: $0) }
            let stateSource: String? = caller == nil ? nil : callerState != nil ? "telephony" : (resolvedState != nil ? "area-code" : nil)
            let call = IncomingCall(callerState: resolvedState, receivedAt: when)

            var input = RoutingInput(call: call, target: .unknown)
            var helplineNumber: HelplineNumber?
            var listing: Listing?
            if let number = dialedNumber, let l = config.listingsByNumber[number.e164], let p = config.providers[l.providerID] {
                listing = l
                guard let candidate = try Self.candidates([p], members: nil, at: when, maxCallLength: maxCallLength, db: db).first
                else { throw StoreError.invariant("no candidate for listing \(l.id)") }
                input.target = .listing(candidate)
            } else if let number = dialedNumber, let h = config.helplinesByNumber[number.e164] {
                helplineNumber = h
                let providers = config.providersInOrder
                let members = h.members.map(Set.init)
                input.target = .pool(
                    PoolRules(strategy: h.strategy, maxAttempts: h.maxAttempts),
                    try Self.candidates(providers, members: members, at: when, maxCallLength: maxCallLength, db: db))
                if let caller {
                    input.repeatProviderID = try Self.repeatProvider(
                        caller: caller, helplineID: h.id, windowDays: h.repeatWindowDays, at: when,
                        known: callerHash, prepared: preparedKeys, db: db)
                }
                input.strategyState = StrategyState(
                    currentWeights: h.strategy == .weightedRoundRobin ? try loadWeights(helplineID: h.id, db: db) : [:],
                    seed: seed)
            }

            let decision = Router.decide(input)
            let resolved = ResolvedCall(
                dialed: dialedText, callerID: callerID, callerHash: callerHash, stateSource: stateSource, listing: listing,
                helplineNumber: helplineNumber, externalID: externalID)
            return try self.store(decision: decision, input: input, call: resolved, config: config, db: db)
        }
        if result.outcome == .unroutable {
            // No number in logs: the dialed text is in the call's row.
            logger.notice("unroutable call", metadata: ["call_id": "\(result.callID)"])
            throw RoutingError.unroutable(dialed: dialedText, callID: result.callID)
        }
        return result
    }

    /// What the store resolved about an incoming call before deciding it.
    struct ResolvedCall {
        /// The dialed number as stored: E.164, or the text given when it isn't a number.
        var dialed: String
        var callerID: CallerID
        /// The keyed hash of the caller (random for a withheld caller).
        var callerHash: String
        /// `telephony`, `area-code`, or nil when the caller has no state.
        var stateSource: String?
        var listing: Listing?
        var helplineNumber: HelplineNumber?
        var externalID: String?
    }

    /// Writes a decision and everything that follows from it; returns the route result.
    private func store(decision: Decision, input: RoutingInput, call: ResolvedCall, config: RoutingConfig, db: Database) throws
        -> RouteResult
    {
        let (dialed, callerID, callerHash, stateSource) = (call.dialed, call.callerID, call.callerHash, call.stateSource)
        let (listing, helplineNumber, externalID) = (call.listing, call.helplineNumber, call.externalID)
        let when = input.call.receivedAt
        let ms = when.epochMilliseconds
        var callbackReason: CallbackReason?
        if case .callback(let reason) = decision.outcome { callbackReason = reason }
        // Nobody can take the call and nobody can call back a caller without a North American
        // number: the call ends, unreturnable, and reports count it so.
        let unreturnable = callbackReason != nil && callerID.northAmerican == nil
        let status: CallStatus = unreturnable ? .ended : decision.outcome.callStatus
        try db.cachedStatement(
            sql: """
                INSERT INTO calls (external_id, received_at, caller, caller_sha256, caller_state, caller_state_source, dialed, kind,
                    listing_id, helpline_id, status, sticky, updated_at, caller_kind, ended_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            externalID, ms, callerID.stored, callerHash, input.call.callerState?.code, stateSource, dialed,
            decision.kind.rawValue, listing?.id, helplineNumber?.id, status.rawValue, decision.sticky, ms, callerID.kind, unreturnable ? ms : nil,
        ])
        let callID = db.lastInsertedRowID
        try insertDecision(
            decision, callID: callID, attempt: 1, at: when, stateBefore: DecisionJSON.state(decision.stateBefore),
            input: DecisionJSON.input(input), db: db)
        if decision.kind == .unroutable {
            return RouteResult(
                callID: callID, kind: .unroutable, outcome: .unroutable, provider: nil, attempt: nil, fallbacks: [], sticky: false,
                strategy: decision.strategy, candidates: [], callbackID: nil, callbackReason: nil, consent: nil, warnings: [])
        }

        var offered: RouteResult.OfferedProvider?
        if let providerID = decision.offeredProviderID, let p = config.providers[providerID] {
            let ringTimeout = helplineNumber?.ringTimeoutSeconds ?? listing?.ringTimeoutSeconds ?? 20
            try Self.recordOffer(callID: callID, seq: 1, provider: p, at: when, ringTimeout: ringTimeout, db: db)
            offered = RouteResult.OfferedProvider(id: p.id, name: p.name, phone: p.phone, sipURI: p.sipURI, ringTimeoutSeconds: ringTimeout)
        }
        if let helplineNumber, helplineNumber.strategy == .weightedRoundRobin,
            decision.stateAfter.currentWeights != decision.stateBefore.currentWeights
        {
            let text = DecisionJSON.weights(decision.stateAfter.currentWeights)
            weightsCache.withLock { $0[helplineNumber.id] = (text, decision.stateAfter.currentWeights) }
            try db.cachedStatement(
                sql: """
                    INSERT INTO strategy_state (helpline_id, state, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT (helpline_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at
                    """
            ).execute(arguments: [helplineNumber.id, text, ms])
        }
        let terms = config.terms(at: when)
        var callbackID: Int64?
        if let callbackReason, let caller = callerID.northAmerican {
            callbackID = try Self.queueCallback(
                callID: callID, phone: caller, state: input.call.callerState, reason: callbackReason,
                helplineID: helplineNumber?.id, owedBy: listing?.providerID, at: when, db: db)
        }
        let record = try ConsentLedger.append(
            db: db, kind: .consent, mechanism: .call, callerSHA256: callerHash, callID: callID, callbackID: callbackID, terms: terms,
            at: when)
        return RouteResult(
            callID: callID, kind: decision.kind, outcome: offered != nil ? .offer : unreturnable ? .unreturnable : .callback, provider: offered,
            attempt: offered != nil ? 1 : nil, fallbacks: decision.fallbacks, sticky: decision.sticky, strategy: decision.strategy,
            candidates: decision.verdicts, callbackID: callbackID, callbackReason: callbackReason,
            consent: RouteResult.Consent(termsVersion: terms?.version, termsSHA256: terms?.sha256, record: record.seq),
            warnings: terms == nil ? ["no terms of use are published; the call was routed and its consent record says so"] : [])
    }

    /// Records one decision (attempt 1 for the first, N for the step after attempt N-1) and what
    /// it read, in the caller's transaction.
    func insertDecision(_ decision: Decision, callID: Int64, attempt: Int, at when: Date, stateBefore: String, input: String, db: Database)
        throws
    {
        var callbackReason: CallbackReason?
        if case .callback(let reason) = decision.outcome { callbackReason = reason }
        try db.cachedStatement(
            sql: """
                INSERT INTO routing_decisions (call_id, attempt, decided_at, kind, strategy, outcome, chosen_provider_id, tier, top_tier,
                    tier_weight, sticky, callback_reason, fallbacks, candidate_set_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            callID, attempt, when.epochMilliseconds, decision.kind.rawValue, decision.strategy, decision.outcome.name,
            decision.offeredProviderID, decision.tier, decision.topTier, decision.tierWeight, decision.sticky, callbackReason?.rawValue,
            DecisionJSON.ids(decision.fallbacks), try candidateSetID(DecisionJSON.verdicts(decision.verdicts), db: db),
        ])
        try db.cachedStatement(sql: "INSERT INTO decision_inputs (call_id, attempt, state_before, input) VALUES (?, ?, ?, ?)")
            .execute(arguments: [callID, attempt, stateBefore, input])
    }

    /// The id of a candidate list, stored once. Ids found already committed are remembered (a
    /// list is never changed or deleted); one inserted by this transaction is not, in case the
    /// transaction rolls back.
    func candidateSetID(_ candidates: String, db: Database) throws -> Int64 {
        if let id = candidateSetCache.withLock({ $0[candidates] }) { return id }
        if let id = try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT id FROM candidate_sets WHERE candidates = ?"), arguments: [candidates])
        {
            candidateSetCache.withLock { cache in
                if cache.count > 10_000 { cache.removeAll() }
                cache[candidates] = id
            }
            return id
        }
        try db.cachedStatement(sql: "INSERT INTO candidate_sets (candidates) VALUES (?)").execute(arguments: [candidates])
        return db.lastInsertedRowID
    }

    /// The provider this caller reached (answered) through this helpline within the window.
    ///
    /// - Parameters:
    ///   - known: the caller's hash for `when` when the route has computed it already.
    ///   - prepared: the database's prepared keys.
    static func repeatProvider(
        caller: PhoneNumber, helplineID: Int64, windowDays: Int, at when: Date, known: String? = nil, prepared: PreparedKeys? = nil,
        db: Database
    ) throws -> Int64? {
        guard windowDays > 0 else { return nil }
        let since = when.epochMilliseconds - Int64(windowDays) * 86_400_000
        // The caller's hash under each month's key the window touches.
        let hashes = try CallerKeys.hashes(
            caller.e164, from: Date(epochMilliseconds: since), to: when, known: known.map { ($0, when) }, prepared: prepared, db: db)
        // One index probe per key (an IN list would make SQLite build a temporary table for the
        // values on every call); the latest answered call under any of them wins.
        var latest: (at: Int64, provider: Int64)?
        for hash in hashes {
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT received_at, answered_provider_id FROM calls INDEXED BY calls_repeat_answered
                        WHERE caller_sha256 = ? AND helpline_id = ? AND received_at >= ? AND received_at <= ?
                            AND answered_provider_id IS NOT NULL
                        ORDER BY received_at DESC LIMIT 1
                        """), arguments: [hash, helplineID, since, when.epochMilliseconds])
            if let row, let at: Int64 = row[0], let provider: Int64 = row[1], at > latest?.at ?? .min {
                latest = (at, provider)
            }
        }
        return latest?.provider
    }

    /// The helpline's stored rotation. The text is read every time (other processes move it), but
    /// parsed only when it differs from the last text this process saw.
    func loadWeights(helplineID: Int64, db: Database) throws -> [Int64: Int] {
        guard
            let text = try String.fetchOne(
                db.cachedStatement(sql: "SELECT state FROM strategy_state WHERE helpline_id = ?"), arguments: [helplineID])
        else { return [:] }
        if let cached = weightsCache.withLock({ $0[helplineID] }), cached.text == text { return cached.weights }
        let weights = DecisionJSON.parseWeights(text)
        weightsCache.withLock { $0[helplineID] = (text, weights) }
        return weights
    }

    /// Inserts a pending callback owed for a call; returns its id.
    static func queueCallback(
        callID: Int64?, phone: PhoneNumber, state: USState?, reason: CallbackReason, helplineID: Int64?, owedBy: Int64?, at when: Date,
        db: Database
    ) throws -> Int64 {
        try db.cachedStatement(
            sql: """
                INSERT INTO callbacks (call_id, phone, phone_sha256, caller_state, reason, helpline_id, owed_by, requested_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            callID, phone.e164, try CallerKeys.hash(phone.e164, at: when, db: db), state?.code, reason.rawValue, helplineID, owedBy,
            when.epochMilliseconds,
        ])
        return db.lastInsertedRowID
    }
}
