import ArgumentParser
import Foundation
import Testing

@testable import HelplineCLI

/// Help is documentation an operator copies from: every example must survive an 80-column
/// terminal and parse as written.
@Suite("Help text")
struct HelpTextTests {
    /// Every command, with its path of names.
    static func commands(_ type: any ParsableCommand.Type = HelplineCLI.self, path: [String] = []) -> [(String, any ParsableCommand.Type)] {
        let name = type.configuration.commandName ?? "helpline"
        let here = path + [name]
        return [(here.joined(separator: " "), type)] + type.configuration.subcommands.flatMap { commands($0, path: here) }
    }

    /// Splits a shell line into words: double and single quotes, no expansions; stops at a
    /// comment, a pipe or a redirection.
    static func words(_ line: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quote: Character?
        var inWord = false
        for ch in line {
            if let q = quote {
                if ch == q { quote = nil } else { current.append(ch) }
                continue
            }
            if ch == "\"" || ch == "'" {
                quote = ch
                inWord = true
            } else if ch == " " {
                if inWord { words.append(current) }
                current = ""
                inWord = false
            } else if !inWord && (ch == "#" || ch == "|" || ch == ">") {
                break
            } else {
                current.append(ch)
                inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }

    @Test("at 80 columns every example line fits, ends no line with a continuation, and parses as written")
    func examplesRunAsWritten() throws {
        var examples = 0
        for (name, command) in Self.commands() {
            let help = HelplineCLI.helpMessage(for: command, columns: 80)
            for line in help.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
                #expect(!line.hasSuffix("\\"), "\(name): a continued example breaks when wrapped: \(line)")
                var text = line.trimmingCharacters(in: .whitespaces)
                if text.hasPrefix("Example: ") { text.removeFirst("Example: ".count) }
                guard text.hasPrefix("helpline "), !text.contains("<") else { continue }
                examples += 1
                #expect(line.count <= 80, "\(name): \(line)")
                let arguments = Array(Self.words(text).dropFirst())
                #expect(throws: Never.self, "\(name): \(text)") { _ = try HelplineCLI.parseAsRoot(arguments) }
            }
        }
        #expect(examples > 30)
    }

    @Test("no option's help repeats its default")
    func noRepeatedDefaults() {
        for (name, command) in Self.commands() {
            let help = HelplineCLI.helpMessage(for: command, columns: 200)
            for line in help.split(separator: "\n").map(String.init) {
                let defaults = line.components(separatedBy: "(default").count - 1
                #expect(defaults <= 1, "\(name): \(line)")
            }
        }
    }
}
