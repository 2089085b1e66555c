import Foundation
import Testing

@testable import HelplineRouting

/// One rule for names everywhere they enter, and CSV cells a spreadsheet can't run.
@Suite("Names and spreadsheet cells")
struct NameRuleTests {
    static let refused: [String] = [
        String(repeating: "N", count: 201), "Line one\nLine two", "Red \u{1B}[31mAlert", "\u{200B}\u{200B}", "Evil\u{202E}txt.exe", "---",
    ]

    @Test("provider add, update, import and listing add refuse the same names", arguments: refused)
    func refusedEverywhere(name: String) throws {
        let f = try RoutingFixture()
        #expect(throws: InputError.self) { try f.helpline.addProvider(fields: ProviderFields(["name": name, "phone": "3035550199"])) }
        #expect(throws: InputError.self) { try f.helpline.updateProvider(id: f.a.id, fields: ProviderFields(["name": name])) }
        let csv = "name,phone\n\"\(name.replacingOccurrences(of: "\"", with: "\"\""))\",3035550198\n"
        #expect(throws: InputError.self) { try f.helpline.importProviders(csv: csv) }
        #expect(throws: InputError.self) { try f.helpline.addListing(name: name, number: try phone("8885550111"), providerID: f.a.id) }
        #expect(try f.count("providers") == 3)
        #expect(try f.count("listings") == 1)
    }

    @Test("the CLI refuses a 200+ character name with 65; 200 is accepted")
    func cliLimit() throws {
        let dir = try TempDir()
        let db = try CLI.newDatabase(dir)
        let long = try CLI.run(["provider", "add", "--name", String(repeating: "x", count: 201), "--phone", "3035550101"], db: db)
        #expect(long.status == 65)
        #expect(long.stderr.hasPrefix("error: name: longer than 200 characters"))
        #expect(try CLI.run(["provider", "add", "--name", String(repeating: "x", count: 200), "--phone", "3035550101"], db: db).status == 0)
    }

    @Test("CSV cells that start with = + - @ are escaped so a spreadsheet shows them as text")
    func csvInjection() throws {
        #expect(SpreadsheetCell.escaped("=cmd|' /C calc'!A0") == "'=cmd|' /C calc'!A0")
        #expect(SpreadsheetCell.escaped("+1") == "'+1")
        #expect(SpreadsheetCell.escaped("@SUM(A1)") == "'@SUM(A1)")
        #expect(SpreadsheetCell.escaped("-2+3") == "'-2+3")
        #expect(SpreadsheetCell.escaped("ARK") == "ARK")
        let f = try RoutingFixture(aFields: ["name": "=HYPERLINK(\"http://x\")"])
        _ = try f.helpline.route(to: f.helplineNumber, from: "2125550701")
        let csv = try f.helpline.dailyReport(for: LocalDate(f.clock.now, in: Fixture.ny), in: Fixture.ny).csv()
        #expect(csv.contains("\"'=HYPERLINK(\"\"http://x\"\")\""))
        #expect(!csv.contains(",=HYPERLINK") && !csv.contains(",\"=HYPERLINK"))
    }
}
