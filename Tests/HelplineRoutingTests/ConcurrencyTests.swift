import Foundation
import GRDB
import Testing

@testable import HelplineRouting

@Suite("Concurrent routing")
struct ConcurrencyTests {
    @Test("4 processes route at once against a daily cap: the cap holds exactly and no command fails")
    func processesShareOneCap() throws {
        let dir = try TempDir()
        let db = try CLI.newDatabase(dir, "race.sqlite")
        #expect(try CLI.run(["provider", "add", "--name", "Capped", "--phone", "3035550101", "--daily-cap", "25"], db: db).status == 0)
        #expect(try CLI.run(["provider", "add", "--name", "Spare", "--phone", "3035550102", "--priority", "2"], db: db).status == 0)
        #expect(try CLI.run(["number", "add", "--number", "8009151270"], db: db).status == 0)
        let at = "2026-11-25T12:00:00-05:00"
        let perProcess = 12
        // Each worker is a shell loop of one-shot `helpline route` processes, as cron or a webhook would run them.
        let script = """
            for i in $(seq 1 \(perProcess)); do
              "$HL" route --to 8009151270 --from "3035550$1$(printf %02d $i)" --at \(at) --json > "$OUT/$1-$i.json" 2> "$OUT/$1-$i.err" || echo "$1-$i exit $?" >> "$OUT/failures"
            done
            """
        try CLI.workers(4, script: script, db: db, out: dir)
        #expect(
            !FileManager.default.fileExists(atPath: dir.path("failures")),
            "\((try? String(contentsOfFile: dir.path("failures"), encoding: .utf8)) ?? "")")
        var byProvider: [Int: Int] = [:]
        for n in 1...4 {
            for i in 1...perProcess {
                let data = try Data(contentsOf: dir.url.appendingPathComponent("\(n)-\(i).json"))
                let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
                let provider = try #require(json["provider"] as? [String: Any])
                byProvider[provider["id"] as? Int ?? 0, default: 0] += 1
            }
        }
        #expect(byProvider[1] == 25)
        #expect(byProvider[2] == 4 * perProcess - 25)
        let h = try Helpline(path: db)
        let stored = try h.read { try Int.fetchOne($0, sql: "SELECT day_offered FROM provider_live WHERE provider_id = 1") }
        #expect(stored == 25)
        #expect(try h.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM calls") } == 4 * perProcess)
        #expect(try h.verifyConsent().isIntact)
    }

    @Test("many threads share one Helpline: every call is stored once and the rotation stays exact")
    func threadsShareOneHelpline() async throws {
        let dir = try TempDir()
        let h = try openHelpline(dir)
        for (name, weight) in [("A", "3"), ("B", "2"), ("C", "1")] {
            try h.addProvider(fields: ProviderFields(["name": name, "phone": "30355501\(weight)0", "weight": weight]))
        }
        try h.addHelplineNumber(try phone("8009151270"))
        let at = instant("2026-11-25T12:00:00-05:00")
        let callIDs = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for worker in 0..<8 {
                group.addTask {
                    try (0..<30).map { i in
                        try h.route(to: "8009151270", from: "2125\(String(format: "%03d", 200 + worker))\(String(format: "%03d", i))", at: at).callID
                    }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(Set(callIDs).count == 240)
        let offers = try h.read { db in
            try Row.fetchAll(db, sql: "SELECT provider_id, count(*) AS n FROM attempts GROUP BY provider_id ORDER BY provider_id").map {
                $0["n"] as Int
            }
        }
        // 240 calls over weights 3:2:1 in whole cycles of 6: exactly 120, 80, 40.
        #expect(offers == [120, 80, 40])
        #expect(try h.verifyConsent().records == 240)
    }
}

@Suite("Races")
struct RaceTests {
    @Test("4 processes route, answer, miss and end calls at once: no cap or concurrency limit is passed, nothing is lost")
    func raceWithCaps() throws {
        let dir = try TempDir()
        let db = try CLI.newDatabase(dir, "race.sqlite")
        for args in [
            ["provider", "add", "--name", "A", "--phone", "3035550101", "--concurrency", "2", "--hourly-cap", "20"],
            ["provider", "add", "--name", "B", "--phone", "3035550102", "--concurrency", "3"],
            ["provider", "add", "--name", "C", "--phone", "3035550103", "--daily-cap", "15"],
            ["number", "add", "--number", "8009151270"],
        ] {
            #expect(try CLI.run(args, db: db).status == 0)
        }
        let perProcess = 25
        // Each worker: route; then answer and end, or miss once and answer the fallback, or hang up.
        let script = """
            fail() { echo "$1-$2 $3 exit $4" >> "$OUT/failures"; }
            for i in $(seq 1 \(perProcess)); do
              out=$("$HL" route --to 8009151270 --from "3035551$1$(printf %02d $i)" --json 2>>"$OUT/stderr") || { fail $1 $i route $?; continue; }
              echo "$out" | grep -q '"outcome" : "offer"' || continue
              id=$(echo "$out" | sed -n 's/.*"call_id" : "\\([0-9]*\\)".*/\\1/p')
              case $((i % 3)) in
                0) "$HL" call answered "$id" >/dev/null 2>>"$OUT/stderr" || fail $1 $i answered $?
                   "$HL" call ended "$id" >/dev/null 2>>"$OUT/stderr" || fail $1 $i ended $? ;;
                1) "$HL" call no-answer "$id" --attempt 1 >/dev/null 2>>"$OUT/stderr" || fail $1 $i no-answer $?
                   "$HL" call ended "$id" >/dev/null 2>>"$OUT/stderr" || fail $1 $i ended $? ;;
                2) "$HL" call ended "$id" >/dev/null 2>>"$OUT/stderr" || fail $1 $i hangup $? ;;
              esac
            done
            """
        try CLI.workers(4, script: script, db: db, out: dir)
        let failures = (try? String(contentsOfFile: dir.path("failures"), encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: dir.path("stderr"), encoding: .utf8)) ?? ""
        #expect(failures.isEmpty, "\(failures)\n\(stderr)")
        #expect(!stderr.contains("locked"))
        let h = try Helpline(path: db)
        #expect(try h.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM calls") } == 4 * perProcess)
        #expect(try h.read { try Int.fetchOne($0, sql: "SELECT count(DISTINCT id) FROM calls") } == 4 * perProcess)
        let offers = try h.read { db in
            Dictionary(
                uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT provider_id, count(*) FROM attempts GROUP BY provider_id").map {
                    ($0[0] as Int64, $0[1] as Int)
                })
        }
        #expect(offers[1, default: 0] <= 20)
        #expect(offers[3, default: 0] <= 15)
        // Every decision saw its chosen provider below its concurrency limit.
        let seen = try h.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT d.chosen_provider_id, i.input FROM routing_decisions d JOIN decision_inputs i USING (call_id, attempt)
                    WHERE d.chosen_provider_id IN (1, 2)
                    """)
        }
        for row in seen {
            let chosen: Int64 = row[0]
            let input = try #require(try JSONSerialization.jsonObject(with: Data((row[1] as String).utf8)) as? [String: Any])
            let candidates = try #require(input["c"] as? [[Any]])
            let mine = try #require(candidates.first { ($0[0] as? NSNumber)?.int64Value == chosen })
            let concurrent = (mine[6] as? NSNumber)?.intValue ?? 99
            #expect(concurrent < (chosen == 1 ? 2 : 3))
        }
        #expect(try h.doctor().isClean)
    }
}
