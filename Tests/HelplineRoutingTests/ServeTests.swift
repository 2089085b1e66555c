import Foundation
import GRDB
import Testing

@testable import HelplineRouting
@testable import HelplineServer

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Counts rows of a table, read as another process would.
func rows(_ db: String, _ table: String, _ filter: String = "1") throws -> Int {
    let queue = try DatabaseQueue(path: db)
    defer { try? queue.close() }
    return try queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM \(table) WHERE \(filter)") ?? -1 }
}

/// Parses `text` as XML and returns the root element's name, or nil when it is not well-formed.
func xmlRoot(_ text: String) -> String? {
    final class Root: NSObject, XMLParserDelegate {
        var name: String?
        func parser(_ p: XMLParser, didStartElement e: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String]) {
            if name == nil { name = e }
        }
    }
    let parser = XMLParser(data: Data(text.utf8))
    let root = Root()
    parser.delegate = root
    return parser.parse() ? root.name : nil
}

@Suite("Twilio's signature and TwiML, alone")
struct TwilioUnitTests {
    static let url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    static let params = [
        ("CallSid", "CA1234567890ABCDE"), ("Caller", "+14158675309"), ("Digits", "1234"), ("From", "+14158675309"), ("To", "+18005551212"),
    ]
    static let expected = "RSOYDt4T1cUTdK1PDd93/VVr8B8="

    @Test("Twilio's published vector validates, written with and without :443, in any parameter order, with a repeated pair")
    func publishedVector() {
        #expect(TwilioSignature.compute(token: "12345", url: Self.url, parameters: Self.params) == Self.expected)
        #expect(HTTPClient.twilioSignature(token: "12345", url: Self.url, Self.params) == Self.expected)
        #expect(TwilioSignature.isValid(Self.expected, token: "12345", url: Self.url, parameters: Self.params.reversed()))
        #expect(
            TwilioSignature.isValid(Self.expected, token: "12345", url: "https://mycompany.com:443/myapp.php?foo=1&bar=2", parameters: Self.params))
        // A pair sent twice is signed once.
        #expect(TwilioSignature.isValid(Self.expected, token: "12345", url: Self.url, parameters: Self.params + [("Digits", "1234")]))
        // Repeated names with different values are ordered by value, whatever order they came in.
        let repeated = [("foo", "b"), ("foo", "a")]
        let signed = HTTPClient.twilioSignature(token: "12345", url: Self.url, repeated)
        #expect(TwilioSignature.isValid(signed, token: "12345", url: Self.url, parameters: repeated))
        #expect(TwilioSignature.compute(token: "12345", url: Self.url, parameters: repeated.reversed()) == signed)
    }

    @Test("a wrong token, URL, parameter or port is refused")
    func refused() {
        #expect(!TwilioSignature.isValid(Self.expected, token: "12346", url: Self.url, parameters: Self.params))
        #expect(!TwilioSignature.isValid(Self.expected, token: "12345", url: "https://mycompany.com/myapp.php?foo=1&bar=3", parameters: Self.params))
        #expect(!TwilioSignature.isValid(Self.expected, token: "12345", url: Self.url, parameters: Self.params.dropLast()))
        #expect(
            !TwilioSignature.isValid(Self.expected, token: "12345", url: "https://mycompany.com:8443/myapp.php?foo=1&bar=2", parameters: Self.params))
        #expect(!TwilioSignature.isValid("", token: "12345", url: Self.url, parameters: Self.params))
        #expect(TwilioSignature.urlForms("http://a.example:80/x") == ["http://a.example:80/x", "http://a.example/x"])
    }

    @Test("every TwiML the server can write parses as XML, with hostile text escaped")
    func twimlParses() {
        let hostile = "A & B <Dial> \"quoted\" 'single' \u{1}"
        let documents = [
            TwiML.response([TwiML.say(hostile), TwiML.hangup]),
            TwiML.response([
                TwiML.dial(
                    destination: "sip:intake@pbx.example.org;transport=tls", action: "https://h.example/twilio/dial-status?call=1&attempt=2",
                    timeout: 20, statusCallback: "https://h.example/x?a=1&b=2")
            ]),
            TwiML.response([TwiML.say("Hold"), TwiML.pause(1), TwiML.redirect("https://h.example/twilio/voice?retry=1&x=<y>")]),
        ]
        for doc in documents { #expect(xmlRoot(doc) == "Response", "\(doc)") }
        #expect(!TwiML.escape(hostile).contains("<Dial>"))
        #expect(CallEvent(sipStatus: 486) == .busy && CallEvent(sipStatus: 603) == .busy && CallEvent(sipStatus: 408) == .noAnswer)
        #expect(CallEvent(sipStatus: 503) == .failed && CallEvent(sipStatus: 200) == .answered && CallEvent(sipStatus: 180) == nil)
        #expect(CallEvent.twilioDialStatus("canceled") == [.ended] && CallEvent.twilioDialStatus("completed") == [.answered, .ended])
        #expect(CallEvent.twilioCallStatus("in-progress") == nil && CallEvent.twilioCallStatus("busy") == .ended)
    }

    @Test("every mapping HTTP.md tabulates: DialCallStatus, CallStatus and SIP responses to events")
    func contractMappings() {
        let dial: [String: [CallEvent]] = [
            "busy": [.busy], "no-answer": [.noAnswer], "failed": [.failed], "canceled": [.ended], "completed": [.answered, .ended],
        ]
        for (status, events) in dial { #expect(CallEvent.twilioDialStatus(status) == events, "\(status)") }
        for status in ["completed", "busy", "failed", "no-answer", "canceled"] {
            #expect(CallEvent.twilioCallStatus(status) == .ended, "\(status)")
        }
        for status in ["queued", "initiated", "ringing", "in-progress"] { #expect(CallEvent.twilioCallStatus(status) == nil, "\(status)") }
        for code in [486, 600, 603] { #expect(CallEvent(sipStatus: code) == .busy, "\(code)") }
        for code in [408, 480] { #expect(CallEvent(sipStatus: code) == .noAnswer, "\(code)") }
        for code in [400, 403, 404, 487, 488, 500, 502, 503, 504, 580, 604, 606] { #expect(CallEvent(sipStatus: code) == .failed, "\(code)") }
        for code in [100, 180, 183] { #expect(CallEvent(sipStatus: code) == nil, "\(code)") }
        #expect(CallEvent(sipStatus: 200) == .answered)
    }
}

@Suite("helpline serve, against the running binary", .serialized)
struct ServeTests {
    /// The widget's policy, as HTTP.md writes it.
    static let contractCSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"

    /// A database with three providers (B has a SIP URI), the general number and a listing with
    /// a 35 s ring timeout, and published terms.
    static func setUp(_ dir: TempDir) throws -> String {
        let db = try CLI.seededDatabase(dir, providers: 3)
        #expect(try CLI.run(["provider", "update", "2", "--sip-uri", "sip:intake@pbx.example.org"], db: db).status == 0)
        #expect(
            try CLI.run(["listing", "add", "--name", "ARK Denver", "--number", "8885550199", "--provider", "1", "--ring-timeout", "35"], db: db)
                .status == 0)
        let terms = dir.path("terms.txt")
        try "Terms of use, version 1.".write(toFile: terms, atomically: true, encoding: .utf8)
        #expect(try CLI.run(["terms", "publish", "--file", terms], db: db).status == 0)
        return db
    }

    @Test("serve refuses to start without an API token: exit 64 with a hint")
    func noToken() throws {
        let dir = try TempDir()
        let db = try CLI.newDatabase(dir)
        let r = try CLI.run(["serve", "--listen", "127.0.0.1:0"], db: db, env: ["HELPLINE_API_TOKEN": "", "HELPLINE_API_TOKEN_FILE": ""])
        #expect(r.status == 64)
        #expect(r.stderr.contains("error: serve needs an API token") && r.stderr.contains("hint: set HELPLINE_API_TOKEN"))
    }

    @Test("the token: 401 without it or with a wrong one, Bearer and Basic accepted, /metrics guarded, the public paths open")
    func auth() throws {
        let dir = try TempDir()
        let db = try Self.setUp(dir)
        let server = try ServerProcess(db: db, dir: dir)
        let call = [("to", "8009151270"), ("from", "2125550199")]
        let none = try server.post("/v1/calls", call, token: false)
        #expect(none.status == 401 && none.headers["www-authenticate"] == "Basic realm=\"helpline\"")
        #expect(try none.json()["error"] as? [String: Any] != nil)
        #expect(try server.post("/v1/calls", call, token: false, headers: [("Authorization", "Bearer wrong")]).status == 401)
        #expect(try server.post("/v1/events", [("event", "ended"), ("call_id", "1")], token: false).status == 401)
        let basic = Data("kamailio:\(server.apiToken)".utf8).base64EncodedString()
        #expect(try server.post("/v1/calls", call, token: false, headers: [("Authorization", "Basic \(basic)")]).status == 200)
        let wrongBasic = Data("kamailio:nope".utf8).base64EncodedString()
        #expect(try server.post("/v1/calls", call, token: false, headers: [("Authorization", "Basic \(wrongBasic)")]).status == 401)
        #expect(try server.get("/metrics").status == 401)
        let metrics = try server.get("/metrics", token: true)
        #expect(metrics.status == 200 && metrics.text.contains("helpline_calls_routed_total{kind=\"pool\",outcome=\"offer\"} 1"))
        for name in [
            "helpline_db_busy_total", "helpline_callback_bots_total", "helpline_inflight_requests", "helpline_route_seconds_bucket",
            "http_requests_total",
        ] {
            #expect(metrics.text.contains(name), "\(name)")
        }
        #expect(try server.get("/healthz").text.contains("\"status\":\"ok\""))
        #expect(try server.get("/nowhere/2125550199").status == 404)
        #expect(server.stop()?.status == 0)
    }

    @Test("/v1/calls: the route shape with attempt, destination and ring timeout; JSON or form; resends answer the same; odd callers routed")
    func calls() throws {
        let dir = try TempDir()
        let db = try Self.setUp(dir)
        let server = try ServerProcess(db: db, dir: dir)
        let first = try server.post("/v1/calls", [("to", "8009151270"), ("from", "(212) 555-0199"), ("external_id", "sip-1")], json: true)
        #expect(first.status == 200)
        let body = try first.json()
        #expect(body["outcome"] as? String == "offer" && body["attempt"] as? Int == 1 && body["ring_timeout_s"] as? Int == 20)
        #expect((body["destination"] as? String)?.hasPrefix("+1303555010") == true)
        let again = try server.post("/v1/calls", [("to", "8009151270"), ("from", "(212) 555-0199"), ("external_id", "sip-1")])
        #expect(again.status == 200 && again.text == first.text)
        #expect(try rows(db, "calls") == 1)
        // A listing call: its provider, its ring timeout.
        let listing = try server.post("/v1/calls", [("to", "8885550199"), ("from", "+13035550123")]).json()
        #expect(
            listing["kind"] as? String == "direct" && listing["ring_timeout_s"] as? Int == 35 && listing["destination"] as? String == "+13035550101")
        // Withheld, foreign and malformed callers are routed, never refused.
        for caller in ["anonymous", "+442079460000", "12", ""] {
            let r = try server.post("/v1/calls", [("to", "8009151270"), ("from", caller)])
            #expect(r.status == 200, "\(caller): \(r.text)")
        }
        // A well-formed number nobody configured: logged, 200 unroutable. A malformed one: 422.
        let unroutable = try server.post("/v1/calls", [("to", "8005550000"), ("from", "2125550199")])
        #expect(try unroutable.status == 200 && (unroutable.json()["outcome"] as? String) == "unroutable")
        #expect(try server.post("/v1/calls", [("to", "not a number"), ("from", "2125550199")]).status == 422)
        #expect(try server.post("/v1/calls", [("to", "8009151270")]).status == 400)
        #expect(try server.post("/v1/calls", [("to", "8009151270"), ("from", "2125550199"), ("caller_state", "ZZ")]).status == 200)
        let broken = try HTTPClient.request(
            port: server.port, method: "POST", path: "/v1/calls",
            headers: [("Authorization", "Bearer \(server.apiToken)"), ("Content-Type", "application/json")], body: Array("{not json".utf8))
        #expect(broken.status == 400 && broken.text.contains("\"code\":\"bad_request\""))
        let big = [UInt8](repeating: UInt8(ascii: "a"), count: 70 * 1024)
        let tooBig = try HTTPClient.request(
            port: server.port, method: "POST", path: "/v1/calls", headers: [("Authorization", "Bearer \(server.apiToken)")], body: big)
        #expect(tooBig.status == 413)
        #expect(server.stop()?.status == 0)
    }

    @Test("/v1/events by call id and by external id: each resend changes nothing; a contradiction is 409; unknown is 404")
    func events() throws {
        let dir = try TempDir()
        let db = try Self.setUp(dir)
        let server = try ServerProcess(db: db, dir: dir)
        let call = try server.post("/v1/calls", [("to", "8009151270"), ("from", "2125550199"), ("external_id", "abc@proxy")]).json()
        let id = try #require(call["call_id"] as? String)
        #expect(try server.post("/v1/events", [("event", "busy"), ("external_id", "abc@proxy")]).status == 400)  // attempt required
        let busy = try server.post("/v1/events", [("event", "busy"), ("external_id", "abc@proxy"), ("attempt", "1")])
        let next = try busy.json()
        #expect(busy.status == 200 && next["attempt"] as? Int == 2 && next["destination"] as? String != call["destination"] as? String)
        let attemptsBefore = try rows(db, "attempts")
        let resent = try server.post("/v1/events", [("event", "busy"), ("external_id", "abc@proxy"), ("attempt", "1")])
        #expect(try resent.status == 200 && resent.text == busy.text && (rows(db, "attempts")) == attemptsBefore)
        let answered = try server.post("/v1/events", [("event", "answered"), ("call_id", id), ("attempt", "2")])
        let answeredAgain = try server.post("/v1/events", [("event", "answered"), ("call_id", id), ("attempt", "2")])
        #expect(answered.status == 200 && answeredAgain.text == answered.text)
        let conflict = try server.post("/v1/events", [("event", "no-answer"), ("call_id", id), ("attempt", "2")])
        #expect(conflict.status == 409 && conflict.text.contains("\"code\":\"conflict\""))
        let ended = try server.post("/v1/events", [("event", "ended"), ("external_id", "abc@proxy")])
        let endedAgain = try server.post("/v1/events", [("event", "ended"), ("external_id", "abc@proxy")])
        #expect(try ended.status == 200 && endedAgain.text == ended.text && (ended.json()["status"] as? String) == "ended")
        #expect(try server.post("/v1/events", [("event", "ended"), ("external_id", "nobody")]).status == 404)
        #expect(try server.post("/v1/events", [("event", "ended"), ("call_id", "999")]).status == 404)
        #expect(try server.post("/v1/events", [("event", "no-answer"), ("call_id", id), ("attempt", "9")]).status == 404)
        #expect(try server.post("/v1/events", [("event", "exploded"), ("call_id", id)]).status == 422)
        // `failed` is the network's doing: it doesn't count toward the provider's auto-pause run.
        let second = try server.post("/v1/calls", [("to", "8009151270"), ("from", "2125550100")]).json()
        let sid = try #require(second["call_id"] as? String)
        let failedProvider = try #require((second["provider"] as? [String: Any])?["id"] as? Int)
        #expect(try server.post("/v1/events", [("event", "failed"), ("call_id", sid), ("attempt", "1")]).status == 200)
        #expect(try rows(db, "provider_live", "provider_id = \(failedProvider) AND unanswered_in_a_row > 0") == 0)
        // Each event answered 2xx is counted, resends too; refused ones (400, 404, 409, 422) are not.
        let metrics = try server.get("/metrics", token: true).text
        for (event, n) in [("busy", 2), ("answered", 2), ("ended", 2), ("failed", 1)] {
            #expect(metrics.contains("helpline_call_events_total{event=\"\(event)\"} \(n)\n"), "\(event)")
        }
        #expect(!metrics.contains("helpline_call_events_total{event=\"no-answer\"}"))
        #expect(server.stop()?.status == 0)
    }

    @Test("busy database: 503 with Retry-After within 1.5 s and nothing written, while /healthz answers in under 50 ms")
    func busyDatabase() throws {
        let dir = try TempDir()
        let db = try Self.setUp(dir)
        let server = try ServerProcess(db: db, dir: dir)
        #expect(try server.post("/v1/calls", [("to", "8009151270"), ("from", "2125550199")]).status == 200)
        let holder = try LockHolder(db)
        // Several routes wait on the lock at once, occupying database threads.
        let results = NIOLockedAnswers()
        let group = onThreads(4) { n in
            let start = Date()
            let r = try? server.post("/v1/calls", [("to", "8009151270"), ("from", "212555010\(n)")])
            results.append(r?.status ?? -1, Date().timeIntervalSince(start), r?.headers["retry-after"])
        }
        Thread.sleep(forTimeInterval: 0.2)
        var healthTimes: [Double] = []
        for _ in 0..<5 {
            let start = Date()
            let health = try server.get("/healthz")
            healthTimes.append(Date().timeIntervalSince(start))
            #expect(health.status == 200)
        }
        group.wait()
        holder.release()
        #expect(healthTimes.max() ?? 1 < 0.05, "healthz took \(healthTimes)")
        for (status, seconds, retryAfter) in results.all {
            #expect(status == 503 && seconds < 1.5 && retryAfter == "1", "\(status) after \(seconds) s")
        }
        #expect(try rows(db, "calls") == 1)
        let metrics = try server.get("/metrics", token: true).text
        #expect(metrics.contains("helpline_db_busy_total 4"))
        #expect(server.stop()?.status == 0)
    }

    @Test("--max-inflight: the request past the limit gets 503 and Retry-After at once")
    func maxInflight() throws {
        let dir = try TempDir()
        let db = try Self.setUp(dir)
        let server = try ServerProcess(db: db, dir: dir, arguments: ["--max-inflight", "1"])
        let holder = try LockHolder(db)
        let group = onThreads(1) { _ in _ = try? server.post("/v1/calls", [("to", "8009151270"), ("from", "2125550199")]) }
        Thread.sleep(forTimeInterval: 0.2)
        let start = Date()
        let refused = try server.post("/v1/calls", [("to", "8009151270"), ("from", "2125550198")])
        let took = Date().timeIntervalSince(start)
        group.wait()
        holder.release()
        #expect(refused.status == 503 && refused.headers["retry-after"] == "1" && refused.text.contains("overloaded"))
        #expect(took < 0.5, "took \(took) s")
        #expect(server.stop()?.status == 0)
    }

    @Test("SIGTERM with requests in flight: they finish, every 2xx is in the database, exit 0 within the drain timeout")
    func drain() throws {
        let dir = try TempDir()
        let db = try Self.setUp(dir)
        let server = try ServerProcess(db: db, dir: dir, arguments: ["--drain-timeout", "5"], env: ["HELPLINE_BUSY_TIMEOUT": "4"])
        let holder = try LockHolder(db)
        let answers = NIOLockedAnswers()
        let group = onThreads(8) { n in
            let r = try? server.post("/v1/calls", [("to", "8009151270"), ("from", "21255501\(10 + n)"), ("external_id", "drain-\(n)")])
            answers.append(r?.status ?? -1, 0, (try? r?.json()["call_id"] as? String) ?? nil)
        }
        Thread.sleep(forTimeInterval: 0.3)
        kill(server.process.processIdentifier, SIGTERM)
        Thread.sleep(forTimeInterval: 0.3)
        holder.release()
        let stopped = server.stop(SIGTERM, limit: 10)
        group.wait()
        #expect(stopped?.status == 0, "log: \(server.log)")
        let ok = answers.all.filter { $0.status == 200 }
        #expect(ok.count == 8, "\(answers.all) \(server.log)")
        for answer in ok {
            let id = try #require(answer.extra)
            #expect(try rows(db, "calls", "id = \(id)") == 1)
        }
        #expect(server.log.contains("draining"))
        #expect((stopped?.seconds ?? 99) < 5, "exited \(stopped?.seconds ?? -1) s after SIGTERM; the drain timeout is 5 s")
    }

    @Test("SIGTERM when a request outlives --drain-timeout: exit 75 at the deadline, and its transaction never commits")
    func drainDeadline() throws {
        let dir = try TempDir()
        let db = try Self.setUp(dir)
        let server = try ServerProcess(db: db, dir: dir, arguments: ["--drain-timeout", "1"], env: ["HELPLINE_BUSY_TIMEOUT": "8"])
        let holder = try LockHolder(db)
        let group = onThreads(1) { _ in _ = try? server.post("/v1/calls", [("to", "8009151270"), ("from", "2125550199")]) }
        Thread.sleep(forTimeInterval: 0.3)
        let stopped = server.stop(SIGTERM, limit: 6)
        holder.release()
        group.wait()
        #expect(stopped?.status == 75, "log: \(server.log)")
        #expect((stopped?.seconds ?? 99) < 3)
        #expect(try rows(db, "calls") == 0)
        #expect(server.log.contains("drain deadline passed"))
    }

    @Test("with calls to count, the widget shows exactly the banner /v1/banner gives; without terms, /terms is 404")
    func bannerAndWidgetAgree() throws {
        let dir = try TempDir()
        let db = dir.path("demo.sqlite")
        #expect(try CLI.run(["demo", "--db", db]).status == 0)
        let server = try ServerProcess(db: db, dir: dir)
        let banner = try server.get("/v1/banner").json()
        let text = try #require(banner["text"] as? String)
        #expect(banner["withheld"] as? Bool == false && text.hasPrefix("Response time"))
        #expect(try server.get("/widget").text.contains("<p class=\"banner\">\(text)</p>"))
        #expect(server.stop()?.status == 0)
        let empty = try TempDir()
        let bare = try CLI.seededDatabase(empty)
        let plain = try ServerProcess(db: bare, dir: empty)
        #expect(try plain.get("/terms").status == 404)
        #expect(try plain.get("/widget").text.contains("By calling the helpline you agree to the terms of use."))
        #expect(plain.stop()?.status == 0)
    }

    @Test("the callback form: queued, 422 for a bad phone, a bot gets the same 201 and is counted, 413 over 16 KB, 429 past 10 a minute")
    func callbacks() throws {
        let dir = try TempDir()
        let db = try Self.setUp(dir)
        let server = try ServerProcess(db: db, dir: dir)
        let person = try server.post("/v1/callbacks", [("phone", "(303) 555-0123"), ("website", "")], token: false)
        #expect(try person.status == 201 && (person.json()["status"] as? String) == "queued")
        let bot = try server.post("/v1/callbacks", [("phone", "(303) 555-0124"), ("website", "http://spam.example")], token: false)
        #expect(bot.status == 201 && bot.text == person.text && bot.headers["content-type"] == person.headers["content-type"])
        #expect(try rows(db, "callbacks", "reason = 'web-form'") == 1 && (rows(db, "rejected_requests")) == 1)
        let browser = [("Accept", "text/html,application/xhtml+xml,application/json;q=0.9")]
        let personPage = try server.post("/v1/callbacks", [("phone", "(303) 555-0125"), ("website", "")], token: false, headers: browser)
        let botPage = try server.post("/v1/callbacks", [("phone", "(303) 555-0126"), ("website", "x")], token: false, headers: browser)
        #expect(personPage.status == 201 && botPage.body == personPage.body && personPage.text.contains("Thank you, a provider will call you back"))
        #expect(personPage.headers["content-security-policy"] == Self.contractCSP)
        let bad = try server.post("/v1/callbacks", [("phone", "303-555-0127"), ("website", "")], token: false)
        #expect(bad.status == 422)
        let badPage = try server.post("/v1/callbacks", [("phone", "303-555-0127"), ("website", "")], token: false, headers: browser)
        #expect(badPage.status == 422 && badPage.text.contains("aria-invalid=\"true\"") && badPage.text.contains("id=\"phone-error\""))
        #expect(xmlRoot(badPage.text.replacingOccurrences(of: "<!doctype html>", with: "")) == "html")
        let huge = try server.post(
            "/v1/callbacks", [("phone", "(303) 555-0128"), ("website", String(repeating: "x", count: 17 * 1024))], token: false)
        #expect(huge.status == 413)
        // 7 requests so far from this address (the oversized one counts too); the 11th in the minute is refused.
        var statuses: [Int] = []
        for n in 0..<4 { statuses.append(try server.post("/v1/callbacks", [("phone", "(303) 555-013\(n)")], token: false).status) }
        #expect(statuses == [201, 201, 201, 429], "\(statuses)")
        let metrics = try server.get("/metrics", token: true).text
        #expect(metrics.contains("helpline_callback_bots_total 2"))
        // Behind the TLS proxy every request comes from loopback: the proxy's X-Forwarded-For
        // names the client, so another visitor is not refused for this one's requests.
        let other = try server.post(
            "/v1/callbacks", [("phone", "(303) 555-0140")], token: false, headers: [("X-Forwarded-For", "198.51.100.23")])
        #expect(other.status == 201)
        #expect(HTTPService.clientAddress(peer: "203.0.113.9", forwardedFor: "198.51.100.23") == "203.0.113.9")
        #expect(HTTPService.clientAddress(peer: "127.0.0.1", forwardedFor: "10.0.0.1, 198.51.100.23") == "198.51.100.23")
        #expect(server.stop()?.status == 0)
    }

    @Test("banner, disclosure, terms and the widget, from the same numbers the CLI prints")
    func website() throws {
        let dir = try TempDir()
        let db = try Self.setUp(dir)
        let server = try ServerProcess(db: db, dir: dir)
        let banner = try server.get("/v1/banner").json()
        #expect(banner["withheld"] as? Bool == true && banner["text"] is NSNull && banner["days"] as? Int == 30 && banner["n"] as? Int == 0)
        let disclosure = try server.get("/v1/disclosure").json()
        let cli = try CLI.run(["disclosure"], db: db).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(disclosure["text"] as? String == cli && disclosure["providers"] as? [String] == ["A", "B", "C"])
        let terms = try server.get("/terms")
        #expect(terms.status == 200 && terms.text == "Terms of use, version 1." && terms.headers["content-type"] == "text/plain; charset=utf-8")
        let widget = try server.get("/widget")
        #expect(widget.status == 200 && widget.headers["content-security-policy"] == Self.contractCSP)
        for needle in [
            "href=\"tel:+18009151270\">(800) 915-1270</a>", "action=\"https://helpline.example.org/v1/callbacks\"",
            "Use This Format Only: (###) ###-####",
            "inputmode=\"tel\"", "autocomplete=\"tel-national\"", "tabindex=\"-1\"", "aria-hidden=\"true\"",
            "This field is for validation purposes and should be left unchanged", "href=\"https://helpline.example.org/terms\"",
            "paid advertiser: A, B, and C.",
        ] {
            #expect(widget.text.contains(needle), "\(needle)")
        }
        #expect(!widget.text.contains("<script") && !widget.text.contains("src=") && !widget.text.contains("type=\"hidden\""))
        #expect(try server.get("/widget?number=8885550100").status == 404)
        // Ten advertisers, the longest names the form allows: still under 20 KB.
        for n in 4...10 {
            let name = String(("Provider \(n) " + String(repeating: "Recovery Center ", count: 13)).prefix(199))
                .trimmingCharacters(in: .whitespaces)
            #expect(try CLI.run(["provider", "add", "--name", name, "--phone", "30355502\(String(format: "%02d", n))"], db: db).status == 0)
        }
        let big = try server.get("/widget")
        #expect(big.status == 200 && big.body.count <= 20_480 && big.text.contains("Provider 10 Recovery"), "\(big.body.count) bytes")
        // A paused or removed advertiser leaves the list at once, on the page and in /v1/disclosure.
        #expect(try CLI.run(["provider", "pause", "3"], db: db).status == 0)
        #expect(try CLI.run(["provider", "remove", "2"], db: db).status == 0)
        let after = try server.get("/widget").text
        #expect(after.contains("paid advertiser: A, Provider 10") && !after.contains(", B,") && !after.contains(" C,"))
        #expect(try (server.get("/v1/disclosure").json()["providers"] as? [String])?.contains("B") == false)
        #expect(try server.get("/widget?number=(800)%20915-1270").status == 200)
        #expect(server.stop()?.status == 0)
    }

    @Test("Twilio: signed voice → TwiML Dial with the call and attempt in signed URLs; answer, next offer, end; 403 unsigned; 404 without a token")
    func twilio() throws {
        let dir = try TempDir()
        let db = try Self.setUp(dir)
        let server = try ServerProcess(db: db, dir: dir)
        let voiceFields = [("CallSid", "CA100"), ("From", "+12125550199"), ("To", "+18009151270"), ("FromState", "NY")]
        #expect(try server.twilio("/twilio/voice", voiceFields, signature: "bad").status == 403)
        let unsigned = try HTTPClient.request(
            port: server.port, method: "POST", path: "/twilio/voice", body: Array(HTTPClient.form(voiceFields).utf8))
        #expect(unsigned.status == 403)
        let voice = try server.twilio("/twilio/voice", voiceFields)
        #expect(voice.status == 200 && xmlRoot(voice.text) == "Response", "\(voice.text)")
        #expect(voice.text.contains("<Say>By calling the helpline you agree to the terms of use.</Say>"))
        #expect(voice.text.contains("action=\"https://helpline.example.org/twilio/dial-status?call=1&amp;attempt=1\""))
        #expect(voice.text.contains("timeout=\"20\" answerOnBridge=\"true\"") && voice.text.contains("statusCallbackEvent=\"answered\""))
        // Twilio resends: the same TwiML, one call.
        #expect(try server.twilio("/twilio/voice", voiceFields).text == voice.text && (rows(db, "calls")) == 1)
        let next = try server.twilio("/twilio/dial-status?call=1&attempt=1", [("CallSid", "CA100"), ("DialCallStatus", "no-answer")])
        #expect(next.status == 200 && xmlRoot(next.text) == "Response" && next.text.contains("attempt=2") && !next.text.contains("<Say>"))
        let answered = try server.twilio(
            "/twilio/number-status?call=1&attempt=2", [("CallSid", "CA200"), ("CallStatus", "in-progress")])
        #expect(try answered.status == 204 && (rows(db, "calls", "id = 1 AND status = 'connected'")) == 1)
        let done = try server.twilio("/twilio/dial-status?call=1&attempt=2", [("CallSid", "CA100"), ("DialCallStatus", "completed")])
        #expect(try done.text.contains("<Hangup/>") && (rows(db, "calls", "id = 1 AND status = 'ended'")) == 1)
        #expect(try server.twilio("/twilio/call-status", [("CallSid", "CA100"), ("CallStatus", "completed")]).status == 204)
        // A SIP URI rings as <Sip>; a caller who hangs up while it rings is ended, and owed a callback.
        let second = try server.twilio("/twilio/voice", [("CallSid", "CA101"), ("From", "+12125550100"), ("To", "+18009151270")])
        #expect(xmlRoot(second.text) == "Response")
        #expect(try server.twilio("/twilio/call-status", [("CallSid", "CA101"), ("CallStatus", "canceled")]).status == 204)
        #expect(try rows(db, "calls", "external_id = 'CA101' AND status = 'callback'") == 1)
        // Every outcome is spoken in valid TwiML: unroutable, anonymous, and a call with nobody left.
        for (from, to) in [("+12125550101", "+18005550000"), ("anonymous", "+18009151270"), ("+442079460000", "+18009151270")] {
            let r = try server.twilio("/twilio/voice", [("CallSid", "CA-\(from)"), ("From", from), ("To", to)])
            #expect(r.status == 200 && xmlRoot(r.text) == "Response", "\(from) → \(to): \(r.text)")
        }
        #expect(server.stop()?.status == 0)
        let plain = try ServerProcess(db: db, dir: dir, twilio: false)
        #expect(try plain.twilio("/twilio/voice", voiceFields).status == 404)
        #expect(plain.stop()?.status == 0)
    }

    @Test("Twilio while the database is busy: the caller is held and Twilio asked to come back, in valid TwiML")
    func twilioBusy() throws {
        let dir = try TempDir()
        let db = try Self.setUp(dir)
        let server = try ServerProcess(db: db, dir: dir)
        let holder = try LockHolder(db)
        let r = try server.twilio("/twilio/voice", [("CallSid", "CA9"), ("From", "+12125550199"), ("To", "+18009151270")])
        holder.release()
        #expect(
            r.status == 200 && xmlRoot(r.text) == "Response"
                && r.text.contains("<Redirect method=\"POST\">https://helpline.example.org/twilio/voice?retry=1</Redirect>"))
        let last = try server.twilio("/twilio/voice?retry=5", [("CallSid", "CA9"), ("From", "+12125550199"), ("To", "+18009151270")])
        #expect(last.text.contains("<Dial"))  // the lock is gone: the retry routes the call
        #expect(server.stop()?.status == 0)
    }

    @Test("no log line carries a caller's digits or a token")
    func logsAreClean() throws {
        let dir = try TempDir()
        let db = try Self.setUp(dir)
        let server = try ServerProcess(db: db, dir: dir)
        _ = try server.post("/v1/calls", [("to", "8009151270"), ("from", "(212) 555-0199"), ("external_id", "x")])
        _ = try server.post("/v1/calls", [("to", "8005550000"), ("from", "2125550177")])
        _ = try server.post("/v1/calls", [("to", "garbage 2125550166"), ("from", "2125550166")])
        _ = try server.post("/v1/callbacks", [("phone", "(303) 555-0144")], token: false)
        _ = try server.post("/v1/callbacks", [("phone", "303 555 0155")], token: false)
        _ = try server.get("/v1/2125550188")
        _ = try server.twilio("/twilio/voice", [("CallSid", "CA1"), ("From", "+12125550133"), ("To", "+18009151270")])
        #expect(server.stop()?.status == 0)
        let log = server.log
        #expect(log.contains("path=/v1/calls") && log.contains("status=200") && log.contains("call_id=1"))
        for digits in ["5550199", "5550177", "5550166", "5550144", "5550155", "5550188", "5550133", "9151270", "5550000"] {
            #expect(!log.contains(digits), "\(digits) in the log")
        }
        #expect(!log.contains(server.apiToken) && !log.contains(server.twilioToken))
    }
}

/// Answers collected from several threads.
final class NIOLockedAnswers: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [(status: Int, seconds: Double, extra: String?)] = []
    func append(_ status: Int, _ seconds: Double, _ extra: String?) { lock.withLock { items.append((status, seconds, extra)) } }
    var all: [(status: Int, seconds: Double, extra: String?)] { lock.withLock { items } }
}
