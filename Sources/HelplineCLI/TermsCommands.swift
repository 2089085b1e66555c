import ArgumentParser
import Foundation
import HelplineRouting

struct TermsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "terms",
        abstract: "Publish and read the terms of use that callers agree to by calling.",
        subcommands: [Publish.self, List.self, Show.self]
    )

    struct Publish: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "publish",
            abstract: "Publish a new version of the terms from a text file; print its version and SHA-256.",
            discussion: """
                A published version is immutable. Calls record the version in effect when they arrive.
                Example:
                  helpline terms publish --file terms-v2.txt --effective-at 2027-01-01T00:00:00Z
                """)
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: JSONFlag
        @Option(help: "The terms text file (UTF-8).") var file: String
        @Option(help: "When this version starts to apply, ISO 8601 with an offset (default: now).") var effectiveAt: String?

        func run() throws {
            let text = try TermsVersion.validatedText(try Output.readFile(file))
            let effective = try effectiveAt.map(Instant.parse)
            let t = try global.open().publishTerms(text, effectiveAt: effective)
            if output.json {
                try Output.json(t)
            } else {
                print("terms version \(t.version) sha256 \(t.sha256) effective \(Output.time(t.effectiveAt))")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List published versions.", discussion: "Example:\n  helpline terms list")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: JSONFlag

        func run() throws {
            let versions = try global.open().termsVersions()
            if output.json { return try Output.json(versions) }
            Output.table(
                ["VERSION", "EFFECTIVE", "PUBLISHED", "SHA256", "BYTES"],
                versions.map {
                    [String($0.version), Output.time($0.effectiveAt), Output.time($0.publishedAt), $0.sha256, String($0.text.utf8.count)]
                })
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Print one version's text (default: the version in effect now).",
            discussion: "Example:\n  helpline terms show 2")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: JSONFlag
        @Argument(help: "The version number.") var version: String?

        func run() throws {
            let number = try version.map { v -> Int in
                guard let n = Int(v), n > 0 else { throw StoreError.notFound(kind: "terms version", id: v) }
                return n
            }
            guard let t = try global.open().termsVersion(number) else {
                throw StoreError.notFound(kind: "terms version in effect", id: "now")
            }
            if output.json { return try Output.json(t) }
            print("version \(t.version)  sha256 \(t.sha256)  effective \(Output.time(t.effectiveAt))\n")
            print(t.text, terminator: t.text.hasSuffix("\n") ? "" : "\n")
        }
    }
}
