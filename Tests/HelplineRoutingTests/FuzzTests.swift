import Foundation
import PropertyBased
import Testing

@testable import HelplineRouting

/// Adversarial text for the parsers: random bytes from an alphabet of the characters that matter
/// (digits, separators, quotes, control and multi-byte characters), and mutations of valid inputs.
enum Adversary {
    static let alphabet: [String] = [
        "0", "1", "2", "5", "9", "(", ")", " ", "-", "+", ":", ",", ";", "/", "\\", "\"", "'", "\n", "\r\n", "\t", "\u{0}",
        "\u{FEFF}", "é", "８", "回", "🙂", "\u{202E}", "a", "Z", "mon", "fri", "sun", "24/7", "24", "00", "60", "America/", "UTC",
        "NY", "nj", "XX", "%", "$", "*", "..", "\u{7F}", String(repeating: "9", count: 30),
    ]
    static let seeds: [String] = [
        "+18009151270", "8009151270", "(800) 915-1270", "mon-fri 08:00-20:00; sat 10:00-14:00", "fri 22:00-02:00", "24/7",
        "America/New_York", "NY,NJ", "2026-11-25", "2026-11-25T14:03:00-05:00", "1,2,3",
        "name,phone,tz\nA,2125550142,America/New_York\n",
    ]

    /// A deterministic adversarial string for a seed.
    static func string(_ seed: UInt64) -> String {
        var rng = SplitMix64(seed: seed)
        var s = ""
        if rng.next() % 2 == 0 {
            // Mutate a valid input: delete, duplicate or replace a few characters.
            var chars = Array(seeds[Int(rng.next() % UInt64(seeds.count))])
            for _ in 0..<(1 + rng.next() % 4) where !chars.isEmpty {
                let i = Int(rng.next() % UInt64(chars.count))
                switch rng.next() % 3 {
                case 0: chars.remove(at: i)
                case 1: chars.insert(chars[i], at: i)
                default: chars[i] = alphabet[Int(rng.next() % UInt64(alphabet.count))].first ?? Character("x")
                }
            }
            s = String(chars)
        } else {
            for _ in 0..<(rng.next() % 24) { s += alphabet[Int(rng.next() % UInt64(alphabet.count))] }
        }
        return s
    }

    /// How many inputs each property tries: a bounded number in `swift test`, more from Scripts/fuzz.sh.
    static var count: Int {
        ProcessInfo.processInfo.environment["HELPLINE_FUZZ_COUNT"].flatMap(Int.init) ?? 1500
    }

    static let tally = Locked<Int>(0)
}

@Suite("Fuzz: parsers never crash and reject with typed errors")
struct FuzzTests {
    func check(_ body: @escaping (String) throws -> Void) async {
        await propertyCheck(count: Adversary.count, input: Gen.int(in: 0...Int.max)) { n in
            let text = Adversary.string(UInt64(n))
            do {
                try body(text)
            } catch is InputError {
                // A typed rejection with a message: what the CLI turns into exit 65.
            } catch {
                Issue.record("\(String(reflecting: text)) threw \(error)")
            }
            Adversary.tally.withLock { $0 += 1 }
        }
    }

    @Test func phoneNumbers() async {
        await check { text in
            let p = try PhoneNumber(parsing: text)
            #expect(try PhoneNumber(parsing: p.e164) == p)
            #expect(try PhoneNumber(parsing: p.formatted) == p)
            #expect(p.masked.count == 12)
        }
        await check { text in _ = try PhoneNumber(parsingFormField: text) }
    }

    @Test func weeklyHours() async {
        await check { text in
            let h = try WeeklyHours(parsing: text)
            let again = try WeeklyHours(parsing: h.spec)
            #expect(again.spec == h.spec)
            for m in stride(from: 0, to: 7 * 1440, by: 97) { #expect(again.isOpen(minuteOfWeek: m) == h.isOpen(minuteOfWeek: m)) }
        }
    }

    @Test("the stored-hours fast path agrees with the general parser")
    func weeklyHoursCanonical() async {
        await propertyCheck(count: Adversary.count, input: Gen.int(in: 0...Int.max)) { n in
            let text = Adversary.string(UInt64(n))
            // Whatever the fast path accepts, the general parser reads the same way.
            if let fast = WeeklyHours.parseCanonical(text) {
                #expect(fast == (try? WeeklyHours(parsingAnyForm: text)), "\(text.debugDescription)")
            }
            // Every spec the general parser writes, the fast path reads, and reads the same.
            if let general = try? WeeklyHours(parsingAnyForm: text) {
                #expect(WeeklyHours.parseCanonical(general.spec) == general, "\(general.spec)")
            }
        }
        for spec in [
            "mon-fri 08:00-12:00,13:00-17:00; sat 10:00-14:00", "fri-mon 22:00-02:00", "daily 00:00-24:00", "sun 23:00-01:00",
            "mon,wed,fri 09:00-17:00", "24/7",
        ] {
            let general = try? WeeklyHours(parsingAnyForm: spec)
            #expect(general != nil && WeeklyHours.parseCanonical(spec) == general, "\(spec)")
        }
    }

    @Test func zonesStatesDatesIDs() async {
        await check { text in _ = try TimeZone(iana: text) }
        await check { text in
            if let stored = USState.parseStoredList(text) { #expect(stored == (try? USState.parseList(text))) }
            let states = try USState.parseList(text)
            #expect(try USState.parseList(USState.joined(states)) == states)
            #expect(USState.parseStoredList(USState.joined(states)) == states)
        }
        await check { text in
            let d = try LocalDate(parsing: text)
            #expect(try LocalDate(parsing: d.description) == d)
        }
        await check { text in _ = try Instant.parse(text) }
        await check { text in _ = try parseIDList(text, field: "members") }
        await check { text in _ = try RoutingStrategy(parsing: text) }
    }

    @Test func providerFieldsAndCSV() async {
        let zone = TimeZone(identifier: "UTC") ?? .current
        await check { text in
            _ = try ProviderFields(["name": text, "phone": text, "weight": text, "daily_cap": text]).newProvider(defaultTimeZone: zone)
        }
        await check { text in _ = try Helpline.parseProviderCSV(text, defaultTimeZone: zone) }
        await check { text in _ = try Helpline.parseProviderCSV("name,phone,hours\n\(text),2125550142,\(text)\r\n", defaultTimeZone: zone) }
        await check { text in _ = try TermsVersion.validatedText(Data(text.utf8)) }
    }

    @Test("the router's invariants hold for random candidates")
    func routerInvariants() async {
        await propertyCheck(count: Adversary.count, input: Gen.int(in: 0...Int.max)) { n in
            var rng = SplitMix64(seed: UInt64(n))
            let count = 1 + Int(rng.next() % 12)
            let strategy = RoutingStrategy.allCases[Int(rng.next() % 4)]
            let candidates = (0..<count).map { i -> Candidate in
                let status: ProviderStatus = rng.next() % 5 == 0 ? .paused : .active
                let p = Fixture.provider(
                    Int64(i + 1), weight: 1 + Int(rng.next() % 100), priority: 1 + Int(rng.next() % 3), status: status,
                    hours: rng.next() % 4 == 0 ? "sat 10:00-11:00" : "24/7", caps: Caps(daily: rng.next() % 3 == 0 ? 5 : nil))
                return Candidate(
                    provider: p,
                    counters: LiveCounters(
                        day: Int(rng.next() % 8), lastOfferAt: instant("2026-11-25T10:00:00Z").addingTimeInterval(Double(rng.next() % 1000))),
                    isMember: rng.next() % 6 != 0)
            }
            var weights: [Int64: Int] = [:]
            for c in candidates { weights[c.provider.id] = Int(rng.next() % 50) - 25 }
            let repeatID: Int64? = rng.next() % 3 == 0 ? Int64(1 + rng.next() % UInt64(count)) : nil
            let d = Fixture.pool(
                candidates, strategy: strategy, repeatProvider: repeatID, state: StrategyState(currentWeights: weights, seed: rng.next()),
                maxAttempts: 1 + Int(rng.next() % 5))
            let eligible = Set(d.verdicts.filter(\.isEligible).map(\.providerID))
            switch d.outcome {
            case .offer(let id):
                #expect(eligible.contains(id))
                #expect(!d.fallbacks.contains(id))
                #expect(Set(d.fallbacks).count == d.fallbacks.count)
                #expect(d.fallbacks.allSatisfy(eligible.contains))
                let shares = d.verdicts.compactMap(\.share).reduce(0, +)
                #expect(abs(shares - 1) < 1e-9)
                if let repeatID, eligible.contains(repeatID) { #expect(d.sticky && id == repeatID) }
            case .callback(let reason):
                #expect(eligible.isEmpty && reason == .noEligibleProvider)
            case .unroutable:
                Issue.record("a pool call can't be unroutable")
            }
            #expect(d.verdicts.count == count)
            // The same input decides the same way.
            #expect(
                Fixture.pool(
                    candidates, strategy: strategy, repeatProvider: repeatID, state: d.stateBefore, maxAttempts: 1
                ).verdicts == d.verdicts)
            Adversary.tally.withLock { $0 += 1 }
        }
    }

    @Test("CLI commands given adversarial arguments exit 0, 64 or 65 with an error line, and the database stays intact")
    func cliArguments() throws {
        let dir = try TempDir()
        let db = try CLI.newDatabase(dir, "fuzz.sqlite")
        #expect(try CLI.run(["provider", "add", "--name", "A", "--phone", "3035550101"], db: db).status == 0)
        #expect(try CLI.run(["number", "add", "--number", "8009151270"], db: db).status == 0)
        let commands: [[String]] = [
            ["provider", "add", "--name", "@", "--phone", "@"], ["provider", "add", "--name", "X", "--phone", "3035550102", "--hours", "@"],
            ["provider", "add", "--name", "X", "--phone", "3035550102", "--tz", "@"], ["provider", "update", "@", "--states", "@"],
            ["provider", "show", "@"], ["listing", "add", "--name", "@", "--number", "@", "--provider", "@"],
            ["number", "add", "--number", "@", "--members", "@"], ["route", "--to", "@", "--from", "@"],
            ["route", "--to", "8009151270", "--from", "3035550123", "--caller-state", "@"],
            ["route", "--to", "8009151270", "--from", "3035550123", "--at", "@"],
            ["call", "answered", "@"], ["call", "no-answer", "@"], ["callback", "request", "--phone", "@"],
            ["callback", "request", "--phone", "(303) 555-0126", "--honeypot", "@"], ["callback", "complete", "@", "--provider", "@"],
            ["consent", "show", "--caller", "@"], ["report", "daily", "--date", "@"], ["report", "daily", "--tz", "@"],
            ["report", "daily", "--format", "@"], ["purge", "--before", "@", "--dry-run"], ["stats", "--days", "@"],
            ["terms", "show", "@"], ["call", "list", "--date", "@"],
        ]
        let runs = Int(ProcessInfo.processInfo.environment["HELPLINE_FUZZ_CLI_COUNT"] ?? "") ?? commands.count * 2
        for i in 0..<runs {
            let value = Adversary.string(UInt64(i) &* 0x9E37_79B9_7F4A_7C15).replacingOccurrences(of: "\u{0}", with: "")
            let args = commands[i % commands.count].map { $0 == "@" ? value : $0 }
            let r = try CLI.run(args, db: db)
            #expect([0, 64, 65].contains(r.status), "\(args): exit \(r.status) \(r.stderr)")
            if r.status != 0 { #expect(r.stderr.hasPrefix("error: "), "\(args): \(r.stderr)") }
            Adversary.tally.withLock { $0 += 1 }
        }
        let doctor = try CLI.run(["doctor"], db: db)
        #expect(doctor.status == 0, "\(doctor.stdout)")
    }
}
