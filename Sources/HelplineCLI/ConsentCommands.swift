import ArgumentParser
import Foundation
import HelplineRouting

struct ConsentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consent",
        abstract: "Verify the consent ledger, show a caller's proof, record a revocation.",
        subcommands: [Verify.self, Anchor.self, Show.self, Revoke.self]
    )

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Recompute the ledger's hash chain; exit 65 naming the first record that does not match.",
            discussion: """
                It checks every hash and link, each column's type and form, each terms text against its \
                SHA-256, and each record against the call or request it names. A chain inside one file \
                can't show a full re-hash or records removed from its end: keep the head that \
                `helpline consent anchor` (and the daily report) prints somewhere else, and pass it \
                back with --anchor.
                Example: helpline consent verify --anchor "$(cat /safe/place/anchor)"
                """)
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: JSONFlag
        @Option(help: ArgumentHelp("A head kept from before (SEQ:HASH); the chain must still extend it.", valueName: "seq:hash"))
        var anchor: String?

        struct Report: Encodable {
            let records: Int
            let intact: Bool
            let first_bad_seq: Int64?
            let problem: String?
            let head: String?
            let history_changes: Int
            let history_intact: Bool
            let history_problem: String?
        }

        func run() throws {
            let anchor = try anchor.map(ConsentAnchor.init(parsing:))
            let helpline = try global.open()
            let v = try helpline.verifyConsent(anchor: anchor)
            let history = try helpline.verifyConfigHistory()
            if output.json {
                try Output.json(
                    Report(
                        records: v.records, intact: v.isIntact, first_bad_seq: v.firstBadSeq, problem: v.problem,
                        head: v.head?.description, history_changes: history.changes, history_intact: history.problem == nil,
                        history_problem: history.problem))
            } else {
                if v.isIntact {
                    print(
                        "consent ledger intact: \(v.records) records\(anchor.map { ", extends anchor \($0.seq)" } ?? "")"
                            + (v.head.map { "; head \($0)" } ?? ""))
                }
                if history.problem == nil { print("configuration history intact: \(history.changes) changes") }
            }
            if let bad = history.firstBadSeq, v.isIntact {
                throw ConsentError.historyBroken(seq: bad, problem: history.problem ?? "mismatch")
            }
            if let bad = v.firstBadSeq {
                throw ConsentError.chainBroken(seq: bad, problem: v.problem ?? "mismatch")
            }
        }
    }

    struct Anchor: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "anchor",
            abstract: "Print the ledger's head (SEQ:HASH) to keep outside the database.",
            discussion: """
                Keep the line somewhere the database's owner can't rewrite (a ticket, a mail, another \
                machine). `helpline consent verify --anchor SEQ:HASH` later fails if the chain was \
                re-hashed or cut back behind it.
                Example: helpline consent anchor >> /var/lib/helpline/anchors.txt
                """)
        @OptionGroup var global: GlobalOptions

        func run() throws {
            guard let head = try global.open().consentAnchor() else {
                throw CLIError.usage("the consent ledger is empty; there is no head to anchor yet", hint: nil)
            }
            print(head)
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Print the consent proof for one caller.", discussion: "Example:\n  helpline consent show --caller \"(303) 555-0126\"")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: JSONFlag
        @Option(help: "The caller's number.") var caller: String

        /// The proof, with the number it was asked for.
        struct Shown: Encodable {
            let caller: String
            let proof: ConsentProof

            func encode(to encoder: any Encoder) throws {
                try proof.encode(to: encoder)
                var c = encoder.container(keyedBy: Key.self)
                try c.encode(caller, forKey: .caller)
            }
            enum Key: String, CodingKey { case caller }
        }

        func run() throws {
            let number = try PhoneNumber(parsing: caller)
            let proof = try global.open().consentProof(caller: number)
            if output.json { return try Output.json(Shown(caller: number.e164, proof: proof)) }
            print("caller \(number.e164)  \(proof.records.count) ledger records\(proof.isRevoked ? "  (revoked)" : "")")
            Output.table(
                ["SEQ", "RECORDED", "KIND", "MECHANISM", "CALL", "TERMS", "TERMS SHA256", "HASH"],
                proof.records.map {
                    [
                        String($0.seq), Output.time($0.recordedAt), $0.kind.rawValue, $0.mechanism.rawValue, $0.callID.map(String.init) ?? "-",
                        $0.termsVersion.map(String.init) ?? "none", $0.termsSHA256.map { String($0.prefix(16)) } ?? "-", String($0.hash.prefix(16)),
                    ]
                })
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "revoke",
            abstract: "Record that a caller revoked consent; their pending callbacks close as revoked.",
            discussion: "Example:\n  helpline consent revoke --caller +13035550126")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: JSONFlag
        @Option(help: "The caller's number.") var caller: String
        @OptionGroup var at: AtOption

        struct Result: Encodable {
            let seq: Int64
            let hash: String
            let closed_callbacks: [Int64]
        }

        func run() throws {
            let number = try PhoneNumber(parsing: caller)
            let when = try at.instant()  // a bad --at is refused before the database is opened
            let (record, closed) = try global.open().revokeConsent(caller: number, at: when)
            if output.json { return try Output.json(Result(seq: record.seq, hash: record.hash, closed_callbacks: closed)) }
            print(
                "revocation recorded as ledger record \(record.seq); closed callbacks: \(closed.isEmpty ? "none" : closed.map(String.init).joined(separator: ", "))"
            )
        }
    }
}
