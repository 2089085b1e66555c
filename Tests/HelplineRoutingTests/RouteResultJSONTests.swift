import Foundation
import PropertyBased
import Testing

@testable import HelplineRouting

@Suite("The route answer's JSON")
struct RouteResultJSONTests {
    /// Text with what JSON must escape and what it must not: quotes, backslashes, every control
    /// character, slashes, non-ASCII and emoji.
    static func text(_ rng: inout SplitMix64) -> String {
        let pieces = ["a", "Z", " ", "\"", "\\", "/", "</script>", "é", "名", "🚑", "\u{7F}", "\u{2028}", "0", "-", "'", "&"]
        var s = ""
        for _ in 0..<(rng.next() % 12) {
            if rng.next() % 4 == 0 {
                s.unicodeScalars.append(Unicode.Scalar(UInt8(rng.next() % 0x20)))
            } else {
                s += pieces[Int(rng.next() % UInt64(pieces.count))]
            }
        }
        return s
    }

    /// Shares as routing computes them, and the edges: 0, 1, tiny, thirds, and arbitrary bits.
    static func share(_ rng: inout SplitMix64) -> Double {
        switch rng.next() % 6 {
        case 0: return 0
        case 1: return 1
        case 2: return Double(rng.next() % 100 + 1) / Double(rng.next() % 1000 + 1)
        case 3: return Double(rng.next() % 10 + 1) * 1e-7
        case 4: return 1.0 / Double(rng.next() % 300 + 1)
        default: return Double(rng.next() % (1 << 52)) / Double(1 << 52)
        }
    }

    static func result(_ rng: inout SplitMix64) throws -> RouteResult {
        let phones = ["+12125550142", "+13035550101", "+16175550103", "+18885550199"]
        func maybe<T>(_ value: T) -> T? { rng.next() % 3 == 0 ? nil : value }
        let provider = try maybe(
            RouteResult.OfferedProvider(
                id: Int64(rng.next() % 100_000), name: text(&rng), phone: PhoneNumber(parsing: phones[Int(rng.next() % 4)]),
                sipURI: maybe("sip:" + text(&rng) + "@10.0.0.1"), ringTimeoutSeconds: Int(rng.next() % 600)))
        let reasons = ExclusionReason.allCases
        var candidates: [Verdict] = []
        for _ in 0..<(rng.next() % 60) {
            let reason = rng.next() % 2 == 0 ? nil : reasons[Int(rng.next() % UInt64(reasons.count))]
            candidates.append(
                Verdict(
                    providerID: Int64(rng.next() % 1_000_000), tier: Int(rng.next() % 5) - 1, reason: reason,
                    share: reason == nil ? share(&rng) : nil, weight: Int(rng.next() % 10)))
        }
        let kinds: [CallKind] = [.direct, .pool, .unroutable]
        let outcomes: [RouteResult.Outcome] = [.offer, .callback, .unroutable, .connected, .ended, .unreturnable]
        return RouteResult(
            callID: Int64(rng.next() % UInt64(Int64.max)), kind: kinds[Int(rng.next() % 3)], outcome: outcomes[Int(rng.next() % 6)],
            provider: provider, attempt: maybe(Int(rng.next() % 10) + 1),
            fallbacks: (0..<(rng.next() % 6)).map { _ in Int64(rng.next() % 1000) }, sticky: rng.next() % 2 == 0,
            strategy: text(&rng), candidates: candidates, callbackID: maybe(Int64(rng.next() % 1_000_000)),
            callbackReason: maybe(CallbackReason.allCases[Int(rng.next() % UInt64(CallbackReason.allCases.count))]),
            consent: maybe(
                RouteResult.Consent(
                    termsVersion: maybe(Int(rng.next() % 50)), termsSHA256: maybe(String(repeating: "ab", count: 32)),
                    record: Int64(rng.next() % 1_000_000))),
            warnings: (0..<(rng.next() % 3)).map { _ in text(&rng) }, repeated: rng.next() % 2 == 0)
    }

    @Test("random results: the hand-written JSON is byte for byte the encoder's")
    func sameBytesAsTheEncoder() async throws {
        let encoder = JSONOutput(zone: TimeZone(identifier: "UTC") ?? .current, pretty: false)
        await propertyCheck(count: 1500, input: Gen.int(in: 0...Int.max)) { n in
            var rng = SplitMix64(seed: UInt64(n))
            let value = try Self.result(&rng)
            #expect(value.compactJSON == (try encoder.string(value)))
        }
    }

    static func call(_ rng: inout SplitMix64) throws -> CallRecord {
        func maybe<T>(_ value: T) -> T? { rng.next() % 3 == 0 ? nil : value }
        // Instants across years, DST changes and the epoch, to the millisecond.
        func instant() -> Date { Date(epochMilliseconds: Int64(rng.next() % 4_000_000_000_000)) }
        let outcomes = AttemptOutcome.allCases
        let attempts = (0..<(rng.next() % 4)).map { seq in
            AttemptRecord(
                seq: Int(seq) + 1, providerID: Int64(rng.next() % 1000), offeredAt: instant(),
                outcome: rng.next() % 3 == 0 ? nil : outcomes[Int(rng.next() % UInt64(outcomes.count))], answeredAt: maybe(instant()),
                endedAt: maybe(instant()))
        }
        let kinds: [CallKind] = [.direct, .pool, .unroutable]
        let route = try result(&rng)
        return CallRecord(
            id: Int64(rng.next() % UInt64(Int64.max)), externalID: maybe(text(&rng)), receivedAt: instant(),
            caller: maybe(try PhoneNumber(parsing: "+12125550142")), callerState: maybe("NY"), callerStateSource: maybe("area-code"),
            dialed: text(&rng), kind: kinds[Int(rng.next() % 3)], status: CallStatus.allCases[Int(rng.next() % UInt64(CallStatus.allCases.count))],
            answeredAt: maybe(instant()), answeredProviderID: maybe(Int64(rng.next() % 100)), endedAt: maybe(instant()),
            endAssumed: rng.next() % 2 == 0, attempts: attempts, callbackID: maybe(Int64(rng.next() % 1000)),
            callbackStatus: maybe(CallbackStatus.allCases[Int(rng.next() % UInt64(CallbackStatus.allCases.count))]),
            strategy: maybe(text(&rng)), sticky: rng.next() % 2 == 0, fallbacks: route.fallbacks, candidates: route.candidates,
            consentSeq: maybe(Int64(rng.next() % 100_000)), termsVersion: maybe(Int(rng.next() % 9)))
    }

    @Test("random calls: the hand-written JSON of an event's answer is byte for byte the encoder's, in any zone")
    func callsSameBytesAsTheEncoder() async throws {
        let zones = try ["UTC", "America/New_York", "Asia/Kolkata", "Pacific/Chatham"].map { try TimeZone(iana: $0) }
        await propertyCheck(count: 1000, input: Gen.int(in: 0...Int.max)) { n in
            var rng = SplitMix64(seed: UInt64(n))
            let value = try Self.call(&rng)
            let zone = zones[n % zones.count]
            #expect(value.compactJSON(zone: zone) == (try JSONOutput(zone: zone, pretty: false).string(value)))
        }
    }

    @Test("a routed call's answer, as the store returns it, is the encoder's")
    func aRealRoute() throws {
        let f = try RoutingFixture(aFields: ["name": "A \"quoted\" / center"])
        let r = try f.helpline.route(to: f.helplineNumber, from: "3035550123")
        #expect(r.candidates.count == 3)
        let encoder = JSONOutput(zone: TimeZone(identifier: "UTC") ?? .current, pretty: false)
        #expect(r.compactJSON == (try encoder.string(r)))
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(r.compactJSON.utf8)) as? [String: Any])
        #expect(parsed["call_id"] as? String == String(r.callID))
    }
}
