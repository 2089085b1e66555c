import ArgumentParser
import Foundation
import PropertyBased
import Testing

@testable import HelplineCLI
@testable import HelplineRouting

/// The call path's hand parser must agree with ArgumentParser on every command line it accepts.
@Suite("FastLane: the call path's parser agrees with ArgumentParser")
struct FastLaneTests {
    /// The invocation ArgumentParser makes of a command line, or nil when it refuses it.
    static func viaArgumentParser(_ arguments: [String]) -> FastLane.Invocation? {
        guard let command = try? HelplineCLI.parseAsRoot(arguments) else { return nil }
        switch command {
        case let c as RouteCommand: return .route(c.invocation)
        case let c as CallCommand.Answered: return .callEvent(c.invocation)
        case let c as CallCommand.NoAnswer: return .callEvent(c.invocation)
        case let c as CallCommand.Ended: return .callEvent(c.invocation)
        default: return nil
        }
    }

    static let telephonyLines: [[String]] = [
        ["route", "--to", "8009151270", "--from", "(212) 555-0199"],
        ["route", "--db", "/var/lib/h.sqlite", "--to", "+18009151270", "--from", "+12125550199", "--json"],
        ["route", "--to=8009151270", "--from=2125550199", "--caller-state", "NY", "--external-id", "CA42", "--at", "2026-11-25T14:03:00-05:00"],
        ["route", "--json", "--busy-timeout", "2.5", "--durability", "normal", "--from", "2125550199", "--to", "8009151270"],
        ["call", "answered", "17"],
        ["call", "answered", "17", "--json", "--at", "2026-11-25T14:03:30-05:00", "--db", "x.sqlite"],
        ["call", "no-answer", "17", "--attempt", "1", "--json"],
        ["call", "no-answer", "--reason", "busy", "17"],
        ["call", "ended", "17", "--at=2026-11-25T14:10:00-05:00"],
    ]

    @Test("telephony's command lines take the fast lane and mean what ArgumentParser says", arguments: telephonyLines)
    func telephonyForms(_ arguments: [String]) throws {
        let fast = try #require(FastLane.invocation(for: arguments))
        #expect(fast == Self.viaArgumentParser(arguments))
    }

    @Test("the values land in the right fields")
    func fields() throws {
        let route = try #require(
            FastLane.invocation(for: ["route", "--to=8009151270", "--from", "2125550199", "--caller-state", "NY", "--busy-timeout", "3", "--json"]))
        #expect(
            route
                == .route(
                    RouteInvocation(
                        database: DatabaseSettings(db: nil, busyTimeout: 3, durability: nil), json: true, to: "8009151270",
                        from: "2125550199", callerState: "NY", externalID: nil, at: nil)))
        let noAnswer = try #require(FastLane.invocation(for: ["call", "no-answer", "9", "--attempt", "2", "--reason", "busy"]))
        #expect(
            noAnswer
                == .callEvent(
                    CallEventInvocation(
                        event: .noAnswer(attempt: 2, reason: "busy"), database: DatabaseSettings(), json: false, callID: "9", at: nil)))
    }

    /// The long names of a command's options that take a value, and of its flags, from
    /// ArgumentParser's own description of the command (`_dumpHelp`).
    static func declared(_ command: any ParsableCommand.Type) throws -> (options: Set<String>, flags: Set<String>) {
        let json = try #require(try JSONSerialization.jsonObject(with: Data(command._dumpHelp().utf8)) as? [String: Any])
        let info = try #require(json["command"] as? [String: Any])
        var options: Set<String> = []
        var flags: Set<String> = []
        for argument in info["arguments"] as? [[String: Any]] ?? [] {
            let longs = (argument["names"] as? [[String: Any]] ?? []).filter { $0["kind"] as? String == "long" }.compactMap {
                $0["name"] as? String
            }
            switch argument["kind"] as? String {
            case "option": options.formUnion(longs)
            case "flag": flags.formUnion(longs)
            default: continue
            }
        }
        flags.subtract(["help", "version"])
        return (options, flags)
    }

    @Test(
        "FastLane knows exactly the options ArgumentParser declares for route and the call events",
        arguments: [
            ("route", RouteCommand.self as any ParsableCommand.Type), ("call answered", CallCommand.Answered.self),
            ("call no-answer", CallCommand.NoAnswer.self), ("call ended", CallCommand.Ended.self),
        ])
    func optionNamesAgree(name: String, command: any ParsableCommand.Type) throws {
        let declared = try Self.declared(command)
        #expect(FastLane.valueOptions[name] == declared.options, "\(name)")
        #expect(FastLane.flags == declared.flags, "\(name)")
    }

    static let fallbackLines: [[String]] = [
        [], ["--help"], ["--version"], ["help", "route"], ["route"], ["route", "--help"], ["route", "-h"],
        ["route", "--to", "8009151270"], ["route", "--to", "1", "--from", "2", "--to", "3"], ["route", "--to", "1", "--from", "2", "extra"],
        ["route", "--to", "1", "--from", "-2"], ["route", "--to", "1", "--from"], ["route", "--to", "1", "--from", "2", "--json", "--json"],
        ["route", "--to", "1", "--from", "2", "--busy-timeout", "soon"], ["route", "--to", "1", "--from", "2", "--unknown", "x"],
        ["route", "--to", "1", "--from", "2", "--json=true"], ["route", "--to", "1", "--from", "2", "--"],
        ["call"], ["call", "show", "17"], ["call", "answered"], ["call", "answered", "help"], ["call", "answered", "1", "2"],
        ["call", "no-answer", "17", "--attempt", "first"], ["call", "ended", "-1"], ["provider", "list"],
        ["route", "--to", "1", "--from", "2", "--generate-completion-script", "bash"],
    ]

    @Test("anything else goes to ArgumentParser", arguments: fallbackLines)
    func fallsBack(_ arguments: [String]) {
        #expect(FastLane.invocation(for: arguments) == nil)
    }

    static let vocabulary: [String] = [
        "route", "call", "answered", "no-answer", "ended", "show", "help", "--to", "--from", "--caller-state", "--external-id", "--at",
        "--db", "--busy-timeout", "--durability", "--attempt", "--reason", "--json", "--help", "-h", "--", "-", "--to=8009151270",
        "--from=2125550199", "--at=2026-11-25T14:03:00-05:00", "--attempt=1", "--json=1", "--db=", "8009151270", "(212) 555-0199",
        "+12125550199", "NY", "x.sqlite", "2.5", "1e3", "nan", "-1", "0", "17", "busy", "normal", "", " ", "=", "--=", "--to=",
        "2026-11-25T14:03:00-05:00", "--version", "-5", "--unknown",
    ]

    /// Options with a value each command takes, or doesn't.
    static let pairs: [[String]] = [
        ["--json"], ["--at", "2026-11-25T14:03:00-05:00"], ["--db", "x.sqlite"], ["--busy-timeout", "2.5"], ["--caller-state", "NY"],
        ["--attempt", "1"], ["--reason", "busy"], ["--external-id", "CA1"], ["--durability", "normal"], ["--to", ""],
    ]

    @Test("random command lines: whatever the fast lane accepts, ArgumentParser parses the same")
    func agreement() async {
        let accepted = Locked(0)
        await propertyCheck(count: 2000, input: Gen.int(in: 0...Int.max)) { n in
            var rng = SplitMix64(seed: UInt64(n))
            let prefixes: [[String]] = [["route"], ["call", "answered"], ["call", "no-answer"], ["call", "ended"], []]
            var arguments = prefixes[Int(rng.next() % UInt64(prefixes.count))]
            // Start most lines from a valid one, so that many are accepted and the rest differ by a little.
            if rng.next() % 3 != 0 {
                if arguments == ["route"] {
                    arguments += ["--to", "8009151270", "--from", "2125550199"]
                } else if !arguments.isEmpty {
                    arguments.append("17")
                }
            }
            for _ in 0..<(rng.next() % 5) {
                if rng.next() % 3 != 0 {
                    arguments += Self.pairs[Int(rng.next() % UInt64(Self.pairs.count))]
                } else {
                    let token = Self.vocabulary[Int(rng.next() % UInt64(Self.vocabulary.count))]
                    arguments.insert(token, at: Int(rng.next() % UInt64(arguments.count + 1)))
                }
            }
            guard let fast = FastLane.invocation(for: arguments) else { return }
            accepted.withLock { $0 += 1 }
            #expect(fast == Self.viaArgumentParser(arguments), "\(arguments)")
        }
        // The property says something only if the fast lane accepted a good share of the lines.
        #expect(accepted.withLock { $0 } > 250, "accepted \(accepted.withLock { $0 })")
    }
}
