import Foundation
import HelplineRouting

/// Printing helpers shared by the commands.
enum Output {
    /// The zone instants are printed in: the day's zone when a command cut one (`--tz`), else the
    /// database's. One process runs one command, so one value serves it.
    nonisolated(unsafe) static var zone: TimeZone?

    static var displayZone: TimeZone { zone ?? (try? DatabaseSettings.defaultTimeZone()) ?? .current }

    /// Prints `value` as JSON, instants with the offsets of the display zone.
    static func json(_ value: some Encodable) throws {
        print(try JSONOutput(zone: displayZone).string(value))
    }

    /// Prints rows as a table with aligned columns.
    static func table(_ header: [String], _ rows: [[String]]) {
        print(TextTable(header: header, rows: rows).render(), terminator: "")
    }

    /// Prints a warning line on stderr.
    static func warn(_ message: String) {
        FileHandle.standardError.write(Data("warning: \(message)\n".utf8))
    }

    /// An instant for people: ISO 8601 in the display zone.
    static func time(_ date: Date?) -> String {
        guard let date else { return "-" }
        return Instant.format(date, in: displayZone)
    }

    static func optional(_ value: Int?) -> String { value.map(String.init) ?? "-" }

    /// Reads a whole file given on the command line.
    static func readFile(_ path: String) throws -> Data {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "it is not readable" : "no such file"
            throw CLIError.cannotReadFile(path, reason: reason)
        }
        return data
    }
}
