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
        Counter(label: "helpline_calls_routed_total", dimensions: [("kind", kind), ("outcome", outcome)]).increment()
        Metrics.Timer(label: "helpline_route_seconds").recordNanoseconds(seconds.nanoseconds)
    }

    func event(_ name: String) { Counter(label: "helpline_call_events_total", dimensions: [("event", name)]).increment() }
    func busy() { Counter(label: "helpline_db_busy_total").increment() }
    func bot() { Counter(label: "helpline_callback_bots_total").increment() }
    func inflight(_ count: Int) { Gauge(label: "helpline_inflight_requests").record(count) }

    /// The HTTP server's own request metrics: `http_requests_total` and
    /// `http_request_duration_seconds`, by method, route and status.
    func request(method: String, route: String, status: Int, duration: Duration) {
        let (counter, timer) = handles.withLockedValue { cache -> (CoreMetrics.Counter, CoreMetrics.Timer) in
            let key = "\(method) \(route) \(status)"
            if let found = cache[key] { return found }
            let made = (
                Counter(label: "http_requests_total", dimensions: [("method", method), ("route", route), ("status", String(status))]),
                Metrics.Timer(label: "http_request_duration_seconds", dimensions: [("method", method), ("route", route)])
            )
            // Methods, routes and statuses are few; the bound only guards against a surprise.
            if cache.count < 10_000 { cache[key] = made }
            return made
        }
        counter.increment()
        timer.recordNanoseconds(duration.nanoseconds)
    }

    /// The request metrics' handles by method, route and status: looked up in the factory once.
    private let handles = NIOLockedValueBox<[String: (CoreMetrics.Counter, CoreMetrics.Timer)]>([:])

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
