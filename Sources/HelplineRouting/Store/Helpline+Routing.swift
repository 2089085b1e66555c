import Foundation
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
                callerID == .withheld ? sha256Hex("withheld:" + UUID().uuidString) : try CallerKeys.hash(callerID.stored, at: when, db: db)
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
            var helpline: HelplineNumber?
            var listing: Listing?
            if let number = dialedNumber, let l = config.listingsByNumber[number.e164], let p = config.providers[l.providerID] {
                listing = l
                guard let candidate = try Self.candidates([p], members: nil, at: when, options: options, db: db).first
                else { throw StoreError.sqlite(code: 0, message: "no candidate for listing \(l.id)") }
                input.target = .listing(l, candidate)
            } else if let number = dialedNumber, let h = config.helplinesByNumber[number.e164] {
                helpline = h
                let providers = config.providersInOrder
                let members = h.members.map(Set.init)
                input.target = .helpline(h, try Self.candidates(providers, members: members, at: when, options: options, db: db))
                if let caller {
                    input.repeatProviderID = try Self.repeatProvider(
                        caller: caller, helplineID: h.id, windowDays: h.repeatWindowDays, at: when, db: db)
                }
                input.strategyState = StrategyState(
                    currentWeights: h.strategy == .weightedRoundRobin ? try loadWeights(helplineID: h.id, db: db) : [:],
                    seed: seed)
            }

            let decision = Router.decide(input)
            return try self.store(
                decision: decision, input: input, dialed: dialedText, callerID: callerID, callerHash: callerHash, stateSource: stateSource,
                listing: listing, helpline: helpline, externalID: externalID, config: config, db: db)
        }
        if result.outcome == .unroutable {
            logger.notice("unroutable call", metadata: ["call_id": "\(result.callID)", "dialed": "\(dialedText)"])
            throw RoutingError.unroutable(dialed: dialedText, callID: result.callID)
        }
        return result
    }

    /// Writes a decision and everything that follows from it; returns the route result.
    private func store(
        decision: Decision, input: RoutingInput, dialed: String, callerID: CallerID, callerHash: String, stateSource: String?,
        listing: Listing?,
        helpline: HelplineNumber?, externalID: String?, config: RoutingConfig, db: Database
    ) throws -> RouteResult {
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
            decision.kind.rawValue, listing?.id, helpline?.id, status.rawValue, decision.sticky, ms, callerID.kind, unreturnable ? ms : nil,
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
            try Self.recordOffer(callID: callID, seq: 1, provider: p, at: when, ringTimeout: helpline?.ringTimeoutSeconds ?? 20, db: db)
            offered = RouteResult.OfferedProvider(id: p.id, name: p.name, phone: p.phone)
        }
        if let helpline, helpline.strategy == .weightedRoundRobin, decision.stateAfter.currentWeights != decision.stateBefore.currentWeights {
            let text = DecisionJSON.weights(decision.stateAfter.currentWeights)
            weightsCache.withLock { $0[helpline.id] = (text, decision.stateAfter.currentWeights) }
            try db.cachedStatement(
                sql: """
                    INSERT INTO strategy_state (helpline_id, state, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT (helpline_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at
                    """
            ).execute(arguments: [helpline.id, text, ms])
        }
        let terms = config.terms(at: when)
        var callbackID: Int64?
        if let callbackReason, let caller = callerID.northAmerican {
            callbackID = try Self.queueCallback(
                callID: callID, phone: caller, state: input.call.callerState, reason: callbackReason,
                helplineID: helpline?.id, owedBy: listing?.providerID, at: when, db: db)
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

    /// Writes one offer: the attempt, the provider's hour, day and month counters in its own zone,
    /// and its last-offer time.
    static func recordOffer(callID: Int64, seq: Int, provider: Provider, at when: Date, ringTimeout: Int, db: Database) throws {
        let ms = when.epochMilliseconds
        try db.cachedStatement(
            sql: "INSERT INTO attempts (call_id, seq, provider_id, offered_at, ring_deadline) VALUES (?, ?, ?, ?, ?)"
        ).execute(arguments: [callID, seq, provider.id, ms, ms + Int64(ringTimeout) * 1000])
        let local = CivilTime(when, in: provider.timeZone)
        // Each period's count restarts when its key moves on; an offer backdated into an
        // earlier period than the row holds leaves the current counts alone.
        try db.cachedStatement(
            sql: """
                INSERT INTO provider_live (provider_id, hour_key, hour_offered, day_key, day_offered, month_key, month_offered, last_offer_at)
                VALUES (?4, ?1, 1, ?2, 1, ?3, 1, ?5)
                ON CONFLICT (provider_id) DO UPDATE SET
                    hour_offered = CASE WHEN hour_key = excluded.hour_key THEN hour_offered + 1
                                        WHEN hour_key < excluded.hour_key THEN 1 ELSE hour_offered END,
                    hour_key = max(hour_key, excluded.hour_key),
                    day_offered = CASE WHEN day_key = excluded.day_key THEN day_offered + 1
                                       WHEN day_key < excluded.day_key THEN 1 ELSE day_offered END,
                    day_key = max(day_key, excluded.day_key),
                    month_offered = CASE WHEN month_key = excluded.month_key THEN month_offered + 1
                                         WHEN month_key < excluded.month_key THEN 1 ELSE month_offered END,
                    month_key = max(month_key, excluded.month_key),
                    last_offer_at = max(coalesce(last_offer_at, 0), excluded.last_offer_at)
                """
        ).execute(arguments: [local.hourKey, local.dayKey, local.monthKey, provider.id, ms])
    }

    /// Builds candidates with their live counters: offers this local hour, day and month (read
    /// from one live row per provider, never counted over calls), calls ringing or connected,
    /// and last offer times.
    static func candidates(
        _ providers: [Provider], members: Set<Int64>?, at when: Date, options: Options, db: Database
    ) throws -> [Candidate] {
        let locals = providers.map { CivilTime(when, in: $0.timeZone) }
        var index: [Int64: Int] = [:]
        index.reserveCapacity(providers.count)
        for (i, p) in providers.enumerated() { index[p.id] = i }
        var counters = [LiveCounters](repeating: LiveCounters(), count: providers.count)
        let rows = try Row.fetchCursor(
            db.cachedStatement(
                sql: """
                    SELECT provider_id, hour_key, hour_offered, day_key, day_offered, month_key, month_offered, last_offer_at
                    FROM provider_live
                    """))
        let ms = when.epochMilliseconds
        var behind: [Int] = []
        while let row = try rows.next() {
            // The row holds the counts of the latest periods offered in. A key equal to the
            // call's period is its count; an earlier key means nothing was offered yet in this
            // period. A later key means this call lies behind the live periods (a backfill, a
            // race at a boundary, a future-dated offer): its counts come from the attempts.
            guard let i = index[row[0]] else { continue }
            let local = locals[i]
            let hourKey: Int = row[1]
            let dayKey: Int = row[3]
            let monthKey: Int = row[5]
            let last: Int64? = row[7]
            if hourKey > local.hourKey || dayKey > local.dayKey || monthKey > local.monthKey || (last ?? 0) > ms {
                behind.append(i)
                continue
            }
            if hourKey == local.hourKey { counters[i].hour = row[2] }
            if dayKey == local.dayKey { counters[i].day = row[4] }
            if monthKey == local.monthKey { counters[i].month = row[6] }
            if let last { counters[i].lastOfferAt = Date(epochMilliseconds: last) }
        }
        for i in behind {
            counters[i] = try recount(providerID: providers[i].id, zone: providers[i].timeZone, at: when, db: db)
        }
        let live = try Row.fetchCursor(
            db.cachedStatement(
                sql: """
                    SELECT provider_id, count(*) FROM (
                        SELECT provider_id FROM attempts INDEXED BY attempts_ringing
                        WHERE outcome IS NULL AND ended_at IS NULL AND ring_deadline > ?1 AND offered_at <= ?1
                        UNION ALL
                        SELECT provider_id FROM attempts INDEXED BY attempts_connected
                        WHERE outcome = 'answered' AND ended_at IS NULL AND answered_at > ?2 AND answered_at <= ?1)
                    GROUP BY provider_id
                    """), arguments: [ms, ms - Int64(options.maxCallLength * 1000)])
        while let row = try live.next() {
            if let i = index[row[0]] { counters[i].concurrent = row[1] }
        }
        var result: [Candidate] = []
        result.reserveCapacity(providers.count)
        for (i, p) in providers.enumerated() {
            result.append(Candidate(provider: p, counters: counters[i], isMember: members.map { $0.contains(p.id) } ?? true))
        }
        return result
    }

    /// A provider's offers in the local hour, day and month of `when`, and its last offer up to
    /// `when`, counted from its attempts: for a call that lies behind the live counters' periods.
    /// It reads the attempts of a month each side of `when` through the `attempts_offered` index,
    /// so it costs more than the live row and is used only when the row can't answer.
    static func recount(providerID: Int64, zone: TimeZone, at when: Date, db: Database) throws -> LiveCounters {
        let local = CivilTime(when, in: zone)
        let ms = when.epochMilliseconds
        var counters = LiveCounters()
        var last: Int64?
        let rows = try Int64.fetchCursor(
            db.cachedStatement(
                sql: "SELECT offered_at FROM attempts INDEXED BY attempts_offered WHERE offered_at BETWEEN ? AND ? AND provider_id = ?"),
            arguments: [ms - 33 * 86_400_000, ms + 33 * 86_400_000, providerID])
        while let at = try rows.next() {
            if at <= ms { last = max(last ?? at, at) }
            let t = CivilTime(Date(epochMilliseconds: at), in: zone)
            guard t.monthKey == local.monthKey else { continue }
            counters.month += 1
            guard t.dayKey == local.dayKey else { continue }
            counters.day += 1
            if t.hourKey == local.hourKey { counters.hour += 1 }
        }
        if last == nil {
            last = try Int64.fetchOne(
                db.cachedStatement(
                    sql: "SELECT max(offered_at) FROM attempts INDEXED BY attempts_offered WHERE offered_at <= ? AND provider_id = ?"),
                arguments: [ms, providerID])
        }
        counters.lastOfferAt = last.map(Date.init(epochMilliseconds:))
        return counters
    }

    /// The provider this caller reached (answered) through this helpline within the window.
    static func repeatProvider(caller: PhoneNumber, helplineID: Int64, windowDays: Int, at when: Date, db: Database) throws -> Int64? {
        guard windowDays > 0 else { return nil }
        let since = when.epochMilliseconds - Int64(windowDays) * 86_400_000
        // The caller's hash under each month's key the window touches.
        let hashes = try CallerKeys.hashes(caller.e164, from: Date(epochMilliseconds: since), to: when, db: db)
        return try Int64.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT answered_provider_id FROM calls
                    WHERE \(CallerKeys.inList("caller_sha256", hashes.count)) AND helpline_id = ? AND received_at >= ? AND received_at <= ?
                        AND answered_provider_id IS NOT NULL
                    ORDER BY received_at DESC LIMIT 1
                    """), arguments: StatementArguments(hashes) + [helplineID, since, when.epochMilliseconds])
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

/// The JSON stored in `routing_decisions`, written by hand: it is on the routing path for every
/// call, so it is compact, and its shapes are documented in the migration for auditors.
enum DecisionJSON {
    static func ids(_ ids: [Int64]) -> String {
        var w = CompactJSON(capacity: ids.count * 4 + 2)
        w.byte(UInt8(ascii: "["))
        for (i, id) in ids.enumerated() {
            if i > 0 { w.byte(UInt8(ascii: ",")) }
            w.int(id)
        }
        w.byte(UInt8(ascii: "]"))
        return w.string
    }

    /// `[[id,tier,weight],[id,tier,"reason"],...]`
    static func verdicts(_ verdicts: [Verdict]) -> String {
        var w = CompactJSON(capacity: verdicts.count * 14 + 2)
        w.byte(UInt8(ascii: "["))
        for (i, v) in verdicts.enumerated() {
            if i > 0 { w.byte(UInt8(ascii: ",")) }
            w.byte(UInt8(ascii: "["))
            w.int(v.providerID)
            w.byte(UInt8(ascii: ","))
            w.int(v.tier)
            w.byte(UInt8(ascii: ","))
            if let reason = v.reason { w.plainString(reason.rawValue) } else { w.int(v.weight ?? 0) }
            w.byte(UInt8(ascii: "]"))
        }
        w.byte(UInt8(ascii: "]"))
        return w.string
    }

    private static func weightMap(_ weights: [Int64: Int], into w: inout CompactJSON) {
        w.byte(UInt8(ascii: "{"))
        for (i, id) in weights.keys.sorted().enumerated() {
            if i > 0 { w.byte(UInt8(ascii: ",")) }
            w.byte(UInt8(ascii: "\""))
            w.int(id)
            w.raw("\":")
            w.int(weights[id] ?? 0)
        }
        w.byte(UInt8(ascii: "}"))
    }

    /// `{"w":{"id":current weight,...}}`
    static func weights(_ weights: [Int64: Int]) -> String {
        var w = CompactJSON(capacity: weights.count * 10 + 8)
        w.raw("{\"w\":")
        weightMap(weights, into: &w)
        w.byte(UInt8(ascii: "}"))
        return w.string
    }

    /// `{"w":{...},"seed":"<u64>"}`
    static func state(_ s: StrategyState) -> String {
        var w = CompactJSON(capacity: s.currentWeights.count * 10 + 40)
        w.raw("{\"w\":")
        weightMap(s.currentWeights, into: &w)
        w.raw(",\"seed\":\"")
        w.text(String(s.seed))
        w.raw("\"}")
        return w.string
    }

    /// Reads `{"w":{"id":n,...}}` (as `weights` writes it) with a small scanner; anything else
    /// falls back to a full JSON parse.
    static func parseWeights(_ text: String) -> [Int64: Int] {
        var out: [Int64: Int] = [:]
        var utf8 = Array(text.utf8)[...]
        func expect(_ s: StaticString) -> Bool {
            let want = s.withUTF8Buffer { Array($0) }
            guard utf8.starts(with: want) else { return false }
            utf8 = utf8.dropFirst(want.count)
            return true
        }
        func number() -> Int64? {
            var negative = false
            if utf8.first == UInt8(ascii: "-") {
                negative = true
                utf8 = utf8.dropFirst()
            }
            var value: Int64 = 0
            var digits = 0
            while let c = utf8.first, c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9"), digits < 18 {
                value = value * 10 + Int64(c - UInt8(ascii: "0"))
                utf8 = utf8.dropFirst()
                digits += 1
            }
            return digits > 0 ? (negative ? -value : value) : nil
        }
        if expect("{\"w\":{") {
            while !expect("}") {
                guard expect("\""), let id = number(), expect("\":"), let value = number() else { return parseWeightsSlowly(text) }
                out[id] = Int(value)
                _ = expect(",")
            }
            return out
        }
        return parseWeightsSlowly(text)
    }

    private static func parseWeightsSlowly(_ text: String) -> [Int64: Int] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
            let weights = object["w"] as? [String: Any]
        else { return [:] }
        var out: [Int64: Int] = [:]
        for (k, v) in weights {
            if let id = Int64(k), let n = (v as? NSNumber)?.intValue { out[id] = n }
        }
        return out
    }

    static func parseSeed(_ text: String) -> UInt64 {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
            let seed = object["seed"] as? String
        else { return 0 }
        return UInt64(seed) ?? 0
    }

    /// `{"m":max attempts,"s":caller state,"r":repeat provider,"c":[[id,revision,member,hour,day,month,concurrent,last_offer_at,utc_offset_s],...]}`
    static func input(_ input: RoutingInput) -> String {
        let candidates: [Candidate]
        switch input.target {
        case .unknown: candidates = []
        case .listing(_, let c): candidates = [c]
        case .helpline(_, let cs): candidates = cs
        }
        var w = CompactJSON(capacity: candidates.count * 44 + 40)
        if case .helpline(let h, _) = input.target {
            w.raw("{\"m\":")
            w.int(h.maxAttempts)
            w.raw(",\"s\":")
        } else {
            w.raw("{\"s\":")
        }
        if let state = input.call.callerState { w.plainString(state.code) } else { w.raw("null") }
        w.raw(",\"r\":")
        if let r = input.repeatProviderID { w.int(r) } else { w.raw("null") }
        candidateRows(candidates, at: input.call.receivedAt, into: &w)
        return w.string
    }

    /// `{"a":attempt,"m":max attempts,"s":caller state,"t":[tried],"c":[...]}`, what a later decision read.
    static func input(_ input: NextOfferInput, attempt: Int) -> String {
        var w = CompactJSON(capacity: input.candidates.count * 44 + 60)
        w.raw("{\"a\":")
        w.int(attempt)
        w.raw(",\"m\":")
        w.int(input.maxAttempts)
        w.raw(",\"s\":")
        if let state = input.call.callerState { w.plainString(state.code) } else { w.raw("null") }
        w.raw(",\"t\":")
        w.text(ids(input.tried))
        candidateRows(input.candidates, at: input.call.receivedAt, into: &w)
        return w.string
    }

    /// `,"c":[[id,revision,member,hour,day,month,concurrent,last_offer_at,utc_offset_s],...]}`: each
    /// candidate's settings revision, live counters, and its zone's offset at the decision (so a
    /// replay notices a tzdata update that moved it).
    private static func candidateRows(_ candidates: [Candidate], at when: Date, into w: inout CompactJSON) {
        w.raw(",\"c\":[")
        for (i, c) in candidates.enumerated() {
            if i > 0 { w.byte(UInt8(ascii: ",")) }
            let k = c.counters
            w.byte(UInt8(ascii: "["))
            w.int(c.provider.id)
            w.byte(UInt8(ascii: ","))
            w.int(c.provider.revision)
            w.raw(c.isMember ? ",1," : ",0,")
            w.int(k.hour)
            w.byte(UInt8(ascii: ","))
            w.int(k.day)
            w.byte(UInt8(ascii: ","))
            w.int(k.month)
            w.byte(UInt8(ascii: ","))
            w.int(k.concurrent)
            w.byte(UInt8(ascii: ","))
            if let last = k.lastOfferAt { w.int(last.epochMilliseconds) } else { w.raw("null") }
            w.byte(UInt8(ascii: ","))
            w.int(ZoneOffsets.secondsFromGMT(for: when, in: c.provider.timeZone))
            w.byte(UInt8(ascii: "]"))
        }
        w.raw("]}")
    }
}
