import FletcherCore
import Foundation
import HTTPTypes
import Hummingbird
import Metrics
import NIOCore
import Prometheus
import Synchronization

/// Prometheus metrics (`docs/api.md` §6). swift-metrics is bootstrapped once per process, on first
/// use; everything counted through it is served at `/metrics`.
enum FletcherMetrics {
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    static func addRoute(
        to router: Router<BasicRequestContext>, store: any DispatchStore, dispatching: [Compute], clock: any WallClock
    ) {
        let registry = registry
        router.get("/metrics") { _, _ in
            // Queue gauges are read from the database at scrape time: they cover every instance.
            let stats = (try? await store.queueStats()) ?? [:]
            let now = clock.now().microsecondsSinceEpoch
            for compute in dispatching {
                let dimensions = [("compute", compute.rawValue)]
                let queue = stats[compute]
                Gauge(label: "fletcher_dispatch_queue_depth", dimensions: dimensions).record(queue?.waiting ?? 0)
                let age = queue?.oldestQueuedAt.map { Double(now - $0.microsecondsSinceEpoch) / 1e6 } ?? 0
                Gauge(label: "fletcher_oldest_queued_age_seconds", dimensions: dimensions).record(age)
            }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
    }
}

/// `fletcher_http_requests_total{method,route,status}` and `fletcher_http_request_duration_seconds`.
/// The route is the matched pattern (`/api/plan/{dataset_id}`), never the raw path, so ids do not
/// become label values.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    private let handles = RequestMetricHandles()

    init() { _ = FletcherMetrics.registry }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let (counter, timer) = handles.for(
            method: request.method.rawValue, endpoint: context.endpointPath, status: response.status.code)
        counter.increment()
        timer.recordInterval(since: start)
        return response
    }
}

/// The metric handles of each method, route and status, made on first use: making one costs the
/// registry a lock and a lookup by the labels' text, about 1 % of the server's CPU time per
/// request under small updates.
private final class RequestMetricHandles: Sendable {
    private struct Key: Hashable {
        let method: String
        let endpoint: String?
        let status: Int
    }

    /// Enough for every route, method and status the API answers with; past it (clients
    /// inventing methods), handles are made per request rather than kept.
    private static let limit = 1_000
    private let made = Mutex<[Key: (Metrics.Counter, Metrics.Timer)]>([:])

    func `for`(method: String, endpoint: String?, status: Int) -> (Metrics.Counter, Metrics.Timer) {
        let key = Key(method: method, endpoint: endpoint, status: status)
        if let handles = made.withLock({ $0[key] }) { return handles }
        let route =
            endpoint.map { path in
                "/"
                    + path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
                    .joined(separator: "/")
            } ?? "unmatched"
        let dimensions = [("method", method), ("route", route)]
        let handles = (
            Metrics.Counter(label: "fletcher_http_requests_total", dimensions: dimensions + [("status", "\(status)")]),
            Metrics.Timer(label: "fletcher_http_request_duration_seconds", dimensions: dimensions)
        )
        made.withLock { if $0.count < Self.limit { $0[key] = handles } }
        return handles
    }
}

extension Metrics.Timer {
    fileprivate func recordInterval(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        recordNanoseconds(elapsed.inNanoseconds)
    }
}
