import FletcherCore
import FletcherTestSupport
import Foundation
import Testing

/// `/metrics` in the Prometheus text format (`docs/api.md` §6): its form, the gauges this server
/// computes from its own store, and no ids as labels. Counters are per process and the suites
/// here share one, so exact counts are checked against a server process of its own
/// (`MetricsProcessTests`).
@Suite("Prometheus metrics")
struct MetricsTests {
    private func value(_ text: String, _ series: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }
            .flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    @Test func theTextFormatAndThisServersGauges() async throws {
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
