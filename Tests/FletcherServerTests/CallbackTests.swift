import FletcherCore
import FletcherPlatform
import FletcherSimulators
import FletcherTestSupport
import Foundation
import Testing

/// R6 for callbacks (`docs/dispatch.md` §4, §5): only authentic, fresh, parsable callbacks about the
/// live attempt change anything, and each delivery is applied once.
@Suite("Platform callbacks")
struct CallbackTests {
    /// One submitted C-AMS product `A` whose platform stays quiet (no callbacks, no polling), so
    /// every change comes from the callbacks the test sends.
    private func withSubmittedProduct(
        _ body: (API, Platforms, _ dataset: UUID, _ product: DataProduct, _ run: RunRecord) async throws -> Void
    ) async throws {
        var settings = SimulatorSettings()
        settings.callbacks = false
        settings.runSeconds = 60
        try await withPlatforms(settings) { platforms in
            try await withFletcher(environment: platforms.environment()) { api in
                var factory = PlanFactory()
                let plan = dispatchPlan(&factory, ["A", "B"], [("A", "B")])
                _ = try await api.call("POST", "/api/plan", json: plan, token: try await api.token("admin"))
                let (dataset, a) = (factory.datasetID, factory.id("A"))
                try await eventually("A is submitted") { try await api.runs(dataset, a).first?.externalID != nil }
                let run = try #require(try await api.runs(dataset, a).first)
                try await body(api, platforms, dataset, try await api.plan(dataset).dataProducts[0], run)
            }
        }
    }

    private func camsEvent(_ run: RunRecord, _ status: String, extra: String = "") -> String {
        #"{"run_id": "\#(run.runID.lowercasedString)", "job_id": "\#(run.externalID ?? "")", "status": "\#(status)"\#(extra)}"#
    }

    private func signed(
        _ body: String, id: String = "msg_\(UUID().uuidString)", age: Int64 = 0,
        secret: String = Platforms.secret
    ) -> [(name: String, value: String)] {
        let timestamp = Int64(Date().timeIntervalSince1970) - age
        let signature = WebhookSignature(secret: secret)!.sign(id: id, timestamp: timestamp, body: Array(body.utf8))
        return [("webhook-id", id), ("webhook-timestamp", String(timestamp)), ("webhook-signature", signature)]
    }

    @Test func aSignedCallbackMovesTheProductAndAReplayIsAppliedOnce() async throws {
        try await withSubmittedProduct { api, _, dataset, _, run in
            let running = camsEvent(run, "running")
            let headers = signed(running, id: "msg_1")
            let first = try await api.call("POST", "/api/callback/cams", body: running, headers: headers)
            #expect(first.status == 200 && first.object["outcome"] as? String == "applied", "\(first.text)")
            #expect(try await api.states(dataset)["A"] == .running)
            let modified = try await api.plan(dataset).dataProducts[0].modifiedDate

            let replay = try await api.call("POST", "/api/callback/cams", body: running, headers: headers)
            #expect(replay.status == 200 && replay.object["outcome"] as? String == "duplicate")
            #expect(try await api.plan(dataset).dataProducts[0].modifiedDate == modified)

            let done = camsEvent(run, "succeeded", extra: #", "output": {"rows": 7}"#)
            let success = try await api.call("POST", "/api/callback/cams", body: done, headers: signed(done))
            #expect(success.status == 200)
            let product = try await api.plan(dataset).dataProducts[0]
            #expect(product.state == .success && product.passback == ["rows": 7])
            #expect(try await api.states(dataset)["B"] == .queued)
        }
    }

    @Test func aPlatformCannotPlantAScriptLink() async throws {
        try await withSubmittedProduct { api, _, dataset, _, run in
            let body = camsEvent(run, "running", extra: #", "link": "javascript:alert(1)""#)
            let reply = try await api.call("POST", "/api/callback/cams", body: body, headers: signed(body))
            #expect(reply.status == 200)
            let product = try await api.plan(dataset).dataProducts[0]
            #expect(product.state == .running && product.link == nil, "the link is dropped, the report applies")
            let page = try await api.call(
                "GET", "/plan/\(dataset.lowercasedString)", headers: [("Accept", "text/html")])
            #expect(page.status == 200 && !page.text.contains("javascript:"))
        }
    }

    @Test func keyRotationAcceptsAnyOfSeveralSignatures() async throws {
        try await withSubmittedProduct { api, _, dataset, _, run in
            let body = camsEvent(run, "running")
            var headers = signed(body, id: "msg_rotated")
            let other = signed(
                body, id: "msg_rotated", secret: "whsec_" + Data("another-secret".utf8).base64EncodedString())
            headers[2].value = other[2].value + " " + headers[2].value
            let reply = try await api.call("POST", "/api/callback/cams", body: body, headers: headers)
            #expect(reply.status == 200, "\(reply.text)")
            #expect(try await api.states(dataset)["A"] == .running)
        }
    }

    @Test func forgedStaleOrUnsignedCallbacksAreRefusedAndChangeNothing() async throws {
        try await withSubmittedProduct { api, _, dataset, _, run in
            let body = camsEvent(run, "succeeded")
            var forged = signed(body)
            forged[2].value = "v1," + Data(repeating: 7, count: 32).base64EncodedString()
            let wrongSecret = signed(body, secret: "whsec_" + Data("not-the-secret".utf8).base64EncodedString())
            let tampered = signed(camsEvent(run, "failed"))
            let cases: [(String, [(name: String, value: String)])] = [
                ("unsigned", []), ("forged", forged), ("wrong secret", wrongSecret),
                ("six minutes old", signed(body, age: 360)), ("six minutes ahead", signed(body, age: -360)),
                ("signature of another body", tampered),
            ]
            for (name, headers) in cases {
                let reply = try await api.call("POST", "/api/callback/cams", body: body, headers: headers)
                #expect(reply.status == 401, "\(name): \(reply.status) \(reply.text)")
                #expect(reply.header("Content-Type")?.hasPrefix("application/problem+json") == true)
            }
            #expect(try await api.states(dataset)["A"] == .queued)
        }
    }

    @Test func unparsableCallbacksAreBadRequests() async throws {
        try await withSubmittedProduct { api, _, dataset, _, run in
            for body in ["not json", #"{"run_id": "nope", "status": "running"}"#, camsEvent(run, "exploded")] {
                let reply = try await api.call("POST", "/api/callback/cams", body: body, headers: signed(body))
                #expect(reply.status == 400, "\(body): \(reply.text)")
                #expect(reply.detail?.hasPrefix("Callback not understood") == true)
            }
            #expect(try await api.states(dataset)["A"] == .queued)
        }
    }

    @Test func callbacksAboutAnotherAttemptAreAcknowledgedAndIgnored() async throws {
        try await withSubmittedProduct { api, _, dataset, product, run in
            var unknown = run
            unknown.runID = UUID()
            let stray = camsEvent(unknown, "succeeded")
            let strayReply = try await api.call("POST", "/api/callback/cams", body: stray, headers: signed(stray))
            #expect(strayReply.status == 200 && strayReply.object["outcome"] as? String == "stale")

            let cleared = try await api.call(
                "PUT", "/api/data_product/\(dataset.lowercasedString)/clear",
                body: #"["\#(product.id.lowercasedString)"]"#, token: try await api.token("admin"))
            #expect(cleared.status == 200)
            let late = camsEvent(run, "succeeded")
            let lateReply = try await api.call("POST", "/api/callback/cams", body: late, headers: signed(late))
            #expect(lateReply.status == 200 && lateReply.object["outcome"] as? String == "stale")
            let now = try await api.plan(dataset).dataProducts[0]
            #expect(now.state == .queued && now.runID != run.runID, "the cleared product's new attempt stands")
        }
    }

    @Test func dbxaasNotificationsNeedTheirBasicCredentialsAndTriggerAPoll() async throws {
        try await withPlatforms { platforms in
            try await withFletcher(environment: platforms.environment()) { api in
                let body = #"{"event_type": "jobs.on_start", "run": {"run_id": 1}, "job": {"job_id": 1}}"#
                let wrong = BasicCredentials(user: "dbx", password: "guess")
                for headers in [[], [("Authorization", wrong.header)]] {
                    let reply = try await api.call("POST", "/api/callback/dbxaas", body: body, headers: headers)
                    #expect(reply.status == 401)
                }
                let good = [("Authorization", Platforms.webhook.header)]
                let garbled = try await api.call("POST", "/api/callback/dbxaas", body: #"{"run": {}}"#, headers: good)
                #expect(garbled.status == 400)
                let unknown = try await api.call("POST", "/api/callback/dbxaas", body: body, headers: good)
                #expect(unknown.status == 200 && unknown.object["outcome"] as? String == "stale")
                let other = try await api.call("POST", "/api/callback/nomad", body: body, headers: good)
                #expect(other.status == 404)
            }
        }
    }

    @Test func callbacksAreRefusedWhenNoSecretIsConfigured() async throws {
        try await withPlatforms { platforms in
            var environment = platforms.environment()
            environment["CAMS_CALLBACK_SECRET"] = nil
            environment["DBXAAS_WEBHOOK_USER"] = nil
            environment["DBXAAS_WEBHOOK_PASSWORD"] = nil
            try await withFletcher(environment: environment) { api in
                let body = #"{"run_id": "\#(UUID().lowercasedString)", "job_id": "1", "status": "running"}"#
                let cams = try await api.call("POST", "/api/callback/cams", body: body, headers: signed(body))
                #expect(cams.status == 401 && cams.detail?.contains("CAMS_CALLBACK_SECRET") == true)
                let dbxaas = try await api.call(
                    "POST", "/api/callback/dbxaas", body: "{}", headers: [("Authorization", Platforms.webhook.header)])
                #expect(dbxaas.status == 401)
            }
        }
    }
}
