import ArgumentParser
import Foundation
import HelplineRouting

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import configuration from files.",
        subcommands: [Providers.self]
    )

    struct Providers: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "providers",
            abstract: "Import providers from a CSV file, all or nothing.",
            discussion: """
                The header row names the fields of `provider add`: name, phone, tz, hours, states, weight, \
                priority, hourly_cap, daily_cap, monthly_cap, concurrency, auto_pause_after. One bad row \
                rejects the whole file, naming the row and the field, and nothing is written.

                Example file:
                  name,phone,tz,hours,states,weight
                  "ARK Behavioral Health",(303) 555-0101,America/Denver,24/7,,2
                  "Recovery Helpline",2125550142,America/New_York,"mon-fri 08:00-20:00",NY,1
                """)
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: JSONFlag
        @Argument(help: "The CSV file.") var file: String
        @Flag(help: "Accept phones that listed providers already answer on.") var allowSamePhone = false

        func run() throws {
            let data = try Output.readFile(file)
            guard let text = String(data: data, encoding: .utf8) else {
                throw InputError.invalidCSV(reason: "the file is not UTF-8 text")
            }
            let added = try global.open().importProviders(csv: text, allowSamePhone: allowSamePhone)
            if output.json { return try Output.json(added) }
            print("imported \(added.count) providers: ids \(added.map { String($0.id) }.joined(separator: ", "))")
        }
    }
}
