import Foundation
import PropertyBased
import Testing

@testable import HelplineRouting

@Suite("Reading stored decisions back")
struct CompactReaderTests {
    static func verdicts(_ rng: inout SplitMix64) -> [Verdict] {
        let reasons = ExclusionReason.allCases
        return (0..<(rng.next() % 60)).map { _ in
            let reason = rng.next() % 3 == 0 ? reasons[Int(rng.next() % UInt64(reasons.count))] : nil
            let id = rng.next() % 10 == 0 ? Int64.max - Int64(rng.next() % 10) : Int64(rng.next() % 100_000)
            return Verdict(
                providerID: id, tier: Int(rng.next() % 7) - 2, reason: reason, share: nil,
                weight: reason == nil ? Int(rng.next() % 1000) : nil)
        }
    }

    /// The stored text with one random change: a byte dropped, doubled or replaced, or a space.
    static func mutate(_ text: String, _ rng: inout SplitMix64) -> String {
        var bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return " " }
        let at = Int(rng.next() % UInt64(bytes.count))
        let junk: [UInt8] = Array(" ,[]\"-.0x9a\\e".utf8)
        switch rng.next() % 4 {
        case 0: bytes.remove(at: at)
        case 1: bytes.insert(bytes[at], at: at)
        case 2: bytes[at] = junk[Int(rng.next() % UInt64(junk.count))]
        default: bytes.insert(UInt8(ascii: " "), at: at)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test("verdicts as stored read back by the fast reader exactly as by JSONSerialization, and damaged text the same way")
    func verdictsAgree() async {
        await propertyCheck(count: 1500, input: Gen.int(in: 0...Int.max)) { n in
            var rng = SplitMix64(seed: UInt64(n))
            let written = Self.verdicts(&rng)
            let text = DecisionJSON.verdicts(written)
            let topTier = Int(rng.next() % 5) - 1
            let weight = written.filter { $0.tier == topTier && $0.reason == nil }.reduce(0) { $0 + ($1.weight ?? 0) }
            #expect(CompactReader.verdicts(text) != nil)
            let fast = DecisionJSON.parseVerdicts(text, topTier: topTier, tierWeight: weight)
            #expect(fast == DecisionJSON.parseVerdictsSlowly(text, topTier: topTier, tierWeight: weight))
            #expect(fast.map(\.providerID) == written.map(\.providerID))
            let damaged = Self.mutate(text, &rng)
            #expect(
                DecisionJSON.parseVerdicts(damaged, topTier: topTier, tierWeight: weight)
                    == DecisionJSON.parseVerdictsSlowly(damaged, topTier: topTier, tierWeight: weight), "\(damaged)")
        }
    }

    @Test("the rotation's weights read back as written, alone or with the state's seed")
    func weightsRoundTrip() async {
        await propertyCheck(count: 1000, input: Gen.int(in: 0...Int.max)) { n in
            var rng = SplitMix64(seed: UInt64(n))
            var weights: [Int64: Int] = [:]
            for _ in 0..<(rng.next() % 60) { weights[Int64(rng.next() % 100_000)] = Int(rng.next() % 2000) - 1000 }
            let alone = DecisionJSON.weights(weights)
            let state = DecisionJSON.state(StrategyState(currentWeights: weights, seed: rng.next()))
            #expect(CompactReader.weights(alone) == weights, "\(alone)")
            #expect(CompactReader.weights(state) == weights, "\(state)")
        }
        // Not the written form: the general parser decides.
        #expect(DecisionJSON.parseWeights(#"{ "w": {"7": 3} }"#) == [7: 3])
        #expect(CompactReader.weights(#"{ "w": {"7": 3} }"#) == nil)
    }

    @Test("id lists read back as JSONDecoder reads them, damaged or not")
    func idListsAgree() async {
        await propertyCheck(count: 1500, input: Gen.int(in: 0...Int.max)) { n in
            var rng = SplitMix64(seed: UInt64(n))
            let ids = (0..<(rng.next() % 8)).map { _ in Int64(rng.next() % 1_000_000) - 10 }
            let text = DecisionJSON.ids(ids)
            #expect(DecisionJSON.parseIDs(text) == ids)
            #expect(CompactReader.intList(text) == ids)
            let damaged = Self.mutate(text, &rng)
            let slow = (try? JSONDecoder().decode([Int64].self, from: Data(damaged.utf8))) ?? []
            #expect(DecisionJSON.parseIDs(damaged) == slow, "\(damaged)")
        }
    }
}
