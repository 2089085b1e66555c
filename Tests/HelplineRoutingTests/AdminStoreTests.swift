import Foundation
import GRDB
import Testing

@testable import HelplineRouting

@Suite("Admin operations on the store")
struct AdminStoreTests {
    @Test func providerLifecycleKeepsHistory() throws {
        let dir = try TempDir()
        let clock = try TestClock("2026-11-25T09:00:00-05:00")
        let h = try openHelpline(dir, clock: clock)
        let p = try h.addProvider(
            fields: ProviderFields([
                "name": "ARK", "phone": "(303) 555-0101", "tz": "America/Denver", "hours": "mon-fri 08:00-20:00", "states": "CO,wy",
                "weight": "3", "priority": "2", "daily-cap": "40", "concurrency": "2", "auto-pause-after": "4",
            ]))
        #expect(p.timeZone.identifier == "America/Denver")
        #expect(p.states.map(\.code).sorted() == ["CO", "WY"])
        #expect(p.caps == Caps(daily: 40, concurrent: 2))
        #expect(p.autoPauseAfter == 4)

        let updated = try h.updateProvider(id: p.id, fields: ProviderFields(["daily_cap": "none", "weight": "5"]))
        #expect(updated.caps.daily == nil)
        #expect(updated.weight == 5)
        #expect(updated.name == "ARK")

        clock.advance(seconds: 60)
        #expect(try h.pauseProvider(id: p.id).status == .paused)
        #expect(try h.resumeProvider(id: p.id).status == .active)
        #expect(try h.removeProvider(id: p.id).status == .removed)
        #expect(try h.providers().isEmpty)
        #expect(try h.providers(includeRemoved: true).count == 1)
        #expect(try h.providerEvents(providerID: p.id).map(\.event) == ["added", "paused", "resumed", "removed"])
        #expect(throws: StoreError.self) { try h.resumeProvider(id: p.id) }
        #expect(throws: StoreError.notFound(kind: "provider", id: "99")) { try h.provider(id: 99) }
    }

    @Test func aProviderWithActiveListingsCantBeRemoved() throws {
        let dir = try TempDir()
        let h = try openHelpline(dir)
        let p = try h.addProvider(fields: ProviderFields(["name": "A", "phone": "2125550142"]))
        let listing = try h.addListing(name: "Center", number: try phone("8885550199"), providerID: p.id)
        #expect(throws: StoreError.self) { try h.removeProvider(id: p.id) }
        try h.removeListing(id: listing.id)
        #expect(try h.removeProvider(id: p.id).status == .removed)
    }

    @Test func numbersAreUniqueAcrossListingsAndHelplines() throws {
        let dir = try TempDir()
        let h = try openHelpline(dir)
        let p = try h.addProvider(fields: ProviderFields(["name": "A", "phone": "2125550142"]))
        try h.addHelplineNumber(try phone("(800) 915-1270"))
        #expect(throws: StoreError.self) { try h.addListing(name: "X", number: try phone("8009151270"), providerID: p.id) }
        #expect(throws: StoreError.self) { try h.addHelplineNumber(try phone("+18009151270")) }
        let l = try h.addListing(name: "X", number: try phone("8885550199"), providerID: p.id)
        #expect(throws: StoreError.self) { try h.addListing(name: "Y", number: try phone("8885550199"), providerID: p.id) }
        #expect(throws: StoreError.self) { try h.addHelplineNumber(try phone("8885550199")) }
        // A removed listing frees its number.
        try h.removeListing(id: l.id)
        #expect(try h.addListing(name: "Y", number: try phone("8885550199"), providerID: p.id).providerID == p.id)
        // The database refuses it too, whatever code writes.
        #expect(throws: (any Error).self) {
            try h.write { db in
                try db.execute(sql: "INSERT INTO helplines (number, created_at, updated_at) VALUES ('+18885550199', 0, 0)")
            }
        }
    }

    @Test func helplineDefaultsAndMembers() throws {
        let dir = try TempDir()
        let h = try openHelpline(dir)
        let a = try h.addProvider(fields: ProviderFields(["name": "A", "phone": "2125550142"]))
        let b = try h.addProvider(fields: ProviderFields(["name": "B", "phone": "2125550143"]))
        let number = try phone("8009151270")
        let created = try h.addHelplineNumber(number)
        #expect(created.members == nil)
        #expect(created.strategy == .weightedRoundRobin)
        #expect((created.repeatWindowDays, created.ringTimeoutSeconds, created.maxAttempts) == (30, 20, 3))
        let updated = try h.updateHelplineNumber(number, settings: HelplineSettings(strategy: .leastRecent, members: .some([b.id, a.id, b.id])))
        #expect(updated.members == [a.id, b.id])
        #expect(updated.strategy == .leastRecent)
        #expect(try h.updateHelplineNumber(number, settings: HelplineSettings(members: .some(nil))).members == nil)
        #expect(throws: StoreError.self) { try h.updateHelplineNumber(number, settings: HelplineSettings(members: .some([99]))) }
        #expect(throws: InputError.self) { try h.updateHelplineNumber(number, settings: HelplineSettings(maxAttempts: 0)) }
        #expect(throws: StoreError.self) { try h.helplineNumber(try phone("8005550100")) }
    }

    @Test func termsVersionsTakeEffectInOrder() throws {
        let dir = try TempDir()
        let clock = try TestClock("2026-11-01T00:00:00Z")
        let h = try openHelpline(dir, clock: clock)
        #expect(try h.termsVersion() == nil)
        let v1 = try h.publishTerms("Terms one\n")
        let v2 = try h.publishTerms("Terms two\n", effectiveAt: instant("2026-12-01T00:00:00Z"))
        #expect(v1.version == 1 && v2.version == 2)
        #expect(v1.sha256 == sha256Hex(Data("Terms one\n".utf8)))
        #expect(try h.termsVersion(at: instant("2026-11-30T23:59:59Z"))?.version == 1)
        #expect(try h.termsVersion(at: instant("2026-12-01T00:00:00Z"))?.version == 2)
        #expect(throws: InputError.self) { try h.publishTerms("  \n ") }
        #expect(throws: (any Error).self) { try h.write { try $0.execute(sql: "UPDATE terms_versions SET text = 'x'") } }
        #expect(throws: (any Error).self) { try h.write { try $0.execute(sql: "DELETE FROM terms_versions") } }
    }

    @Test func sha256MatchesAKnownVector() {
        #expect(sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func importIsAllOrNothing() throws {
        let dir = try TempDir()
        let h = try openHelpline(dir)
        let good =
            "\u{FEFF}name,phone,tz,hours,states,weight,Daily-Cap\r\n"
            + "\"ARK \"\"Behavioral\"\" Health\",(303) 555-0101,America/Denver,24/7,,2,\r\n"
            + "\r\n"
            + "Recovery Helpline,2125550142,America/New_York,\"mon-fri 08:00-12:00,13:00-17:00; sat 10:00-14:00\",\"NY,NJ\",1,40\r\n"
        let added = try h.importProviders(csv: good)
        #expect(added.map(\.name) == ["ARK \"Behavioral\" Health", "Recovery Helpline"])
        #expect(added[1].caps.daily == 40)
        #expect(added[1].hours.spec == "mon-fri 08:00-12:00,13:00-17:00; sat 10:00-14:00")

        let bad = "name,phone,weight\nA,2125550144,1\nB,2125550145,0\nC,2125550146,1\n"
        let error = try #require(throws: InputError.self) { try h.importProviders(csv: bad) }
        #expect(error == .inRow(3, field: "weight", .outOfRange(field: "weight", value: "0", allowed: "1-100")))
        #expect(error.message.contains("row 3"))
        #expect(try h.providers().count == 2)

        #expect(throws: InputError.self) { try h.importProviders(csv: "") }
        #expect(throws: InputError.self) { try h.importProviders(csv: "name,phone\n") }
        #expect(throws: InputError.self) { try h.importProviders(csv: "name,phone,colour\nA,2125550144,red\n") }
        #expect(throws: InputError.self) { try h.importProviders(csv: "name\nA\n") }
        #expect(throws: InputError.self) { try h.importProviders(csv: "name,phone\nA,2125550144,extra\n") }
        #expect(try h.providers().count == 2)
    }
}
