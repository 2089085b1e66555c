import Foundation
import Testing

@testable import HelplineRouting

@Suite("Phone numbers")
struct PhoneNumberTests {
    @Test(
        "accepts E.164, 10 digits and (###) ###-####, and stores E.164",
        arguments: [
            "+18009151270", "8009151270", "(800) 915-1270", "  (800) 915-1270 ",
        ])
    func acceptedFormats(text: String) throws {
        #expect(try PhoneNumber(parsing: text).e164 == "+18009151270")
    }

    @Test(
        "refuses other shapes and invalid NANP numbers",
        arguments: [
            "", "555-0101", "800-915-1270", "18009151270", "+1800915127", "+180091512700", "(800)915-1270",
            "+28009151270", "0009151270", "1009151270", "8000151270", "8001151270", "9115551234", "4115551234",
            "2129111234", "2124111234", "８００９１５１２７０", "800915127O", "+1 800 915 1270",
        ])
    func refused(text: String) {
        #expect(throws: InputError.self) { try PhoneNumber(parsing: text) }
    }

    @Test func n11ReasonNamesTheCode() throws {
        let error = try #require(throws: InputError.self) { try PhoneNumber(parsing: "9115551234") }
        #expect(error.message.contains("911"))
        #expect(error.hint?.contains("E.164") == true)
    }

    @Test func formFieldTakesOnlyTheFormFormat() throws {
        #expect(try PhoneNumber(parsingFormField: "(303) 555-0126").e164 == "+13035550126")
        #expect(throws: InputError.self) { try PhoneNumber(parsingFormField: "3035550126") }
        #expect(throws: InputError.self) { try PhoneNumber(parsingFormField: "+13035550126") }
        #expect(throws: InputError.self) { try PhoneNumber(parsingFormField: "(303) 111-0126") }
    }

    @Test func maskingKeepsAreaCodeAndLastFour() throws {
        let p = try PhoneNumber(parsing: "(800) 915-1270")
        #expect(p.masked == "+1800***1270")
        #expect(p.formatted == "(800) 915-1270")
        #expect(p.areaCode == "800")
        #expect(PhoneNumber.mask("garbage") == "***")
    }
}

@Suite("Weekly hours")
struct WeeklyHoursTests {
    let ny = TimeZone(identifier: "America/New_York")!

    func open(_ spec: String, _ iso: String, zone: TimeZone? = nil) throws -> Bool {
        try WeeklyHours(parsing: spec).isOpen(at: CivilTime(try Instant.parse(iso), in: zone ?? ny))
    }

    @Test func alwaysOpen() throws {
        let h = try WeeklyHours(parsing: " 24/7 ")
        #expect(h.isAlwaysOpen)
        for m in stride(from: 0, to: 7 * 1440, by: 37) { #expect(h.isOpen(minuteOfWeek: m)) }
    }

    @Test func weekdayBlocksWithALunchBreak() throws {
        let spec = "mon-fri 08:00-12:00,13:00-17:00; sat 10:00-14:00"
        // 2026-11-25 is a Wednesday.
        #expect(try open(spec, "2026-11-25T08:00:00-05:00"))
        #expect(try open(spec, "2026-11-25T11:59:00-05:00"))
        #expect(try !open(spec, "2026-11-25T12:00:00-05:00"))
        #expect(try !open(spec, "2026-11-25T12:30:00-05:00"))
        #expect(try open(spec, "2026-11-25T13:00:00-05:00"))
        #expect(try !open(spec, "2026-11-25T17:00:00-05:00"))
        #expect(try !open(spec, "2026-11-25T07:59:00-05:00"))
        #expect(try open(spec, "2026-11-28T10:00:00-05:00"))  // Saturday
        #expect(try !open(spec, "2026-11-29T11:00:00-05:00"))  // Sunday
    }

    @Test func blockCrossingMidnight() throws {
        let spec = "fri 22:00-02:00"
        #expect(try !open(spec, "2026-11-27T21:59:00-05:00"))  // Friday
        #expect(try open(spec, "2026-11-27T22:00:00-05:00"))
        #expect(try open(spec, "2026-11-28T01:59:00-05:00"))  // Saturday early
        #expect(try !open(spec, "2026-11-28T02:00:00-05:00"))
        #expect(try !open(spec, "2026-11-28T22:30:00-05:00"))  // Saturday night is not Friday's block
    }

    @Test func sundayNightBlockWrapsIntoMonday() throws {
        let spec = "sun 23:00-01:00"
        #expect(try open(spec, "2026-11-29T23:30:00-05:00"))  // Sunday
        #expect(try open(spec, "2026-11-30T00:30:00-05:00"))  // Monday
        #expect(try !open(spec, "2026-11-30T01:00:00-05:00"))
    }

    @Test func endOfDayAndDayLists() throws {
        #expect(try open("mon,wed 20:00-24:00", "2026-11-25T23:59:00-05:00"))
        #expect(try !open("mon,wed 20:00-24:00", "2026-11-26T00:00:00-05:00"))
        #expect(try open("daily 00:00-24:00", "2026-11-26T03:00:00-05:00"))
        #expect(try open("fri-mon 09:00-10:00", "2026-11-29T09:30:00-05:00"))  // Sunday is inside fri-mon
        #expect(try !open("fri-mon 09:00-10:00", "2026-11-25T09:30:00-05:00"))  // Wednesday is not
    }

    @Test("hours are judged on the local clock on DST days")
    func dstDays() throws {
        let spec = "sun 01:00-04:00"
        // 2026-03-08: clocks in New York jump from 02:00 EST to 03:00 EDT.
        #expect(try open(spec, "2026-03-08T06:30:00Z"))  // 01:30 EST
        #expect(try open(spec, "2026-03-08T07:30:00Z"))  // 03:30 EDT
        #expect(try !open(spec, "2026-03-08T08:00:00Z"))  // 04:00 EDT
        // 2026-11-01: clocks fall back from 02:00 EDT to 01:00 EST; 01:30 happens twice.
        #expect(try open(spec, "2026-11-01T05:30:00Z"))  // 01:30 EDT
        #expect(try open(spec, "2026-11-01T06:30:00Z"))  // 01:30 EST
        #expect(try open(spec, "2026-11-01T08:59:00Z"))  // 03:59 EST
        #expect(try !open(spec, "2026-11-01T09:00:00Z"))  // 04:00 EST
    }

    @Test func canonicalSpec() throws {
        #expect(
            try WeeklyHours(parsing: "MON-FRI  08:00-12:00, 13:00-17:00 ;sat 10:00-14:00").spec
                == "mon-fri 08:00-12:00,13:00-17:00; sat 10:00-14:00")
    }

    @Test(
        "refuses malformed specs",
        arguments: [
            "", "   ", "mon-fri", "08:00-17:00", "mon-fri 8:00-17:00", "mon-fri 08:00-25:00", "mon-fri 08:60-17:00",
            "mon-fri 08:00-08:00", "funday 08:00-17:00", "mon-fri 08:00", "mon-fri 08:00-12:00;", "mon,mon 08:00-09:00",
            "mon-fri 24:00-02:00", "mon-fri 08:00-17:00-18:00", "24/7; mon 08:00-09:00", "mon-tue-wed 08:00-09:00",
        ])
    func refused(spec: String) {
        #expect(throws: InputError.self) { try WeeklyHours(parsing: spec) }
    }
}

@Suite("Zones, states, dates and fields")
struct FieldTests {
    @Test func ianaZones() throws {
        #expect(try TimeZone(iana: "America/Denver").identifier == "America/Denver")
        #expect(try TimeZone(iana: "UTC").secondsFromGMT() == 0)
        for bad in ["EST", "GMT-5", "America/Nowhere", "", "america/denver", "../../etc/passwd"] {
            #expect(throws: InputError.self) { try TimeZone(iana: bad) }
        }
    }

    @Test func states() throws {
        #expect(try USState.parseList(" ny, NJ ,dc") == [try USState(parsing: "NY"), try USState(parsing: "NJ"), try USState(parsing: "DC")])
        #expect(try USState.parseList("") == [])
        #expect(throws: InputError.invalidState("XX")) { try USState.parseList("NY,XX") }
        #expect(throws: InputError.self) { try USState.parseList("NY,,NJ") }
        // The stored form takes the fast path and means the same.
        #expect(USState.parseStoredList("DC,NJ,NY") == (try USState.parseList(" ny, NJ ,dc")))
        #expect(USState.parseStoredList("NY,XX") == nil)
        #expect(USState.parseStoredList("ny") == nil)
    }

    @Test("area codes: known codes, no code twice, every state known")
    func areaCodes() throws {
        #expect(AreaCodes.state(of: "212") == (try USState(parsing: "NY")))
        #expect(AreaCodes.state(of: "303") == (try USState(parsing: "CO")))
        #expect(AreaCodes.state(of: "907") == (try USState(parsing: "AK")))
        #expect(AreaCodes.state(of: try PhoneNumber(parsing: "(415) 555-0100")) == (try USState(parsing: "CA")))
        for none in ["800", "416", "604", "000", "21", "2121", "+12", "abc"] { #expect(AreaCodes.state(of: none) == nil, "\(none)") }
        let listed = AreaCodes.byState.flatMap { entry in entry.codes.split(separator: " ").map { (String($0), entry.state) } }
        #expect(Set(listed.map(\.0)).count == listed.count, "an area code is listed twice")
        #expect(Set(AreaCodes.byState.map(\.state)).count == AreaCodes.byState.count, "a state is listed twice")
        for (code, state) in listed {
            #expect(code.count == 3 && code.allSatisfy(\.isASCIIDigit), "\(code)")
            #expect(USState.allCodes.contains(state), "\(state)")
            #expect(AreaCodes.state(of: code)?.code == state, "\(code)")
        }
        #expect(AreaCodes.entries.count == listed.count)
    }

    @Test func civilTimeAcrossMonthEndsAndLeapDays() throws {
        let utc = TimeZone(identifier: "UTC")!
        let c = CivilTime(try Instant.parse("2028-02-29T23:59:00Z"), in: utc)
        #expect((c.year, c.month, c.day, c.hour, c.minute, c.weekday) == (2028, 2, 29, 23, 59, 1))
        let ny = TimeZone(identifier: "America/New_York")!
        // 04:30Z on Dec 1 is still Nov 30 in New York: month keys follow the local clock.
        let local = CivilTime(try Instant.parse("2026-12-01T04:30:00Z"), in: ny)
        #expect(local.monthKey == 202611)
        #expect(local.dayKey == 20261130)
        #expect(local.hourKey == 2026113023)
        let before1970 = CivilTime(localSeconds: -1)
        #expect((before1970.year, before1970.month, before1970.day, before1970.hour, before1970.weekday) == (1969, 12, 31, 23, 2))
    }

    @Test func localDates() throws {
        #expect(try LocalDate(parsing: "2028-02-29").description == "2028-02-29")
        #expect(throws: InputError.self) { try LocalDate(parsing: "2026-02-29") }
        #expect(throws: InputError.self) { try LocalDate(parsing: "2026-13-01") }
        #expect(throws: InputError.self) { try LocalDate(parsing: "26-11-25") }
        #expect(try LocalDate(parsing: "2026-03-01").previous.description == "2026-02-28")
        let ny = TimeZone(identifier: "America/New_York")!
        // The day after spring-forward starts at 04:00Z, the day itself at 05:00Z.
        #expect(try LocalDate(parsing: "2026-03-08").start(in: ny) == (try Instant.parse("2026-03-08T05:00:00Z")))
        #expect(try LocalDate(parsing: "2026-03-09").start(in: ny) == (try Instant.parse("2026-03-09T04:00:00Z")))
    }

    @Test func instants() throws {
        #expect(try Instant.parse("2026-11-25T14:03:00-05:00") == (try Instant.parse("2026-11-25T19:03:00Z")))
        #expect(throws: InputError.self) { try Instant.parse("2026-11-25T14:03:00") }
        #expect(throws: InputError.self) { try Instant.parse("yesterday") }
        #expect(
            try Instant.parse("2026-11-25T19:03:00.250Z").timeIntervalSince1970 == (try Instant.parse("2026-11-25T19:03:00Z")).timeIntervalSince1970
                + 0.25)
        #expect(try Instant.parse("2026-11-26T00:33:00+05:30") == (try Instant.parse("2026-11-25T19:03:00Z")))
        for bad in [
            "2026-02-30T10:00:00Z", "2026-11-25T24:00:00Z", "2026-11-25 14:03:00-05:00", "2026-11-25T14:03:00-0500", "2026-11-25T14:03Z",
            "2026-11-25T14:03:00-05:00x", "1969-12-31T23:59:59Z", "2026-11-25T14:03:00.Z",
        ] {
            #expect(throws: InputError.self) { try Instant.parse(bad) }
        }
        #expect(
            Instant.format(try Instant.parse("2026-11-01T06:30:00Z"), in: TimeZone(identifier: "America/New_York")!) == "2026-11-01T01:30:00-05:00")
        #expect(
            Instant.format(try Instant.parse("2026-11-01T05:30:00Z"), in: TimeZone(identifier: "America/New_York")!) == "2026-11-01T01:30:00-04:00")
        #expect(Instant.format(try Instant.parse("2026-11-01T05:30:00Z"), in: TimeZone(identifier: "UTC")!) == "2026-11-01T05:30:00Z")
        #expect(
            Instant.format(try Instant.parse("2026-07-04T12:00:00Z"), in: TimeZone(identifier: "America/New_York")!)
                == "2026-07-04T08:00:00-04:00")
    }

    @Test("names with quotes and unicode survive as given")
    func providerFieldsNames() throws {
        let zone = TimeZone(identifier: "America/New_York")!
        let p = try ProviderFields(["name": " O'Brien \"Recovery\" — Zoë 回復 ", "phone": "2125550142"]).newProvider(defaultTimeZone: zone)
        #expect(p.name == "O'Brien \"Recovery\" — Zoë 回復")
        #expect(p.timeZone == zone)
        #expect(p.weight == 1 && p.priority == 1 && p.hours.isAlwaysOpen && p.states.isEmpty)
    }

    @Test func providerFieldsRanges() throws {
        let zone = TimeZone(identifier: "UTC")!
        func make(_ extra: [String: String]) throws -> NewProvider {
            try ProviderFields(["name": "A", "phone": "2125550142"].merging(extra) { $1 }).newProvider(defaultTimeZone: zone)
        }
        #expect(try make(["weight": "100", "daily-cap": "0", "hourly_cap": "none"]).weight == 100)
        #expect(try make(["daily-cap": "0"]).caps.daily == 0)
        #expect(throws: InputError.outOfRange(field: "weight", value: "101", allowed: "1-100")) { try make(["weight": "101"]) }
        #expect(throws: InputError.outOfRange(field: "weight", value: "0", allowed: "1-100")) { try make(["weight": "0"]) }
        #expect(throws: InputError.self) { try make(["daily_cap": "-1"]) }
        #expect(throws: InputError.notANumber(field: "weight", value: "2.5")) { try make(["weight": "2.5"]) }
        #expect(throws: InputError.missing(field: "name")) { try make(["name": "  "]) }
        #expect(throws: InputError.self) { try ProviderFields(["colour": "red"]) }
    }

    @Test func quotingInMessagesShowsControlCharacters() {
        let message = InputError.invalidTimeZone("bad\nerror: forged").message
        #expect(!message.contains("\n"))
        #expect(message.contains("\\n"))
    }
}
