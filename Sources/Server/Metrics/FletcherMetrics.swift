import FletcherCore
import Foundation
import HTTPTypes
import Hummingbird
import Metrics
import NIOCore
import Prometheus

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
    init() { _ = FletcherMetrics.registry }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let route =
            context.endpointPath.map { path in
                path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
                    .joined(separator: "/")
            }.map { "/" + $0 } ?? "unmatched"
        let dimensions = [("method", request.method.rawValue), ("route", route)]
        Counter(label: "fletcher_http_requests_total", dimensions: dimensions + [("status", "\(response.status.code)")])
            .increment()
        Metrics.Timer(label: "fletcher_http_request_duration_seconds", dimensions: dimensions)
            .recordInterval(since: start)
        return response
    }
}

extension Metrics.Timer {
    fileprivate func recordInterval(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        recordNanoseconds(elapsed.inNanoseconds)
    }
}
