import CoreMetrics
import Foundation
import Metrics
import NIOConcurrencyHelpers
import Prometheus

/// The server's Prometheus metrics, recorded through swift-metrics.
///
/// The metrics system is process-wide and can be bootstrapped once, so the registry is too.
final class ServerMetrics: Sendable {
    /// The one registry of this process, bootstrapped into swift-metrics on first use.
    static let shared = ServerMetrics()

    let registry: PrometheusCollectorRegistry

    private init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Routing takes about a millisecond; a busy database up to the busy timeout.
        factory.defaultDurationHistogramBuckets = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5),
        ]
        MetricsSystem.bootstrap(factory)
        // Present from the start, so a scrape shows zeros rather than nothing.
        Counter(label: "helpline_db_busy_total").increment(by: 0)
        Counter(label: "helpline_callback_bots_total").increment(by: 0)
        Gauge(label: "helpline_inflight_requests").record(0)
    }

    func routed(kind: String, outcome: String, seconds: Duration) {
        counter("helpline_calls_routed_total", [("kind", kind), ("outcome", outcome)]).increment()
        timer("helpline_route_seconds", []).recordNanoseconds(seconds.nanoseconds)
    }

    func event(_ name: String) { counter("helpline_call_events_total", [("event", name)]).increment() }
    func busy() { counter("helpline_db_busy_total", []).increment() }
    func bot() { counter("helpline_callback_bots_total", []).increment() }
    func inflight(_ count: Int) { Gauge(label: "helpline_inflight_requests").record(count) }

    /// The HTTP server's own request metrics: `http_requests_total` and
    /// `http_request_duration_seconds`, by method, route and status.
    func request(method: String, route: String, status: Int, duration: Duration) {
        counter("http_requests_total", [("method", method), ("route", route), ("status", String(status))]).increment()
        timer("http_request_duration_seconds", [("method", method), ("route", route)]).recordNanoseconds(duration.nanoseconds)
    }

    /// Handles by label and dimensions, looked up in the metrics factory once: every request
    /// records several, and the factory's lookup takes a lock and builds its key each time.
    private let counters = NIOLockedValueBox<[String: CoreMetrics.Counter]>([:])
    private let timers = NIOLockedValueBox<[String: CoreMetrics.Timer]>([:])

    private func counter(_ label: String, _ dimensions: [(String, String)]) -> CoreMetrics.Counter {
        Self.handle(counters, label, dimensions) { Counter(label: label, dimensions: dimensions) }
    }

    private func timer(_ label: String, _ dimensions: [(String, String)]) -> CoreMetrics.Timer {
        Self.handle(timers, label, dimensions) { Metrics.Timer(label: label, dimensions: dimensions) }
    }

    private static func handle<Handle>(
        _ cache: NIOLockedValueBox<[String: Handle]>, _ label: String, _ dimensions: [(String, String)], make: () -> Handle
    ) -> Handle {
        let key = ([label] + dimensions.map { "\($0.0)=\($0.1)" }).joined(separator: " ")
        return cache.withLockedValue { cache in
            if let found = cache[key] { return found }
            let made = make()
            // Methods, routes, statuses, kinds and events are few; the bound only guards against a surprise.
            if cache.count < 10_000 { cache[key] = made }
            return made
        }
    }

    /// The Prometheus text of every metric.
    func text() -> String { registry.emitToString() }
}

extension Duration {
    /// The whole nanoseconds of this duration.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
