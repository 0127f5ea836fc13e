import FletcherCore
import FletcherPlatform
import FletcherPlugins
import FletcherTestSupport
import Foundation
import Testing

/// The conventions of docs/api.md §1 that hold for every endpoint.
@Suite("HTTP conventions")
struct HTTPContractTests {
    @Test func bodiesMustBeJSONWithinTheLimitAndShallow() async throws {
        try await withFletcher(environment: ["MAX_BODY_BYTES": "2048"]) { api in
            let token = try await api.token("admin")
            let dataset = UUID().lowercasedString
            let plan = planJSON(dataset, [], [])
            let noType = try await api.call("POST", "/api/plan", body: plan, token: token, contentType: nil)
            #expect(noType.status == 415 && noType.header("Content-Type") == "application/problem+json")
            let wrongType = try await api.call("POST", "/api/plan", body: plan, token: token, contentType: "text/plain")
            #expect(wrongType.status == 415)
            let charset = try await api.call(
                "POST", "/api/plan", body: plan, token: token, contentType: "application/json; charset=utf-8")
            #expect(charset.status == 200)
            // Where the document requires a body, none at all is a 400 saying so; where it takes
            // none, none is right.
            for path in ["/api/plan", "/api/data_product/\(UUID().lowercasedString)/update"] {
                let empty = try await api.call(path == "/api/plan" ? "POST" : "PUT", path, token: token)
                #expect(empty.status == 400 && empty.detail == "A JSON request body is required", "\(path)")
            }
            #expect(try await api.call("PUT", "/api/plan/\(dataset)/pause", token: token).status == 200)

            let big = planJSON(
                UUID().lowercasedString, [], [], extra: "\"" + String(repeating: "x", count: 4000) + "\"")
            let tooLarge = try await api.call("POST", "/api/plan", body: big, token: token)
            #expect(
                tooLarge.status == 413 && tooLarge.detail == "The request body is larger than the limit of 2048 bytes")

            let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
            let nested = try await api.call(
                "POST", "/api/plan", body: planJSON(UUID().lowercasedString, [], [], extra: deep), token: token)
            #expect(nested.status == 400 && nested.detail == "JSON is nested deeper than 64 levels")
            // The same answer where the OpenAPI runtime's decoder would read the body.
            let deepUpdate = try await api.call(
                "PUT", "/api/data_product/\(dataset)/update", body: "[{\"id\": \(deep)}]", token: token)
            #expect(deepUpdate.status == 400 && deepUpdate.detail == "JSON is nested deeper than 64 levels")

            let broken = try await api.call("POST", "/api/plan", body: "{\"dataset\": ", token: token)
            #expect(broken.status == 400 && broken.detail?.hasPrefix("Malformed JSON") == true)
            // A plan is read by Fletcher's own parser: strict (no trailing commas), saying where it stopped.
            let trailing = planJSON(UUID().lowercasedString, [], [], extra: "[1,\n2,]")
            let comma = try await api.call("POST", "/api/plan", body: trailing, token: token)
            #expect(
                comma.status == 400
                    && comma.detail?.hasPrefix("Malformed JSON: unexpected ']' at line 2, column 3") == true)
            let product = (UUID().lowercasedString, "p", true)
            let eager = planJSON(UUID().lowercasedString, [product], []).replacing(
                "\"eager\": true", with: "\"eager\": \"yes\"")
            let notBoolean = try await api.call("POST", "/api/plan", body: eager, token: token)
            #expect(
                notBoolean.status == 400
                    && notBoolean.detail == "Invalid type for 'data_products[0].eager': expected a boolean")
            let wrongShape = try await api.call(
                "PUT", "/api/data_product/\(UUID().lowercasedString)/clear", body: "{}", token: token)
            #expect(wrongShape.status == 400)
            let badID = try await api.call(
                "PUT", "/api/data_product/\(UUID().lowercasedString)/clear", body: #"["nope"]"#, token: token)
            #expect(badID.status == 400 && badID.detail?.contains("[0]") == true)
            let noBody = try await api.call("PUT", "/api/data_product/\(UUID().lowercasedString)/clear", token: token)
            #expect(noBody.status == 400)
        }
    }

    @Test func malformedUUIDsInPathsNameTheParameter() async throws {
        try await withFletcher { api in
            let token = try await api.token("admin")
            let plan = try await api.call("GET", "/api/plan/not-a-uuid")
            #expect(plan.status == 400 && plan.detail == "Invalid value for 'dataset_id': 'not-a-uuid' is not a UUID")
            let product = try await api.call("GET", "/api/data_product/\(UUID().lowercasedString)/42")
            #expect(
                product.status == 400 && product.detail == "Invalid value for 'data_product_id': '42' is not a UUID")
            let pause = try await api.call("PUT", "/api/plan/xyz/pause", token: token)
            #expect(pause.status == 400 && pause.detail == "Invalid value for 'dataset_id': 'xyz' is not a UUID")
        }
    }

    @Test func unknownRoutesAre404AndWrongMethods405() async throws {
        try await withFletcher { api in
            let unknown = try await api.call("GET", "/api/nothing/here")
            #expect(unknown.status == 404 && unknown.header("Content-Type") == "application/problem+json")
            let wrongMethod = try await api.call("DELETE", "/api/plan/search")
            #expect(wrongMethod.status == 405)
            #expect(wrongMethod.header("Allow") == "GET")
            let post = try await api.call("PATCH", "/api/plan")
            #expect(post.status == 405 && post.header("Allow") == "POST")
            // The router takes the literal `clear` segment and does not fall back to the product
            // read, so GET is not offered there.
            let clear = try await api.call("GET", "/api/data_product/clear/\(UUID().lowercasedString)")
            #expect(clear.status == 405 && clear.header("Allow") == "PUT", "\(clear.text)")
            let page = try await api.call("GET", "/no/such/<page>", headers: [("Accept", "text/html,*/*")])
            #expect(page.status == 404 && page.header("Content-Type") == "text/html; charset=utf-8")
            #expect(page.text.contains("&lt;page&gt;") && !page.text.contains("<page>"))
            #expect(page.text.contains("href=\"/\""))
            // Every answer, error or not, page or JSON, carries the security headers.
            for answer in [unknown, wrongMethod, page, try await api.call("GET", "/healthz")] {
                #expect(answer.header("X-Content-Type-Options") == "nosniff")
                #expect(answer.header("Content-Security-Policy") == "default-src 'self'; frame-ancestors 'none'")
            }
        }
    }

    @Test func unknownFieldsAreIgnoredAndOutputIsCanonical() async throws {
        try await withFletcher { api in
            let token = try await api.token("admin")
            let dataset = UUID().uuidString  // uppercase in, lowercase out
            let product = UUID().uuidString
            let body =
                #"{"dataset": {"id": "\#(dataset)", "paused": true, "colour": "red"}, "data_products": [{"id": "\#(product)", "compute": "cams", "name": "A", "version": "1", "eager": false, "owner": "x"}], "dependencies": [], "note": 1}"#
            let reply = try await api.call("POST", "/api/plan", body: body, token: token)
            #expect(reply.status == 200)
            #expect(reply.text.contains(dataset.lowercased()) && !reply.text.contains(dataset))
            let datasetJSON = try #require(reply.object["dataset"] as? [String: Any])
            #expect(datasetJSON["paused"] as? Bool == false)  // a post never pauses
            #expect(datasetJSON["extra"] is NSNull)  // optional fields are emitted as null
            let stamp = try #require(datasetJSON["modified_date"] as? String)
            #expect(stamp.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z/) != nil, "\(stamp)")
            let productJSON = try #require((reply.object["data_products"] as? [[String: Any]])?.first)
            #expect(
                Set(productJSON.keys) == [
                    "id", "compute", "name", "version", "eager", "passthrough", "state", "run_id", "link", "passback",
                    "extra",
                    "modified_by", "modified_date",
                ])
            #expect(productJSON["run_id"] is NSNull && productJSON["modified_by"] as? String == "admin")
        }
    }

    @Test func internalErrorsAreLoggedNotLeaked() async throws {
        try await withFletcher(store: FailingStore()) { api in
            let reply = try await api.call("GET", "/api/plan/\(UUID().lowercasedString)")
            #expect(reply.status == 500)
            #expect(!reply.text.contains("SELECT") && !reply.text.contains("secret"))
            let requestID = try #require(reply.object["request_id"] as? String)
            #expect(reply.detail == "Internal error: quote request id \(requestID) when reporting it")
        }
    }

    @Test func healthReadinessAndDocumentation() async throws {
        try await withFletcher { api in
            #expect(try await api.call("GET", "/healthz").status == 200)
            #expect(try await api.call("GET", "/readyz").status == 200)
            let spec = try await api.call("GET", "/spec")
            #expect(spec.status == 200 && spec.header("Content-Type") == "application/json")
            let paths = try #require(spec.object["paths"] as? [String: [String: [String: Any]]])
            #expect(paths.keys.contains("/api/plan/{dataset_id}/pause"))
            let deprecated = paths.flatMap { path, methods in
                methods.compactMap { method, operation in
                    operation["deprecated"] as? Bool == true ? "\(method.uppercased()) \(path)" : nil
                }
            }
            #expect(
                Set(deprecated) == [
                    "PUT /api/plan/pause/{dataset_id}", "PUT /api/plan/unpause/{dataset_id}",
                    "PUT /api/data_product/update/{dataset_id}", "PUT /api/data_product/clear/{dataset_id}",
                    "PUT /api/data_product/disable/{dataset_id}", "DELETE /api/data_product/disable/{dataset_id}",
                ], "the aliases, and only they, are deprecated")
            let schemas = (spec.object["components"] as? [String: Any])?["schemas"] as? [String: Any]
            let compute = schemas?["Compute"] as? [String: Any]
            #expect(compute?["enum"] as? [String] == PlatformRegistry.builtIn.names, "registered names as the enum")
            let yaml = try await api.call("GET", "/spec.yaml")
            #expect(yaml.status == 200 && yaml.text.contains("openapi: 3.1.0"))
            let swagger = try await api.call("GET", "/swagger")
            #expect(swagger.status == 200 && swagger.text.contains("integrity=\"sha384-"))
            #expect(swagger.text.contains("href=\"/spec\""))
            #expect(
                swagger.header("Content-Security-Policy")?.contains("script-src 'self' https://cdn.jsdelivr.net")
                    == true)
        }
        try await withFletcher(store: FailingStore()) { api in
            let ready = try await api.call("GET", "/readyz")
            #expect(ready.status == 503 && ready.detail == "Not ready: the database does not answer")
            #expect(!ready.text.contains("secret"))
            #expect(try await api.call("GET", "/healthz").status == 200)
        }
    }

    /// Every operation of the served document answers (no 404/405), and the document is valid
    /// OpenAPI (checked by openapi-spec-validator, installed by CI from PyPI).
    @Test func theServedDocumentIsValidAndCoversTheServer() async throws {
        try await withFletcher { api in
            let spec = try await api.call("GET", "/spec")
            let paths = try #require(spec.object["paths"] as? [String: [String: Any]])
            for (path, operations) in paths {
                let concrete = path.replacingOccurrences(
                    of: #"\{[a-z_]+\}"#, with: UUID().lowercasedString, options: .regularExpression)
                for method in operations.keys {
                    let reply = try await api.call(method.uppercased(), concrete)
                    #expect(
                        ![404, 405].contains(reply.status) || reply.detail?.contains("not found") == true
                            || reply.detail?.contains("does not dispatch to a compute platform") == true,
                        "\(method) \(path) → \(reply.status) \(reply.text)")
                }
            }
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("fletcher-spec-\(UUID()).json")
            try Data(spec.body).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            let result = try await runCommand(["python3", "-m", "openapi_spec_validator", file.path])
            #expect(result.status == 0, "openapi-spec-validator: \(result.output)")
        }
    }
}

/// A store whose database is gone: every call fails with internals that must not reach clients.
struct FailingStore: PlanStore {
    struct Failure: Error, CustomStringConvertible {
        var description: String { "SELECT * FROM dataset failed: password=secret host=db.internal" }
    }

    func withLockedDataset<T: Sendable>(
        _ datasetID: UUID, _ body: @escaping @Sendable (any PlanTransaction) throws -> T
    )
        async throws -> T
    { throw Failure() }
    func storedPlan(_ datasetID: UUID) async throws -> PlanState? { throw Failure() }
    func version(of datasetID: UUID) async throws -> Int64? { throw Failure() }
    func dataProduct(_ datasetID: UUID, _ dataProductID: UUID) async throws -> DataProduct? { throw Failure() }
    func search(_ term: String, state: State?, page: Int) async throws -> SearchPage { throw Failure() }
    func pendingMigrationCount() async throws -> Int { throw Failure() }
}

extension FailingStore: RevocationStore {
    func revoke(tokenHash: String, until expiry: Timestamp, now: Timestamp) async throws { throw Failure() }
    func revokedTokens(at now: Timestamp) async throws -> [String: Timestamp] { throw Failure() }
}

extension FailingStore: DispatchStore {
    func claim(_ compute: Compute, now: Timestamp, leaseUntil: Timestamp, limit: Int) async throws -> [OutboxItem] {
        throw Failure()
    }
    func recordSubmission(_ runID: UUID, _ submission: Submission, at now: Timestamp) async throws { throw Failure() }
    func postpone(_ item: OutboxItem, attempt: Int, until at: Timestamp, error: String) async throws { throw Failure() }
    func complete(_ item: OutboxItem, error: String?) async throws { throw Failure() }
    func liveRuns(_ compute: Compute, limit: Int) async throws -> [RunRef] { throw Failure() }
    func run(_ runID: UUID) async throws -> RunRecord? { throw Failure() }
    func run(_ compute: Compute, externalID: String) async throws -> RunRecord? { throw Failure() }
    func runs(_ datasetID: UUID, _ dataProductID: UUID) async throws -> [RunRecord] { throw Failure() }
    func latestRuns(_ datasetID: UUID) async throws -> [RunRecord] { throw Failure() }
    func callbackSeen(_ compute: Compute, deliveryID: String) async throws -> Bool { throw Failure() }
    func queueStats() async throws -> [Compute: QueueStats] { throw Failure() }
    func rememberCallback(_ compute: Compute, deliveryID: String, at now: Timestamp, forgetBefore: Timestamp)
        async throws
    { throw Failure() }
}
