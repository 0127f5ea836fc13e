import FletcherCore
import FletcherTestSupport
import Foundation
import Testing

/// `/metrics` in the Prometheus text format (`docs/api.md` §6). Counters are per process and the
/// suites run in parallel, so the test checks that what it did is counted, not exact totals.
@Suite("Prometheus metrics")
struct MetricsTests {
    private func value(_ text: String, _ series: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }
            .flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    @Test func requestsDispatchCallbacksAndTransitionsAreCounted() async throws {
        try await withPlatforms { platforms in
            try await withFletcher(environment: platforms.environment()) { api in
                var factory = PlanFactory()
                let plan = dispatchPlan(&factory, ["A", "B"], [("A", "B")])
                _ = try await api.call("POST", "/api/plan", json: plan, token: try await api.token("admin"))
                try await eventually("A and B succeed") {
                    try await api.states(factory.datasetID).values.allSatisfy { $0 == .success }
                }
                _ = try await api.call("GET", "/api/plan/\(factory.datasetID.lowercasedString)")
                let stray = #"{"run_id": "\#(UUID().lowercasedString)", "job_id": "1", "status": "running"}"#
                _ = try await api.call("POST", "/api/callback/cams", body: stray)

                let metrics = try await api.call("GET", "/metrics")
                #expect(metrics.status == 200 && metrics.header("Content-Type")?.hasPrefix("text/plain") == true)
                let text = metrics.text
                for series in [
                    #"fletcher_http_requests_total{method="GET",route="/api/plan/{dataset_id}",status="200"}"#,
                    #"fletcher_dispatch_attempts_total{compute="cams",outcome="submitted"}"#,
                    #"fletcher_callbacks_total{compute="cams",outcome="applied"}"#,
                    #"fletcher_callbacks_total{compute="cams",outcome="unauthorized"}"#,
                    #"fletcher_state_transitions_total{compute="cams",from="queued",to="running"}"#,
                    #"fletcher_state_transitions_total{compute="cams",from="running",to="success"}"#,
                ] {
                    #expect((value(text, series) ?? 0) >= 1, "\(series) missing in:\n\(text.prefix(3000))")
                }
                #expect(text.contains("fletcher_http_request_duration_seconds_bucket"))
                for compute in ["cams", "dbxaas"] {
                    #expect(value(text, #"fletcher_dispatch_queue_depth{compute="\#(compute)"}"#) != nil)
                    #expect(value(text, #"fletcher_oldest_queued_age_seconds{compute="\#(compute)"}"#) != nil)
                }
                #expect(!text.contains(factory.datasetID.lowercasedString), "ids never become label values")
            }
        }
    }
}
