import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An open-loop load on `POST /v1/calls`: requests are sent on a fixed schedule (`rate` a
/// second, spread over `connections` keep-alive connections), whatever the server's answers
/// take, and each latency counts from the request's scheduled time. wrk's closed loop measures
/// the queue that 200 impatient clients build (a connection asks again the moment it hears
/// back, so latency is connections ÷ throughput); this measures what a caller waits at a given
/// call rate, including the time a late answer holds up the next request on its connection.
struct OpenLoad {
    var rate: Double
    var connections = 200
    var seconds = 10.0

    struct Result {
        var sent = 0
        var ok = 0
        var failed = 0
        var latenciesMs: [Double] = []
        var p50ms: Double { Measure.percentile(latenciesMs, 0.5) }
        var p99ms: Double { Measure.percentile(latenciesMs, 0.99) }
    }

    /// Runs the load against 127.0.0.1:`port`; `body(n)` is the n-th request's form body.
    func run(port: Int, token: String, body: @escaping @Sendable (Int) -> String) -> Result {
        let start = Measure.now() + 0.2
        let results = LockedResults()
        let group = DispatchGroup()
        for connection in 0..<connections {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                var mine = Result()
                guard let socket = LoopbackSocket(port: port) else {
                    mine.failed += 1
                    results.add(mine)
                    return
                }
                defer { socket.close() }
                let period = Double(connections) / rate
                var k = 0
                while true {
                    let scheduled = start + Double(connection) / rate + Double(k) * period
                    if scheduled > start + seconds { break }
                    let wait = scheduled - Measure.now()
                    if wait > 0 { Thread.sleep(forTimeInterval: wait) }
                    let n = connection + k * connections
                    let form = body(n)
                    let request =
                        "POST /v1/calls HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
                        + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(form.utf8.count)\r\n\r\n\(form)"
                    mine.sent += 1
                    guard socket.send(request), let status = socket.readResponseStatus() else {
                        mine.failed += 1
                        break
                    }
                    mine.latenciesMs.append((Measure.now() - scheduled) * 1000)
                    if (200..<300).contains(status) { mine.ok += 1 } else { mine.failed += 1 }
                    k += 1
                }
                results.add(mine)
            }
            thread.stackSize = 256 * 1024
            thread.start()
        }
        group.wait()
        return results.total
    }
}

/// The per-connection results, merged.
final class LockedResults: @unchecked Sendable {
    private let lock = NSLock()
    private var merged = OpenLoad.Result()
    func add(_ r: OpenLoad.Result) {
        lock.withLock {
            merged.sent += r.sent
            merged.ok += r.ok
            merged.failed += r.failed
            merged.latenciesMs += r.latenciesMs
        }
    }
    var total: OpenLoad.Result { lock.withLock { merged } }
}

/// A blocking keep-alive HTTP/1.1 connection to the loopback address.
final class LoopbackSocket {
    private let fd: Int32
    private var buffer: [UInt8] = []

    init?(port: Int) {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        if connected != 0 {
            Glibc.close(fd)
            return nil
        }
    }

    func close() { Glibc.close(fd) }

    func send(_ text: String) -> Bool {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { raw -> Int in
                guard let base = raw.baseAddress else { return -1 }
                return write(fd, base + offset, raw.count - offset)
            }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    /// Reads one response (headers and a Content-Length body); returns its status code.
    func readResponseStatus() -> Int? {
        func fill() -> Bool {
            var chunk = [UInt8](repeating: 0, count: 16_384)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return false }
            buffer += chunk[0..<n]
            return true
        }
        let separator: [UInt8] = [13, 10, 13, 10]
        var headerEnd: Int?
        while headerEnd == nil {
            if buffer.count >= 4 {
                for i in 0...(buffer.count - 4) where buffer[i..<(i + 4)].elementsEqual(separator) {
                    headerEnd = i + 4
                    break
                }
            }
            if headerEnd == nil, !fill() { return nil }
        }
        guard let end = headerEnd else { return nil }
        let head = String(decoding: buffer[0..<end], as: UTF8.self)
        let lines = head.split(separator: "\r\n")
        guard let statusLine = lines.first, let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") else { return nil }
        var length = 0
        for line in lines.dropFirst() where line.lowercased().hasPrefix("content-length:") {
            length = Int(line.split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "") ?? 0
        }
        while buffer.count < end + length { if !fill() { return nil } }
        buffer.removeFirst(end + length)
        return status
    }
}
