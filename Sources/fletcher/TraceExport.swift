import FletcherServer
import Logging
import OTel
import ServiceLifecycle

/// Spans exported over OTLP/HTTP, only when an endpoint is configured (`docs/operations.md`,
/// Tracing): requests, the orchestrator's transactions, dispatch and every platform call.
enum TraceExport {
    /// Bootstraps the process's tracer from the `OTEL_*` variables and returns the service that
    /// batches and sends its spans; nil, and no tracer, when neither `OTEL_EXPORTER_OTLP_ENDPOINT`
    /// nor `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set or `OTEL_SDK_DISABLED` is true.
    static func start(_ environment: FletcherServer.Environment, logger: Logger) throws(ConfigurationError)
        -> (any Service)?
    {
        guard environment["OTEL_EXPORTER_OTLP_ENDPOINT"] ?? environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] != nil,
            environment["OTEL_SDK_DISABLED"]?.lowercased() != "true"
        else { return nil }
        var configuration = OTel.Configuration.default
        configuration.serviceName = "fletcher"
        // Metrics stay on /metrics (Prometheus) and logs on standard output.
        configuration.metrics.enabled = false
        configuration.logs.enabled = false
        configuration.diagnosticLogger = .custom(logger)
        // The variables of `.env` count as the real environment's do. OTEL_SDK_DISABLED was decided
        // above: passed on as `false` it would switch the OTel metrics and logs on as well.
        var variables = environment.values.filter { $0.key.hasPrefix("OTEL_") && !$0.value.isEmpty }
        variables["OTEL_SDK_DISABLED"] = nil
        do {
            return try OTel.bootstrap(configuration: configuration, environment: variables)
        } catch {
            throw ConfigurationError("tracing (OTEL_* variables): \(error)")
        }
    }
}
