import ArgumentParser
import Foundation
import Testing

@testable import HelplineCLI
@testable import HelplineRouting

/// The commands are a library: where output and exit codes don't matter, a test runs them in
/// this process, without starting the binary.
@Suite("CLI commands in-process")
struct CLIInProcessTests {
    @Test("init --tz and settings --tz store the helpline's zone, and a provider added without one takes it")
    func initAndSettings() throws {
        let dir = try TempDir()
        let db = dir.path("h.sqlite")
        var initCommand = try HelplineCLI.parseAsRoot(["init", "--db", db, "--tz", "America/Chicago"])
        try initCommand.run()
        #expect(try Helpline(path: db).storedTimeZone?.identifier == "America/Chicago")
        var settings = try HelplineCLI.parseAsRoot(["settings", "--db", db, "--tz", "America/Phoenix"])
        try settings.run()
        var add = try HelplineCLI.parseAsRoot(["provider", "add", "--db", db, "--name", "A", "--phone", "3035550101"])
        try add.run()
        let helpline = try Helpline(path: db)
        #expect(helpline.storedTimeZone?.identifier == "America/Phoenix")
        #expect(try helpline.providers().first?.timeZone.identifier == "America/Phoenix")
        #expect(throws: (any Error).self) {
            var bad = try HelplineCLI.parseAsRoot(["settings", "--db", db, "--tz", "Mars/Olympus"])
            try bad.run()
        }
    }
}
