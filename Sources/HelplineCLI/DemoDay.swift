import Foundation
import HelplineRouting

/// Builds a realistic demo database: the helpline's three advertisers, their listings, the
/// general number and the terms, then a simulated day of calls with answers, no-answers,
/// failovers, callbacks, repeat callers, calls after hours and web-form requests (one of them
/// a bot caught by the honeypot). Every event goes through the same API a telephony service uses.
struct DemoDay: Sendable {
    /// What the simulation did, beside what the daily report shows.
    struct Summary: Sendable {
        var report: DailyReport
        var path: String
        var botsRejected: Int
        var callbacksReturnedBySimulation: Int
    }

    var calls: Int
    var day: LocalDate
    var zone: TimeZone
    var seed: UInt64

    /// - Parameters:
    ///   - calls: how many calls to simulate (1-100000).
    ///   - day: the day to simulate.
    ///   - zone: the helpline's zone.
    ///   - seed: the simulation's random seed; the same seed gives the same day.
    init(calls: Int, day: LocalDate, zone: TimeZone, seed: UInt64 = 2026) {
        self.calls = calls
        self.day = day
        self.zone = zone
        self.seed = seed
    }

    /// Builds the database at `path` (which must not exist yet) and simulates the day.
    ///
    /// - Throws: `InputError` for a call count out of range; `StoreError` when the file can't be written.
    func build(at path: String, options base: Helpline.Options = Helpline.Options()) throws -> Summary {
        guard (1...100_000).contains(calls) else {
            throw InputError.outOfRange(field: "calls", value: String(calls), allowed: "1-100000")
        }
        let start = day.start(in: zone)
        let end = day.next.start(in: zone)
        var options = base
        options.defaultTimeZone = zone
        // The clock stays real: the simulated day lies in the past, so every event is a backfill.
        let h = try Helpline(path: path, options: options)
        // The database keeps its zone: reports on it need no --tz.
        try h.setTimeZone(zone)
        var rng = SplitMix64(seed: seed)

        let ark = try h.addProvider(
            fields: ProviderFields([
                "name": "ARK Behavioral Health", "phone": "(303) 555-0101", "tz": "America/Denver", "hours": "24/7", "weight": "2",
                "concurrency": "4",
            ]))
        let recovery = try h.addProvider(
            fields: ProviderFields([
                "name": "Recovery Helpline", "phone": "(212) 555-0142", "tz": "America/New_York",
                "hours": "mon-fri 08:00-20:00; sat-sun 10:00-16:00", "weight": "1",
            ]))
        let alli = try h.addProvider(
            fields: ProviderFields([
                "name": "Alli Addiction Services", "phone": "(617) 555-0177", "tz": "America/New_York", "hours": "daily 07:00-23:00",
                "weight": "1", "daily_cap": String(max(8, calls / 5)), "auto_pause_after": "6",
            ]))
        let providers = [ark, recovery, alli]
        let listings = try [
            h.addListing(name: "ARK Behavioral Health, Denver", number: PhoneNumber(parsing: "(888) 555-0101"), providerID: ark.id),
            h.addListing(name: "Recovery Helpline, Manhattan", number: PhoneNumber(parsing: "(888) 555-0142"), providerID: recovery.id),
            h.addListing(name: "Alli Addiction Services, Boston", number: PhoneNumber(parsing: "(888) 555-0177"), providerID: alli.id),
        ]
        let general = try h.addHelplineNumber(PhoneNumber(parsing: "(800) 915-1270"), settings: HelplineSettings(name: "Main helpline"))
        try h.publishTerms(
            "Terms of use\n\nBy calling the helpline you agree to these terms. Calls to any general helpline will be answered or returned "
                + "by one of the treatment providers listed, each of which is a paid advertiser.\n",
            effectiveAt: start.addingTimeInterval(-30 * 86_400))

        // Arrivals: quiet at night, busiest in the afternoon and evening.
        let hourWeights = [2, 1, 1, 1, 1, 2, 3, 5, 7, 8, 9, 9, 9, 9, 9, 9, 9, 9, 8, 8, 7, 6, 4, 3]
        let totalWeight = hourWeights.reduce(0, +)
        let daySeconds = end.timeIntervalSince(start)
        var arrivals: [Date] = (0..<calls).map { _ in
            var r = Int(rng.next() % UInt64(totalWeight))
            var hour = 0
            while r >= hourWeights[hour] {
                r -= hourWeights[hour]
                hour += 1
            }
            let offset = min(Double(hour) * 3600 + Double(rng.next() % 3600), daySeconds - 1)
            return start.addingTimeInterval(offset)
        }
        arrivals.sort()

        let areaCodes = ["212", "718", "917", "303", "720", "617", "215", "312", "404", "305", "206", "512", "602", "973", "614"]
        var answeredCallers: [String] = []
        let answerChance: [Int64: UInt64] = [ark.id: 82, recovery.id: 76, alli.id: 66]
        var returned = 0
        for (index, at) in arrivals.enumerated() {
            // The on-call operator resumes an auto-paused provider after checking in with it.
            if index % 10 == 0 {
                for p in try h.providers() where p.status == .paused && at.timeIntervalSince(p.updatedAt) > 3600 {
                    try h.resumeProvider(id: p.id, at: at)
                }
            }
            let caller: String
            if !answeredCallers.isEmpty && rng.next() % 100 < 12 {
                caller = answeredCallers[Int(rng.next() % UInt64(answeredCallers.count))]
            } else {
                caller = "+1" + areaCodes[Int(rng.next() % UInt64(areaCodes.count))] + String(format: "555%04d", Int(rng.next() % 10_000))
            }
            let roll = rng.next() % 100
            let dialed: String
            if roll < 15 {
                dialed = listings[Int(rng.next() % UInt64(listings.count))].number.e164
            } else if roll < 17 {
                dialed = "+18005550100"  // a wrong number: logged as unroutable
            } else {
                dialed = general.number.e164
            }
            var result: RouteResult
            do {
                result = try h.route(to: dialed, from: caller, at: at, externalID: "demo-\(index)")
            } catch is RoutingError {
                continue
            }
            var t = at
            while result.outcome == .offer, let provider = result.provider {
                t = t.addingTimeInterval(Double(4 + rng.next() % 14))
                if rng.next() % 100 < 3 {
                    // The caller hangs up while it rings: a callback is owed.
                    try h.ended(callID: result.callID, at: t)
                    break
                }
                if rng.next() % 100 < answerChance[provider.id, default: 70] {
                    try h.answered(callID: result.callID, at: t)
                    try h.ended(callID: result.callID, at: t.addingTimeInterval(Double(120 + rng.next() % 900)))
                    answeredCallers.append(caller)
                    break
                }
                t = t.addingTimeInterval(20)
                result = try h.noAnswer(callID: result.callID, attempt: result.attempt, failure: rng.next() % 5 == 0 ? .busy : .noAnswer, at: t)
            }
        }
        // Web-form requests through the day, and one bot that filled in the honeypot.
        var bots = 0
        for i in 0..<max(1, calls / 25) {
            let at = start.addingTimeInterval(Double(8 * 3600 + (i * 3571) % (14 * 3600)))
            _ = try h.requestCallback(phoneField: String(format: "(%@) 555-%04d", areaCodes[i % areaCodes.count], 9000 + i), at: at)
        }
        do {
            _ = try h.requestCallback(phoneField: "(212) 555-0199", honeypot: "http://cheap-meds.example", at: start.addingTimeInterval(43_200))
        } catch RoutingError.honeypotChanged {
            bots += 1
        }
        // Providers work the callback queue; most are returned within the hour or two.
        for callback in try h.callbacks(pendingOnly: true) where rng.next() % 100 < 85 {
            let returner = callback.owedBy ?? providers[Int(rng.next() % UInt64(providers.count))].id
            let at = min(callback.requestedAt.addingTimeInterval(Double(600 + rng.next() % 5400)), end.addingTimeInterval(-1))
            guard at > callback.requestedAt else { continue }
            try h.completeCallback(id: callback.id, providerID: returner, at: at)
            returned += 1
        }
        return Summary(report: try h.dailyReport(for: day, in: zone), path: path, botsRejected: bots, callbacksReturnedBySimulation: returned)
    }
}
