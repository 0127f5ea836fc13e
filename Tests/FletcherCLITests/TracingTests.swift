import FletcherCAMS
import FletcherCore
import FletcherHTTP
import FletcherPlatform
import FletcherSimulators
import FletcherTestSupport
import Foundation
import Hummingbird
import Synchronization
import Testing

/// Tracing end to end (`docs/operations.md`, Tracing): `fletcher serve` with an OTLP endpoint
/// exports, to a receiver on loopback, the span of a request continuing the caller's trace, the
/// orchestrator's transaction inside it, and the dispatch of the product it queued with the
/// platform call inside that — whose context C-AMS receives as its `traceparent` header. A process
/// of its own: the tracer is process-wide and bootstrapped once.
@Suite("Traces of a server process")
struct TracingTests {
    @Test func aRequestItsTransactionAndTheDispatchItCausedAreExportedAsConnectedSpans() async throws {
        let seen = Seen()
        let (receiver, receiverPorts) = loopbackApplication(seen.otlpReceiver())
        let cams = CAMSSimulator(settings: SimulatorSettings(), token: "t")
        let (simulator, simulatorPorts) = loopbackApplication(seen.recordingTraceparents(of: cams.router()))
        try await withRunningServer(receiver, ports: receiverPorts) { receiverPort in
            try await withRunningServer(simulator, ports: simulatorPorts) { camsPort in
                let directory = try TemporaryDirectory()
                let hash = try #require(
                    try await fletcher(["hash-key", "--key", "k3y", "--cost", "4"]).stdout.split(separator: " ").last
                ).trimmingCharacters(in: .whitespacesAndNewlines)
                let server = try LiveProcess(
                    ["serve"],
                    environment: [
                        "DATABASE_URL": "sqlite::memory:", "BIND": "127.0.0.1:0",
                        "SECRET_KEY": String(repeating: "t", count: 32),
                        "REMOTE_APIS": #"[{"service": "ops", "hash": "\#(hash)", "roles": ["publish"]}]"#,
                        "CAMS_URL": "http://127.0.0.1:\(camsPort)", "CAMS_TOKEN": "t", "CAMS_POLL_SECONDS": "600",
                        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:\(receiverPort)",
                        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json", "OTEL_BSP_SCHEDULE_DELAY": "50",
                        "LOG_LEVEL": "notice",
                    ], directory: directory.url)
                let serving = try await server.line(containing: "Fletcher is serving")
                let port = try #require(serving.firstMatch(of: /port (\d+)/).map { Int($0.1)! })
                try await server.explainingFailures {
                    try await postAndFollow(base: "http://127.0.0.1:\(port)", seen: seen)
                }
                _ = try await server.terminate()
            }
        }
    }

    private func postAndFollow(base: String, seen: Seen) async throws {
        let client = HTTPClient()
        let login = try await client.execute(
            HTTPClientRequest(
                method: "POST", url: base + "/api/authenticate", headers: [("Content-Type", "application/json")],
                body: Array(#"{"service": "ops", "key": "k3y"}"#.utf8)))
        let token = try #require(
            (try JSONSerialization.jsonObject(with: Data(login.body)) as? [String: Any])?["access_token"] as? String)
        var factory = PlanFactory()
        let plan = factory.plan(["A"])
        // The caller's own trace, which the request's span must continue.
        let callerTrace = randomHex(bytes: 16)
        let callerSpan = randomHex(bytes: 8)
        let posted = try await client.execute(
            HTTPClientRequest(
                method: "POST", url: base + "/api/plan",
                headers: [
                    ("Content-Type", "application/json"), ("Authorization", "Bearer \(token)"),
                    ("traceparent", "00-\(callerTrace)-\(callerSpan)-01"),
                ],
                body: Array(try JSONEncoder().encode(plan))))
        #expect(posted.status == 200)

        // The request and its transaction.
        var request: ExportedSpan?
        var transaction: ExportedSpan?
        try await eventually("the request's spans are exported") {
            let spans = seen.spans.withLock { $0 }.filter { $0.traceID == callerTrace }
            request = spans.first { $0.parentSpanID == callerSpan }
            transaction = spans.first { $0.parentSpanID == request?.spanID && $0.name == "orchestrator post" }
            return transaction != nil
        }
        #expect(request?.name == "/api/plan")
        #expect(request?.attributes["http.request.method"] == "POST")
        #expect(request?.attributes["http.response.status_code"] == "200")
        #expect(transaction?.attributes["fletcher.dataset_id"] == factory.datasetID.lowercasedString)

        // The dispatch of A: the submit C-AMS received is the client span exported, inside the dispatch span.
        var submit: String??
        try await eventually("C-AMS receives the submit") {
            submit = seen.submits.withLock { $0.first }
            return submit != nil
        }
        let traceparent = try #require(submit ?? nil, "the submit carries a traceparent").split(separator: "-")
        try #require(traceparent.count == 4, "a W3C traceparent: \(traceparent)")
        var call: ExportedSpan?
        var dispatch: ExportedSpan?
        try await eventually("the dispatch's spans are exported") {
            let spans = seen.spans.withLock { $0 }.filter { $0.traceID == traceparent[1] }
            call = spans.first { $0.spanID == traceparent[2] }
            dispatch = spans.first { $0.spanID == call?.parentSpanID }
            return dispatch != nil
        }
        #expect(call?.name == "POST")
        #expect(call?.attributes["url.full"]?.hasSuffix("/jobs") == true)
        #expect(call?.attributes["http.response.status_code"].map { $0.hasPrefix("2") } == true)
        #expect(dispatch?.name == "dispatch cams")
        #expect(dispatch?.attributes["fletcher.data_product_id"] == factory.id("A").lowercasedString)
        #expect(dispatch?.parentSpanID == nil, "a dispatch is a trace of its own")
    }

    private func randomHex(bytes: Int) -> String {
        (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }
}

/// What the receiver and the platform saw.
private final class Seen: Sendable {
    let spans = Mutex<[ExportedSpan]>([])
    /// The `traceparent` of each submit C-AMS received, nil where it had none.
    let submits = Mutex<[String?]>([])

    /// An OTLP/HTTP receiver of JSON-encoded traces.
    func otlpReceiver() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/v1/traces") { request, _ -> Response in
            let export = try #require(try await SimulatorHTTP.body(request), "an OTLP export in JSON")
            let spans = try ExportedSpan.parse(export)
            self.spans.withLock { $0 += spans }
            return SimulatorHTTP.json(.ok, .object([:]))
        }
        return router
    }

    /// The simulator's routes behind one that notes the `traceparent` of every submit.
    func recordingTraceparents(of simulator: Router<BasicRequestContext>) -> Router<BasicRequestContext> {
        let inner = simulator.buildResponder()
        let router = Router()
        let forward: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, context in
            if request.method == .post, request.uri.path == "/jobs" {
                let traceparent = SimulatorHTTP.header(request, "traceparent")
                self.submits.withLock { $0.append(traceparent) }
            }
            return try await inner.respond(to: request, context: context)
        }
        router.get("**", use: forward)
        router.post("**", use: forward)
        return router
    }
}

/// One span of an OTLP JSON export, its ids in lowercase hex.
private struct ExportedSpan: Sendable {
    let name: String
    let traceID: String
    let spanID: String
    let parentSpanID: String?
    /// Every attribute's value as text.
    let attributes: [String: String]

    static func parse(_ export: JSONValue) throws -> [ExportedSpan] {
        var spans: [ExportedSpan] = []
        for resource in elements(export["resourceSpans"]) {
            for scope in elements(resource["scopeSpans"]) {
                for span in elements(scope["spans"]) {
                    var attributes: [String: String] = [:]
                    for attribute in elements(span["attributes"]) {
                        guard let key = attribute["key"]?.stringValue, case .object(let value) = attribute["value"],
                            let text = value.values.first.map(Self.text)
                        else { continue }
                        attributes[key] = text
                    }
                    let parent = span["parentSpanId"]?.stringValue ?? ""
                    spans.append(
                        ExportedSpan(
                            name: span["name"]?.stringValue ?? "", traceID: try hex(span["traceId"]),
                            spanID: try hex(span["spanId"]),
                            parentSpanID: parent.isEmpty ? nil : try hex(.string(parent)), attributes: attributes))
                }
            }
        }
        return spans
    }

    private static func elements(_ value: JSONValue?) -> [JSONValue] {
        if case .array(let elements) = value { elements } else { [] }
    }

    private static func text(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): text
        case .int(let number): String(number)
        default: value.jsonText
        }
    }

    /// An id as OTLP/JSON writes it: hex by the OTLP specification, base64 by protobuf's own JSON
    /// mapping of bytes (what swift-otel sends). The lengths tell them apart: 16 or 32 hex digits,
    /// 12 or 24 base64 characters.
    private static func hex(_ value: JSONValue?) throws -> String {
        let text = try #require(value?.stringValue, "an id: \(String(describing: value))")
        if text.count == 16 || text.count == 32, text.allSatisfy(\.isHexDigit) { return text.lowercased() }
        let bytes = try #require(Data(base64Encoded: text), "an id in hex or base64: \(text)")
        return bytes.map { String(format: "%02x", $0) }.joined()
    }
}
