import ArgumentParser
import Foundation
import HelplineRouting

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create or migrate the database and print its schema version.",
        discussion: "Example: helpline init --db /var/lib/helpline/helpline.sqlite")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONFlag

    func run() throws {
        let status = try global.open(create: true).migrationStatus()
        if output.json { return try Output.json(status) }
        print("schema version \(status.schemaVersion)")
    }
}

struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending migrations, or with --status list applied and pending ones.",
        discussion: """
            Shipped migrations are immutable: a database whose applied migration differs from this
            build's, or that is newer than this build, is refused (exit 74).
            Example: helpline migrate --status
            """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONFlag
    @Flag(help: "List applied and pending migrations; change nothing.") var status = false

    func run() throws {
        let helpline = try global.open(migrate: !status)
        let result = try helpline.migrationStatus()
        if output.json { return try Output.json(result) }
        Output.table(
            ["VERSION", "NAME", "STATE", "APPLIED", "SHA256"],
            result.entries.map {
                [String($0.version), $0.name, $0.appliedAt == nil ? "pending" : "applied", Output.time($0.appliedAt), String($0.sha256.prefix(16))]
            })
        print("schema version \(result.schemaVersion) of \(Migration.codeVersion)")
    }
}
