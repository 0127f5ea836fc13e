import FletcherCAMS
import FletcherCore
import FletcherHTTP
import FletcherSimulators
import FletcherTestSupport
import Foundation
import Testing

/// `/metrics` counts exactly what happened (`docs/api.md` §6). swift-metrics has one registry per
/// process and the in-process suites share it, so this runs `fletcher serve` as a process of its
/// own: every count below is what this test did, to the unit.
@Suite("Metrics of a server process")
struct MetricsProcessTests {
    static let secret = "whsec_" + Data("metrics-test-webhook-secret-32by".utf8).base64EncodedString()

    @Test func countersCountExactlyWhatHappened() async throws {
        var settings = SimulatorSettings()
        settings.runSeconds = 0.05
        let cams = CAMSSimulator(settings: settings, token: "t", callbackSecret: Self.secret)
        let (simulator, simulatorPorts) = loopbackApplication(cams.router())
        try await withRunningServer(simulator, ports: simulatorPorts) { camsPort in
            let directory = try TemporaryDirectory()
            let hash = try #require(
                try await fletcher(["hash-key", "--key", "k3y", "--cost", "4"]).stdout.split(separator: " ").last
            ).trimmingCharacters(in: .whitespacesAndNewlines)
            let port = try freeLoopbackPort()
            let base = "http://127.0.0.1:\(port)"
            let server = try LiveProcess(
                ["serve"],
                environment: [
                    "DATABASE_URL": "sqlite:\(directory.path("fletcher.sqlite"))", "BASE_URL": base,
                    "SECRET_KEY": String(repeating: "m", count: 32),
                    "REMOTE_APIS": #"[{"service": "ops", "hash": "\#(hash)", "roles": ["publish", "update"]}]"#,
                    "CAMS_URL": "http://127.0.0.1:\(camsPort)", "CAMS_TOKEN": "t", "CAMS_CALLBACK_SECRET": Self.secret,
                    // Reports come by callback; a poll would only add to the counts' variety.
                    "CAMS_POLL_SECONDS": "600", "LOG_LEVEL": "notice",
                ], directory: directory.url)
            _ = try await server.line(containing: "Fletcher is serving")

            let client = HTTPClient()
            func call(_ method: String, _ path: String, _ body: String? = nil, token: String? = nil) async throws
                -> HTTPClientResponse
            {
                var headers = [("Content-Type", "application/json")]
                if let token { headers.append(("Authorization", "Bearer \(token)")) }
                return try await client.execute(
                    HTTPClientRequest(
                        method: method, url: base + path, headers: headers, body: body.map { Array($0.utf8) }))
            }
            let login = try await call("POST", "/api/authenticate", #"{"service": "ops", "key": "k3y"}"#)
            let token = try #require(
                (try JSONSerialization.jsonObject(with: Data(login.body)) as? [String: Any])?["access_token"] as? String
            )
            var factory = PlanFactory()
            let plan = factory.plan(["A", "B"], [("A", "B")])
            let posted = try await call(
                "POST", "/api/plan", String(decoding: try JSONEncoder().encode(plan), as: UTF8.self), token: token)
            #expect(posted.status == 200)

            let path = "/api/plan/\(factory.datasetID.lowercasedString)"
            var reads = 0
            try await eventually("A and B succeed") {
                reads += 1
                let current = try JSONDecoder().decode(Plan.self, from: Data(try await call("GET", path).body))
                return current.dataProducts.allSatisfy { $0.state == .success }
            }
            let stray = #"{"run_id": "\#(UUID().lowercasedString)", "job_id": "1", "status": "running"}"#
            #expect(try await call("POST", "/api/callback/cams", stray).status == 401)

            let text = String(decoding: try await call("GET", "/metrics").body, as: UTF8.self)
            func value(_ series: String) -> Double? {
                text.split(separator: "\n").first { $0.hasPrefix(series + " ") }
                    .flatMap { Double($0.split(separator: " ").last ?? "") }
            }
            func total(_ prefix: String, _ containing: String) -> Double {
                text.split(separator: "\n").filter { $0.hasPrefix(prefix) && $0.contains(containing) }
                    .compactMap { Double($0.split(separator: " ").last ?? "") }.reduce(0, +)
            }
            #expect(
                value(#"fletcher_http_requests_total{method="GET",route="/api/plan/{dataset_id}",status="200"}"#)
                    == Double(reads))
            #expect(value(#"fletcher_http_requests_total{method="POST",route="/api/plan",status="200"}"#) == 1)
            #expect(value(#"fletcher_dispatch_attempts_total{compute="cams",outcome="submitted"}"#) == 2)
            #expect(value(#"fletcher_callbacks_total{compute="cams",outcome="unauthorized"}"#) == 1)
            #expect(total("fletcher_state_transitions_total{", #"to="success""#) == 2, "A and B, once each")
            #expect(total("fletcher_state_transitions_total{", #"to="queued""#) == 2, "A at the post, B after A")
            #expect(cams.jobs.count == 2)
            _ = try await server.terminate()
        }
    }
}
