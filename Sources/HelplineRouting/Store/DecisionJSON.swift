import Foundation
import GRDB

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
        // Sorted as pairs: no second lookup per id (this runs twice per route).
        for (i, entry) in weights.sorted(by: { $0.key < $1.key }).enumerated() {
            if i > 0 { w.byte(UInt8(ascii: ",")) }
            w.byte(UInt8(ascii: "\""))
            w.int(entry.key)
            w.raw("\":")
            w.int(entry.value)
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

    /// Reads `{"w":{"id":n,...}}` (as `weights` writes it) with `CompactReader`; anything else
    /// falls back to a full JSON parse.
    static func parseWeights(_ text: String) -> [Int64: Int] {
        CompactReader.weights(text) ?? parseWeightsSlowly(text)
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
        case .listing(let c): candidates = [c]
        case .pool(_, let cs): candidates = cs
        }
        var w = CompactJSON(capacity: candidates.count * 44 + 40)
        if case .pool(let rules, _) = input.target {
            w.raw("{\"m\":")
            w.int(rules.maxAttempts)
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
            w.int(c.utcOffset ?? ZoneOffsets.secondsFromGMT(for: when, in: c.provider.timeZone))
            w.byte(UInt8(ascii: "]"))
        }
        w.raw("]}")
    }
}

/// The parts of a stored decision that `call show` and a call's current route answer print.
struct StoredDecision {
    var strategy: String?
    var sticky = false
    var fallbacks: [Int64] = []
    var verdicts: [Verdict] = []

    /// A decision of a call: the given attempt's, or the latest when nil; empty when there is none.
    static func fetch(callID: Int64, attempt: Int? = 1, db: Database) throws -> StoredDecision {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT d.strategy, d.sticky, d.fallbacks, s.candidates, d.top_tier, d.tier_weight
                        FROM routing_decisions d JOIN candidate_sets s ON s.id = d.candidate_set_id
                        WHERE d.call_id = ?1 AND (?2 IS NULL OR d.attempt = ?2) ORDER BY d.attempt DESC LIMIT 1
                        """), arguments: [callID, attempt])
        else { return StoredDecision() }
        return StoredDecision(
            strategy: row["strategy"], sticky: row["sticky"], fallbacks: DecisionJSON.parseIDs(row["fallbacks"]),
            verdicts: DecisionJSON.parseVerdicts(row["candidates"], topTier: row["top_tier"], tierWeight: row["tier_weight"]))
    }
}

extension DecisionJSON {
    static func parseIDs(_ text: String) -> [Int64] {
        if let ids = CompactReader.intList(text) { return ids }
        return (try? JSONDecoder().decode([Int64].self, from: Data(text.utf8))) ?? []
    }

    /// Reads compact verdicts back, computing each share from the decision's top tier and its weight.
    static func parseVerdicts(_ text: String, topTier: Int?, tierWeight: Int?) -> [Verdict] {
        // Every event reads its call's verdicts back: the exact form `verdicts` writes is read
        // byte by byte; anything else (a hand-edited row) goes through the general parser.
        if let items = CompactReader.verdicts(text) {
            return items.map { item in
                if let reason = item.reason {
                    return Verdict(providerID: item.id, tier: item.tier, reason: ExclusionReason(rawValue: reason), share: nil)
                }
                let share = item.tier == topTier && (tierWeight ?? 0) > 0 ? Double(item.weight) / Double(tierWeight ?? 1) : 0
                return Verdict(providerID: item.id, tier: item.tier, reason: nil, share: share, weight: item.weight)
            }
        }
        return parseVerdictsSlowly(text, topTier: topTier, tierWeight: tierWeight)
    }

    /// `parseVerdicts` through JSONSerialization: any valid JSON of the same shape.
    static func parseVerdictsSlowly(_ text: String, topTier: Int?, tierWeight: Int?) -> [Verdict] {
        guard let items = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[Any]] else { return [] }
        return items.compactMap { item in
            guard item.count == 3, let id = (item[0] as? NSNumber)?.int64Value, let tier = (item[1] as? NSNumber)?.intValue else {
                return nil
            }
            if let reason = item[2] as? String {
                return Verdict(providerID: id, tier: tier, reason: ExclusionReason(rawValue: reason), share: nil)
            }
            let weight = (item[2] as? NSNumber)?.intValue ?? 0
            let share = tier == topTier && (tierWeight ?? 0) > 0 ? Double(weight) / Double(tierWeight ?? 1) : 0
            return Verdict(providerID: id, tier: tier, reason: nil, share: share, weight: weight)
        }
    }
}

/// Reads back the compact forms `DecisionJSON` writes: integer lists, verdict triples and the
/// rotation's weights, with no spaces. Returns nil at the first byte out of that form, so callers can fall back to a JSON parser.
enum CompactReader {
    struct Item {
        var id: Int64
        var tier: Int
        var reason: String?
        var weight: Int
    }

    private struct Cursor {
        let bytes: [UInt8]
        var i = 0
        mutating func take(_ b: UInt8) -> Bool {
            guard i < bytes.count, bytes[i] == b else { return false }
            i += 1
            return true
        }
        var next: UInt8? { i < bytes.count ? bytes[i] : nil }
        mutating func int() -> Int64? {
            var negative = false
            if next == UInt8(ascii: "-") {
                negative = true
                i += 1
            }
            var value: Int64 = 0
            var digits = 0
            let first = i
            while let b = next, b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") {
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(Int64(b - UInt8(ascii: "0")))
                if o1 || o2 { return nil }
                value = a
                digits += 1
                i += 1
            }
            // JSON has no leading zeros: "01" is not a number there, so not here either.
            if digits > 1 && bytes[first] == UInt8(ascii: "0") { return nil }
            return digits > 0 ? (negative ? -value : value) : nil
        }
        /// A string of plain characters (no escapes), as reasons are written.
        mutating func plainString() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = i
            while let b = next, b != UInt8(ascii: "\""), b != UInt8(ascii: "\\"), b >= 0x20 { i += 1 }
            guard take(UInt8(ascii: "\"")) else { return nil }
            return String(decoding: bytes[start..<(i - 1)], as: UTF8.self)
        }
    }

    /// A JSON array of `element`s: `[a,b,c]` or `[]`, nothing after it.
    private static func list<T>(_ text: String, _ element: (inout Cursor) -> T?) -> [T]? {
        var c = Cursor(bytes: Array(text.utf8))
        guard c.take(UInt8(ascii: "[")) else { return nil }
        var out: [T] = []
        if c.take(UInt8(ascii: "]")) { return c.next == nil ? out : nil }
        repeat {
            guard let v = element(&c) else { return nil }
            out.append(v)
        } while c.take(UInt8(ascii: ","))
        return c.take(UInt8(ascii: "]")) && c.next == nil ? out : nil
    }

    /// `[1,2,3]` (or `[]`).
    static func intList(_ text: String) -> [Int64]? {
        list(text) { $0.int() }
    }

    /// `[[id,tier,weight],[id,tier,"reason"],...]` (or `[]`).
    static func verdicts(_ text: String) -> [Item]? {
        list(text) { c in
            guard c.take(UInt8(ascii: "[")), let id = c.int(), c.take(UInt8(ascii: ",")), let tier = c.int(), c.take(UInt8(ascii: ","))
            else { return nil }
            var item = Item(id: id, tier: Int(tier), reason: nil, weight: 0)
            if c.next == UInt8(ascii: "\"") {
                guard let reason = c.plainString() else { return nil }
                item.reason = reason
            } else {
                guard let weight = c.int() else { return nil }
                item.weight = Int(weight)
            }
            return c.take(UInt8(ascii: "]")) ? item : nil
        }
    }

    /// The rotation's weights, `{"w":{"id":n,...}` (as `weights` and `state` write it); what
    /// follows the map (the state's seed) is not read.
    static func weights(_ text: String) -> [Int64: Int]? {
        var c = Cursor(bytes: Array(text.utf8))
        for b in "{\"w\":{".utf8 {
            guard c.take(b) else { return nil }
        }
        var out: [Int64: Int] = [:]
        if c.take(UInt8(ascii: "}")) { return out }
        repeat {
            guard c.take(UInt8(ascii: "\"")), let id = c.int(), c.take(UInt8(ascii: "\"")), c.take(UInt8(ascii: ":")), let n = c.int()
            else { return nil }
            out[id] = Int(n)
        } while c.take(UInt8(ascii: ","))
        return c.take(UInt8(ascii: "}")) ? out : nil
    }
}
