import Foundation
import GRDB
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A `helpline serve` process on a free loopback port, its standard error in a file.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    let port: Int
    let logURL: URL
    let apiToken = "tok-\(UUID().uuidString.prefix(12))"
    let twilioToken = "twilio-\(UUID().uuidString.prefix(12))"
    static let publicURL = "https://helpline.example.org"

    /// Starts the server and waits until it listens.
    ///
    /// - Parameters:
    ///   - twilio: whether to give it a Twilio auth token.
    ///   - arguments: more `serve` options.
    init(db: String, dir: TempDir, twilio: Bool = true, arguments: [String] = [], env: [String: String] = [:]) throws {
        logURL = dir.url.appendingPathComponent("serve-\(UUID().uuidString.prefix(6)).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        process.executableURL = CLI.binary
        process.arguments = ["serve", "--db", db, "--listen", "127.0.0.1:0", "--public-url", Self.publicURL] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["HELPLINE_TZ"] = "America/New_York"
        environment["HELPLINE_API_TOKEN"] = apiToken
        environment.removeValue(forKey: "HELPLINE_TWILIO_AUTH_TOKEN")
        if twilio { environment["HELPLINE_TWILIO_AUTH_TOKEN"] = twilioToken }
        for (k, v) in env { environment[k] = v }
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: logURL)
        try process.run()
        var found: Int?
        for _ in 0..<200 {
            if let text = try? String(contentsOf: logURL, encoding: .utf8),
                let range = text.range(of: #"address=127\.0\.0\.1:(\d+)"#, options: .regularExpression)
            {
                found = Int(text[range].split(separator: ":").last ?? "")
                break
            }
            if !process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        guard let found else {
            let log = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
            if process.isRunning { process.terminate() }
            throw ServerStartFailure(log: log)
        }
        port = found
    }

    struct ServerStartFailure: Error, CustomStringConvertible {
        let log: String
        var description: String { "serve did not start: \(log)" }
    }

    /// Everything the server logged so far.
    var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// Sends `signal` and waits (at most `limit` seconds) for the exit; returns its status and
    /// how long it took, or nil when it didn't exit in time (then it is killed).
    @discardableResult
    func stop(_ signal: Int32 = SIGTERM, limit: Double = 15) -> (status: Int32, seconds: Double)? {
        let start = Date()
        kill(process.processIdentifier, signal)
        while process.isRunning && Date().timeIntervalSince(start) < limit { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return (process.terminationStatus, Date().timeIntervalSince(start))
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    // MARK: Requests

    func get(_ path: String, token: Bool = false, headers: [(String, String)] = []) throws -> HTTPAnswer {
        try HTTPClient.request(port: port, method: "GET", path: path, headers: (token ? [("Authorization", "Bearer \(apiToken)")] : []) + headers)
    }

    /// POSTs a form (or JSON when `json` is set), with the API token unless `token` is false.
    func post(_ path: String, _ fields: [(String, String)], token: Bool = true, json: Bool = false, headers: [(String, String)] = [])
        throws -> HTTPAnswer
    {
        var all = headers
        if token { all.append(("Authorization", "Bearer \(apiToken)")) }
        let body: String
        if json {
            all.append(("Content-Type", "application/json"))
            let object = Dictionary(fields, uniquingKeysWith: { a, _ in a })
            body = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        } else {
            all.append(("Content-Type", "application/x-www-form-urlencoded"))
            body = HTTPClient.form(fields)
        }
        return try HTTPClient.request(port: port, method: "POST", path: path, headers: all, body: Array(body.utf8))
    }

    /// POSTs a form to a Twilio path, signed with the server's Twilio token.
    func twilio(_ pathAndQuery: String, _ fields: [(String, String)], signature: String? = nil) throws -> HTTPAnswer {
        let sig = signature ?? HTTPClient.twilioSignature(token: twilioToken, url: Self.publicURL + pathAndQuery, fields)
        return try HTTPClient.request(
            port: port, method: "POST", path: pathAndQuery,
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("X-Twilio-Signature", sig)], body: Array(HTTPClient.form(fields).utf8))
    }
}

/// One HTTP answer.
struct HTTPAnswer: Sendable {
    let status: Int
    /// Header names in lower case.
    let headers: [String: String]
    let body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
    /// The body as a JSON object.
    func json() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any], "not a JSON object: \(text)")
    }
}

/// A minimal HTTP/1.1 client over a plain socket: one request per connection, read to the end.
/// (Foundation's URLSession adds retries, redirects and caching a test must not have.)
enum HTTPClient {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func request(
        port: Int, method: String, path: String, headers: [(String, String)] = [], body: [UInt8] = [], timeout: Double = 15
    ) throws -> HTTPAnswer {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket failed") }
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(description: "connect to port \(port) failed: errno \(errno)") }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if method != "GET" || !body.isEmpty { head += "Content-Length: \(body.count)\r\n" }
        let bytes = Array((head + "\r\n").utf8) + body
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            // The server may answer (413) and close before the whole body is sent.
            if n <= 0 { break }
            sent += n
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            received.append(contentsOf: buffer[0..<n])
        }
        return try parse(received)
    }

    static func parse(_ data: [UInt8]) throws -> HTTPAnswer {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = data.indices.first(where: { data[$0...].starts(with: separator) }) else {
            throw Failure(description: "no HTTP answer (\(data.count) bytes)")
        }
        let lines = String(decoding: data[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw Failure(description: "bad status line \(lines[0])") }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(data[(end + 4)...])
        if let length = headers["content-length"].flatMap(Int.init), body.count > length { body = Array(body.prefix(length)) }
        return HTTPAnswer(status: status, headers: headers, body: body)
    }

    /// A form body: `+` for space, everything else outside unreserved characters percent-encoded.
    static func form(_ fields: [(String, String)]) -> String {
        func encode(_ s: String) -> String {
            var out = ""
            for byte in s.utf8 {
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                    UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                    out.unicodeScalars.append(UnicodeScalar(byte))
                case UInt8(ascii: " "): out += "+"
                default: out += String(format: "%%%02X", byte)
                }
            }
            return out
        }
        return fields.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
    }

    /// Twilio's signature, computed here independently of the server's code: sorted by name then
    /// value, duplicates once, HMAC-SHA1, base64.
    static func twilioSignature(token: String, url: String, _ fields: [(String, String)]) -> String {
        var seen = Set<String>()
        let sorted = fields.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.filter { seen.insert($0.0 + "\u{0}" + $0.1).inserted }
        let message = url + sorted.map { $0.0 + $0.1 }.joined()
        return HMACSHA1.base64(key: Array(token.utf8), message: Array(message.utf8))
    }
}

/// HMAC-SHA1 for the tests' own signatures, from the SHA-1 definition (RFC 3174, RFC 2104), so a
/// test does not check the server's signing code against itself.
enum HMACSHA1 {
    static func base64(key: [UInt8], message: [UInt8]) -> String {
        var k = key.count > 64 ? sha1(key) : key
        k += [UInt8](repeating: 0, count: 64 - k.count)
        let inner = sha1(k.map { $0 ^ 0x36 } + message)
        return Data(sha1(k.map { $0 ^ 0x5c } + inner)).base64EncodedString()
    }

    static func sha1(_ input: [UInt8]) -> [UInt8] {
        var h: [UInt32] = [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0]
        var message = input + [0x80]
        while message.count % 64 != 56 { message.append(0) }
        let bits = UInt64(input.count) * 8
        for i in (0..<8).reversed() { message.append(UInt8((bits >> (UInt64(i) * 8)) & 0xff)) }
        for chunk in stride(from: 0, to: message.count, by: 64) {
            var w = [UInt32](repeating: 0, count: 80)
            for i in 0..<16 {
                let j = chunk + i * 4
                w[i] = UInt32(message[j]) << 24 | UInt32(message[j + 1]) << 16 | UInt32(message[j + 2]) << 8 | UInt32(message[j + 3])
            }
            for i in 16..<80 {
                let x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]
                w[i] = x << 1 | x >> 31
            }
            var (a, b, c, d, e) = (h[0], h[1], h[2], h[3], h[4])
            for i in 0..<80 {
                let (f, k): (UInt32, UInt32) =
                    i < 20
                    ? ((b & c) | (~b & d), 0x5A82_7999)
                    : i < 40 ? (b ^ c ^ d, 0x6ED9_EBA1) : i < 60 ? ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC) : (b ^ c ^ d, 0xCA62_C1D6)
                let temp = (a << 5 | a >> 27) &+ f &+ e &+ k &+ w[i]
                (e, d, c, b, a) = (d, c, b << 30 | b >> 2, a, temp)
            }
            h = [h[0] &+ a, h[1] &+ b, h[2] &+ c, h[3] &+ d, h[4] &+ e]
        }
        return h.flatMap { v in (0..<4).map { UInt8((v >> (24 - $0 * 8)) & 0xff) } }
    }
}

/// Another process (the `sqlite3` shell) holding the database's write lock until `release()`,
/// as a backup or a long maintenance job would.
final class LockHolder: @unchecked Sendable {
    let process = Process()
    let input = Pipe()
    let output = Pipe()

    /// Returns once the lock is held.
    init(_ db: String) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sqlite3", db]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        input.fileHandleForWriting.write(Data("BEGIN IMMEDIATE;\nSELECT 'locked';\n".utf8))
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("locked") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { throw HTTPClient.Failure(description: "sqlite3 could not take the lock") }
            seen.append(chunk)
        }
    }

    /// Rolls back and ends the shell.
    func release() {
        guard process.isRunning else { return }
        input.fileHandleForWriting.write(Data("ROLLBACK;\n.quit\n".utf8))
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    deinit {
        if process.isRunning { process.terminate() }
    }
}

/// Runs `body(0..<count)` each on its own thread (GCD's pool grows too slowly to put many blocking
/// requests in flight at once); `wait()` on the group it returns.
func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) -> DispatchGroup {
    let group = DispatchGroup()
    for n in 0..<count {
        group.enter()
        let thread = Thread {
            body(n)
            group.leave()
        }
        thread.start()
    }
    return group
}
