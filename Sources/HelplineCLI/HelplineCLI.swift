import ArgumentParser
import Foundation
import HelplineRouting

/// The `helpline` command: a thin shell over HelplineRouting. It parses, calls the library, prints.
struct HelplineCLI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "helpline",
        abstract: "Route helpline calls to listed treatment providers, and keep the proof.",
        discussion: """
            The database is --db PATH, else $HELPLINE_DB, else ./helpline.sqlite. `helpline init` \
            (or `helpline demo`) creates it; every other command refuses a missing file, and migrates \
            an older schema. The shared options may also come first, as in `helpline --db PATH provider list`. \
            Exit codes: 0 done, 64 bad usage, 65 bad data, 69 database busy, \
            70 internal error, 74 I/O (can't open or write, corrupt, newer schema).

            Set up a helpline:
              helpline provider add --name ARK --phone 3035550101 --tz America/Denver
              helpline number add --number "(800) 915-1270"
              helpline terms publish --file terms.txt
              helpline route --to 8009151270 --from "(212) 555-0199"
            """,
        version: "helpline \(HelplineCLI.version) (schema \(HelplineCLI.schemaVersion))",
        subcommands: [
            InitCommand.self, MigrateCommand.self, SettingsCommand.self, ProviderCommand.self, ListingCommand.self, NumberCommand.self,
            ImportCommand.self, TermsCommand.self, RouteCommand.self, CallCommand.self, CallbackCommand.self, ConsentCommand.self,
            ReportCommand.self, StatsCommand.self, DisclosureCommand.self, HistoryCommand.self, DoctorCommand.self, PurgeCommand.self,
            SweepCommand.self, ServeCommand.self, DemoCommand.self,
        ]
    )
}

extension HelplineCLI {
    /// The program's release.
    static let version = "0.9.0"
    /// The newest schema this program knows.
    static var schemaVersion: Int { Migration.codeVersion }

    /// A mistyped command name, with the nearest real one: "provder" means "provider".
    static func unknownCommand(in arguments: [String]) -> CLIError? {
        var type: any ParsableCommand.Type = HelplineCLI.self
        var path = ["helpline"]
        for word in arguments {
            let subcommands = type.configuration.subcommands
            guard !subcommands.isEmpty, !word.hasPrefix("-"), word != "help" else { return nil }
            let names = subcommands.compactMap { $0.configuration.commandName }
            guard let next = subcommands.first(where: { $0.configuration.commandName == word }) else {
                let nearest = names.min { distance($0, word) < distance($1, word) }
                let hint = nearest.flatMap { distance($0, word) <= 2 ? "did you mean '\((path + [$0]).joined(separator: " "))'?" : nil }
                return .badUsage(
                    "unknown command '\(word)' for '\(path.joined(separator: " "))'",
                    hint: hint ?? "the commands are: \(names.joined(separator: ", "))")
            }
            type = next
            path.append(word)
        }
        return nil
    }

    /// Levenshtein distance, for suggestions.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in 1...max(b.count, 1) where !b.isEmpty {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }

    /// `helpline --db X provider list` means `helpline provider list --db X`: the shared options
    /// may come before the subcommand, and each subcommand declares them itself.
    static func movingSharedOptionsLast(_ arguments: [String]) -> [String] {
        var leading: [String] = []
        var rest = arguments[...]
        while let first = rest.first {
            if ["--db", "--busy-timeout", "--durability"].contains(first), rest.count >= 2 {
                leading += rest.prefix(2)
                rest = rest.dropFirst(2)
            } else if first.hasPrefix("--db=") || first.hasPrefix("--busy-timeout=") || first.hasPrefix("--durability=") {
                leading.append(first)
                rest = rest.dropFirst()
            } else {
                break
            }
        }
        return Array(rest) + leading
    }
}

/// The process's entry point: `helpline`'s main calls it. It never returns: it exits with the
/// contract's code (CLI.md).
public enum Main {
    /// Runs the command line and exits.
    ///
    /// - Parameter serve: starts `helpline serve` and returns its exit code; nil in a build
    ///   without the server, where `serve` says so.
    public static func main(serve: ((ServeRequest) throws -> Int32)? = nil) -> Never {
        ServeCommand.start = serve
        do {
            // Telephony's per-call commands skip ArgumentParser when they are in their plain form.
            let arguments = HelplineCLI.movingSharedOptionsLast(Array(CommandLine.arguments.dropFirst()))
            if let invocation = FastLane.invocation(for: arguments) {
                try invocation.run()
            } else {
                if let unknown = HelplineCLI.unknownCommand(in: arguments) { throw unknown }
                var command = try HelplineCLI.parseAsRoot(arguments)
                try command.run()
            }
            // Output a script or cron can't read is a failure, not a success (a full disk, a closed pipe).
            if fflush(nil) != 0 {
                throw StoreError.cannotWrite(path: "standard output", reason: String(cString: strerror(errno)))
            }
            exit(0)
        } catch let error as any HelplineError {
            exit(report(error))
        } catch let error as CLIError {
            exit(report(error))
        } catch {
            // Help and --version are clean exits that ArgumentParser prints itself.
            let code = HelplineCLI.exitCode(for: error)
            if code == .success { HelplineCLI.exit(withError: error) }
            // Usage errors keep the contract's shape: one `error:` line, then a `hint:` line.
            let message = HelplineCLI.message(for: error).split(separator: "\n").first.map(String.init) ?? "bad usage"
            let full = HelplineCLI.fullMessage(for: error)
            let see = full.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("See '") }
            let hint = see.map { $0.trimmingCharacters(in: .whitespaces) } ?? "See 'helpline --help' for the commands."
            FileHandle.standardError.write(Data("error: \(Self.lowercasedFirst(message))\nhint: \(hint)\n".utf8))
            exit(code.rawValue)
        }
    }

    static func lowercasedFirst(_ s: String) -> String {
        guard let first = s.first else { return s }
        return first.lowercased() + s.dropFirst()
    }

    /// Prints `error:` and `hint:` lines and returns the sysexits code for the error.
    static func report(_ error: any HelplineError) -> Int32 {
        var lines = "error: \(error.message)\n"
        if let hint = error.hint { lines += "hint: \(hint)\n" }
        FileHandle.standardError.write(Data(lines.utf8))
        switch error.category {
        case .usage: return 64
        case .badData: return 65
        case .unavailable: return 69
        case .io: return 74
        case .internal: return 70
        }
    }
}

/// Errors the CLI itself finds: files it can't read, and usage it refuses after parsing.
enum CLIError: HelplineError {
    case cannotReadFile(String, reason: String)
    case usage(String, hint: String?)
    /// A command line that parsed but asks for nothing (exit 64, like ArgumentParser's own).
    case badUsage(String, hint: String?)

    var category: ErrorCategory {
        switch self {
        case .cannotReadFile: return .io
        case .usage: return .badData
        case .badUsage: return .usage
        }
    }

    var message: String {
        switch self {
        case .cannotReadFile(let path, let reason): return "cannot read \(path): \(reason)"
        case .usage(let message, _), .badUsage(let message, _): return message
        }
    }

    var hint: String? {
        switch self {
        case .cannotReadFile: return "check the path and its permissions"
        case .usage(_, let hint), .badUsage(_, let hint): return hint
        }
    }
}
