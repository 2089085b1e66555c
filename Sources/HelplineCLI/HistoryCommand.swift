import ArgumentParser
import Foundation
import HelplineRouting

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Every change to providers, helpline numbers, listings and terms: what, when, and by which command.",
        discussion: """
            The history is append-only and hash-chained (`helpline consent verify` checks it). Changes made \
            with another tool, such as the sqlite3 shell, are recorded too, with the source 'outside helpline'. \
            Days are local days in --tz.
            Examples:
              helpline history --from 2026-11-01 --to 2026-11-30
              helpline history --entity helpline --json
            """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: JSONFlag
    @Option(help: "First day, YYYY-MM-DD (default: the beginning).") var from: String?
    @Option(help: "Last day, YYYY-MM-DD (default: today).") var to: String?
    @Option(help: "The zone the days are in.") var tz: String?
    @Option(help: "provider, helpline, listing or terms (default: all).") var entity: String?

    func run() throws {
        if let entity, !["provider", "helpline", "listing", "terms"].contains(entity) {
            throw InputError.invalidChoice(field: "entity", value: entity, choices: ["provider", "helpline", "listing", "terms"])
        }
        let helpline = try global.open()
        let zone = try tz.map(TimeZone.init(iana:)) ?? helpline.defaultTimeZone
        Output.zone = zone  // times print in the zone the day was cut in
        let now = helpline.options.now()
        let start = try from.map { try LocalDate(resolving: $0, in: zone, now: now).start(in: zone) }
        let end = try to.map { try LocalDate(resolving: $0, in: zone, now: now).next.start(in: zone) }
        let changes = try helpline.configHistory(from: start, to: end, entity: entity)
        if output.json { return try Output.json(changes) }
        Output.table(
            ["SEQ", "AT", "ENTITY", "ID", "ACTION", "SOURCE", "CHANGES"],
            changes.map {
                [
                    String($0.seq), Output.time($0.at), $0.entity, String($0.entityID), $0.action, $0.source,
                    Self.describe($0.fields, added: $0.action == "added" || $0.action == "published"),
                ]
            })
    }

    /// `weight 1→2; members all→1`, or `name=…; weight=2` for an entity just added.
    static func describe(_ fields: [ConfigChange.Field], added: Bool) -> String {
        fields.map { f in
            added ? "\(f.name)=\(f.new ?? "none")" : "\(f.name) \(f.old ?? "none")→\(f.new ?? "none")"
        }.joined(separator: "; ")
    }
}
