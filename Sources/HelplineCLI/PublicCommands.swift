import ArgumentParser
import Foundation
import HelplineRouting

struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Print the public banner line from logged calls: \"Response time about 1 min | Response rate 90%\".",
        discussion: """
            Below one minute it prints "under 1 min"; otherwise whole minutes. The rate is rounded down, so \
            99.6% never shows as 100%. With fewer than --min-calls routable calls in the window it prints \
            nothing on stdout and explains on stderr.
            Example: helpline stats --days 30 --min-calls 10
            """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONFlag
    @Option(help: "The window, in days up to now.") var days: Int = 30
    @Option(help: "The fewest routable calls to publish a figure.") var minCalls: Int = 10
    @OptionGroup var at: AtOption

    func run() throws {
        let when = try at.instant()  // a bad --at is refused before the database is opened
        let banner = try global.open().banner(days: days, minCalls: minCalls, at: when)
        if output.json { return try Output.json(banner) }
        if let line = banner.line {
            print(line)
        } else {
            FileHandle.standardError.write(
                Data(
                    "stats withheld: \(banner.withheldReason ?? "no figures") (last \(days) days, --min-calls \(minCalls))\n".utf8))
        }
    }
}

struct DisclosureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disclosure",
        abstract: "Print the public \"Where do calls go?\" paragraph, naming every active advertiser.",
        discussion: "The names come from the data, in alphabetical order; paused and removed providers drop out.\nExample: helpline disclosure")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONFlag

    func run() throws {
        let text = try global.open().disclosure()
        if output.json { return try Output.json(["disclosure": text]) }
        print(text)
    }
}
