import Foundation
import GRDB
import Testing

@testable import HelplineRouting

@Suite("Callback requests from the web form")
struct CallbackRequestTests {
    @Test("a changed honeypot is rejected, logged, and queues nothing")
    func honeypot() throws {
        let f = try RoutingFixture()
        #expect(throws: RoutingError.honeypotChanged) { try f.helpline.requestCallback(phoneField: "(303) 555-0125", honeypot: "http://spam") }
        #expect(try f.count("callbacks") == 0)
        #expect(try f.count("consent_records") == 0)
        #expect(try f.count("rejected_requests") == 1)
        // Left unchanged (empty) is fine.
        #expect(try f.helpline.requestCallback(phoneField: "(303) 555-0125", honeypot: "").status == .pending)
    }

    @Test("the form takes (###) ###-#### only, and a repeat request returns the pending one")
    func format() throws {
        let f = try RoutingFixture()
        #expect(throws: InputError.self) { try f.helpline.requestCallback(phoneField: "3035550125") }
        let first = try f.helpline.requestCallback(phoneField: "(303) 555-0125", state: "co")
        #expect(first.callerState == "CO")
        #expect(first.reason == .webForm)
        #expect(try f.helpline.requestCallback(phoneField: "(303) 555-0125") == first)
        #expect(try f.count("callbacks") == 1)
    }
}
