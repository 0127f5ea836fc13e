import FletcherCore
import FletcherPlatform
import FletcherPlugins
import FletcherTestSupport
import Foundation
import Testing

/// Each endpoint over HTTP: the happy path and the errors of docs/concepts.md §3 with their status
/// and exact `detail`.
@Suite("REST endpoints")
struct EndpointTests {
    /// A two-product plan A → B posted as admin; returns the token and ids.
    private func seeded(_ api: API) async throws -> (token: String, dataset: String, a: String, b: String) {
        let token = try await api.token("admin")
        let (dataset, a, b) = (UUID().lowercasedString, UUID().lowercasedString, UUID().lowercasedString)
        let reply = try await api.call(
            "POST", "/api/plan", body: planJSON(dataset, [(a, "A", true), (b, "B", true)], [(a, b)]), token: token)
        #expect(reply.status == 200, "\(reply.text)")
        return (token, dataset, a, b)
    }

    @Test func postGetAndReadProducts() async throws {
        try await withFletcher { api in
            let (_, dataset, a, b) = try await seeded(api)
            let plan = try await api.call("GET", "/api/plan/\(dataset)").decode(Plan.self)
            #expect(plan.dataProducts.map(\.state) == [.queued, .waiting])
            let product = try await api.call("GET", "/api/data_product/\(dataset)/\(b)")
            #expect(product.status == 200 && product.object["id"] as? String == b)
            #expect(product.object["name"] as? String == "B")
            let missingProduct = try await api.call("GET", "/api/data_product/\(dataset)/\(dataset)")
            #expect(missingProduct.status == 404 && missingProduct.detail == "Data product not found for: '\(dataset)'")
            let missingDataset = try await api.call("GET", "/api/data_product/\(a)/\(b)")
            #expect(missingDataset.status == 404 && missingDataset.detail == "Dataset not found: '\(a)'")
            let missingPlan = try await api.call("GET", "/api/plan/\(a)")
            #expect(missingPlan.status == 404 && missingPlan.detail == "Dataset not found: '\(a)'")
        }
    }

    @Test func theDAGAsGraphvizDOT() async throws {
        try await withFletcher { api in
            let (_, dataset, a, b) = try await seeded(api)
            let dot = try await api.call("GET", "/api/plan/\(dataset)/dot")
            #expect(dot.status == 200 && dot.header("Content-Type") == "text/vnd.graphviz")
            #expect(dot.text.hasPrefix("digraph \"\(dataset)\""))
            #expect(dot.text.contains("\"\(a)\" -> \"\(b)\";"))
            #expect(dot.text.contains("fillcolor=\"\(PlanDOT.fill(.queued))\""))
            #expect(try await api.call("GET", "/api/plan/\(a)/dot").status == 404)
            #expect(try await api.call("GET", "/api/plan/nope/dot").status == 400)
        }
    }

    @Test func postErrors() async throws {
        try await withFletcher { api in
            let token = try await api.token("publisher")
            let (dataset, a, b, x) = (
                UUID().lowercasedString, UUID().lowercasedString, UUID().lowercasedString, UUID().lowercasedString
            )
            let duplicate = try await api.call(
                "POST", "/api/plan", body: planJSON(dataset, [(a, "A", true), (a, "A", true)], []), token: token)
            #expect(duplicate.status == 400 && duplicate.detail == "Duplicate data-product id in parameter: '\(a)'")
            let duplicateEdge = try await api.call(
                "POST", "/api/plan", body: planJSON(dataset, [(a, "A", true), (b, "B", true)], [(a, b), (a, b)]),
                token: token)
            #expect(duplicateEdge.detail == "Duplicate dependency in parameter: '\(a)' -> '\(b)'")
            let missing = try await api.call(
                "POST", "/api/plan", body: planJSON(dataset, [(a, "A", true)], [(x, a)]), token: token)
            #expect(missing.status == 404 && missing.detail == "Data product not found for: '\(x)'")
            let cyclical = try await api.call(
                "POST", "/api/plan", body: planJSON(dataset, [(a, "A", true), (b, "B", true)], [(a, b), (b, a)]),
                token: token)
            #expect(cyclical.status == 422 && cyclical.detail == "Graph is cyclical")
            let emptyName = try await api.call(
                "POST", "/api/plan", body: planJSON(dataset, [(a, "", true)], []), token: token)
            #expect(
                emptyName.status == 400
                    && emptyName.detail == "Invalid value for 'data_products[0].name': must not be empty")
            let badCompute = try await api.call(
                "POST", "/api/plan",
                body: planJSON(dataset, [(a, "A", true)], []).replacingOccurrences(of: "cams", with: "k8s"),
                token: token)
            #expect(
                badCompute.status == 400
                    && badCompute.detail
                        == "Invalid value for 'data_products[0].compute': unknown compute 'k8s' (known: "
                        + PlatformRegistry.builtIn.names.joined(separator: ", ") + ")"
            )
            let malformedCompute = try await api.call(
                "POST", "/api/plan",
                body: planJSON(dataset, [(a, "A", true)], []).replacingOccurrences(of: "cams", with: "C-AMS"),
                token: token)
            #expect(
                malformedCompute.status == 400
                    && malformedCompute.detail?.contains("data_products[0].compute") == true)
            // None of the refused posts created the dataset.
            #expect(try await api.call("GET", "/api/plan/\(dataset)").status == 404)
        }
    }

    @Test func updateClearDisableTriggerAndPauseErrors() async throws {
        try await withFletcher { api in
            let (token, dataset, a, b) = try await seeded(api)
            let unknown = UUID().lowercasedString
            let badState = try await api.call(
                "PUT", "/api/data_product/\(dataset)/update", body: #"[{"id": "\#(a)", "state": "queued"}]"#,
                token: token)
            #expect(badState.status == 400 && badState.detail == "The requested state for '\(a)' is invalid: 'queued'")
            let unknownState = try await api.call(
                "PUT", "/api/data_product/\(dataset)/update", body: #"[{"id": "\#(a)", "state": "done"}]"#, token: token
            )
            #expect(unknownState.status == 400 && unknownState.detail?.contains("[0].state") == true)
            let noDataset = try await api.call(
                "PUT", "/api/data_product/\(unknown)/update", body: #"[{"id": "\#(a)", "state": "success"}]"#,
                token: token)
            #expect(noDataset.status == 404 && noDataset.detail == "Dataset not found: '\(unknown)'")
            let noProduct = try await api.call(
                "PUT", "/api/data_product/\(dataset)/clear", body: #"["\#(unknown)"]"#, token: token)
            #expect(noProduct.status == 404 && noProduct.detail == "Data product not found for: '\(unknown)'")

            let disabled = try await api.call(
                "DELETE", "/api/data_product/\(dataset)", body: #"["\#(b)"]"#, token: token)
            #expect(disabled.status == 200)
            let locked = try await api.call(
                "PUT", "/api/data_product/\(dataset)/update", body: #"[{"id": "\#(b)", "state": "success"}]"#,
                token: token)
            #expect(locked.status == 403 && locked.detail == "Data product is locked: '\(b)'")
            let lockedAgain = try await api.call(
                "PUT", "/api/data_product/disable/\(dataset)", body: #"["\#(b)"]"#, token: token)
            #expect(lockedAgain.status == 403 && lockedAgain.detail == "Data product is locked: '\(b)'")

            let notWaiting = try await api.call(
                "PUT", "/api/data_product/\(dataset)/trigger", body: #"["\#(a)"]"#, token: token)
            #expect(notWaiting.status == 409 && notWaiting.detail?.contains(a) == true)

            #expect(try await api.call("PUT", "/api/plan/\(dataset)/pause", token: token).status == 200)
            let twice = try await api.call("PUT", "/api/plan/pause/\(dataset)", token: token)
            #expect(twice.status == 400 && twice.detail == "Dataset '\(dataset)' pause state is already set to: 'true'")
            let unpaused = try await api.call("PUT", "/api/plan/unpause/\(dataset)", token: token)
            #expect(
                unpaused.status == 200
                    && unpaused.object["dataset"].flatMap { ($0 as? [String: Any])?["paused"] } as? Bool == false)
            let unpauseTwice = try await api.call("PUT", "/api/plan/\(dataset)/unpause", token: token)
            #expect(unpauseTwice.detail == "Dataset '\(dataset)' pause state is already set to: 'false'")
        }
    }

    @Test func triggerQueuesANonEagerProduct() async throws {
        try await withFletcher { api in
            let token = try await api.token("admin")
            let (dataset, a) = (UUID().lowercasedString, UUID().lowercasedString)
            _ = try await api.call("POST", "/api/plan", body: planJSON(dataset, [(a, "A", false)], []), token: token)
            let reply = try await api.call(
                "PUT", "/api/data_product/\(dataset)/trigger", body: #"["\#(a)"]"#, token: token)
            #expect(reply.status == 200)
            #expect(try reply.decode(Plan.self).dataProducts.first?.state == .queued)
        }
    }

    @Test func searchPagesAndValidatesItsParameters() async throws {
        try await withFletcher { api in
            let token = try await api.token("publisher")
            for index in 0..<51 {
                let reply = try await api.call(
                    "POST", "/api/plan",
                    body: planJSON(UUID().lowercasedString, [], [], extra: #"{"team": "Ledger \#(index)"}"#),
                    token: token)
                #expect(reply.status == 200)
            }
            let first = try await api.call("GET", "/api/plan/search?search_by=ledger&page=0")
            #expect((first.object["rows"] as? [Any])?.count == 50 && first.object["next_page"] as? Int == 1)
            let second = try await api.call("GET", "/api/plan/search?search_by=LEDGER&page=1")
            #expect((second.object["rows"] as? [Any])?.count == 1 && second.object["next_page"] is NSNull)
            let row = try #require((second.object["rows"] as? [[String: Any]])?.first)
            #expect(Set(row.keys) == ["dataset_id", "extra", "modified_date", "paused", "counts"])
            #expect(row["paused"] as? Bool == false)
            #expect(row["counts"] as? [String: Int] == [:], "a plan without products counts nothing")
            let empty = try await api.call("GET", "/api/plan/search?search_by=&page=0")
            #expect((empty.object["rows"] as? [Any])?.count == 50)

            let missingPage = try await api.call("GET", "/api/plan/search?search_by=x")
            #expect(missingPage.status == 400 && missingPage.detail == "Missing required query parameter 'page'")
            let missingTerm = try await api.call("GET", "/api/plan/search?page=0")
            #expect(missingTerm.status == 400 && missingTerm.detail == "Missing required query parameter 'search_by'")
            let negative = try await api.call("GET", "/api/plan/search?search_by=x&page=-1")
            #expect(negative.status == 400 && negative.detail == "Invalid value for 'page': must be 0 or more, got -1")
            let text = try await api.call("GET", "/api/plan/search?search_by=x&page=two")
            #expect(text.status == 400 && text.detail == "Invalid value for 'page': 'two' is not a whole number")
            let state = try await api.call("GET", "/api/plan/search?search_by=x&page=0&state=broken")
            #expect(state.status == 400, "\(state.text)")
            #expect(
                state.detail
                    == "Invalid value for 'state': 'broken' is not one of waiting, queued, running, success, failed, disabled"
            )
        }
    }

    @Test func searchRowsSayPausedAndCountStatesAndFilterByState() async throws {
        try await withFletcher { api in
            let (token, dataset, a, _) = try await seeded(api)
            let other = UUID().lowercasedString
            let posted = try await api.call(
                "POST", "/api/plan", body: planJSON(other, [(UUID().lowercasedString, "X", true)], []), token: token)
            #expect(posted.status == 200)
            let failed = try await api.call(
                "PUT", "/api/data_product/\(dataset)/update", body: #"[{"id": "\#(a)", "state": "failed"}]"#,
                token: token)
            #expect(failed.status == 200)
            #expect(try await api.call("PUT", "/api/plan/\(dataset)/pause", token: token).status == 200)

            func rows(_ query: String) async throws -> [[String: Any]] {
                let reply = try await api.call("GET", "/api/plan/search?search_by=&page=0" + query)
                #expect(reply.status == 200, "\(reply.text)")
                return try #require(reply.object["rows"] as? [[String: Any]])
            }
            let all = try await rows("")
            let seededRow = try #require(all.first { $0["dataset_id"] as? String == dataset })
            #expect(seededRow["paused"] as? Bool == true)
            #expect(seededRow["counts"] as? [String: Int] == ["failed": 1, "waiting": 1])
            let otherRow = try #require(all.first { $0["dataset_id"] as? String == other })
            #expect(otherRow["paused"] as? Bool == false)
            #expect(otherRow["counts"] as? [String: Int] == ["queued": 1])

            #expect(try await rows("&state=failed").map { $0["dataset_id"] as? String } == [dataset])
            #expect(try await rows("&state=queued").map { $0["dataset_id"] as? String } == [other])
            #expect(try await rows("&state=running").isEmpty)
        }
    }

    @Test func preferReturnMinimalAnswersVersionAndChanges() async throws {
        try await withFletcher { api in
            let (token, dataset, a, b) = try await seeded(api)
            let reply = try await api.call(
                "PUT", "/api/data_product/\(dataset)/update", body: #"[{"id": "\#(a)", "state": "success"}]"#,
                token: token,
                headers: [("Prefer", "return=minimal")])
            #expect(reply.status == 200)
            #expect(Set(reply.object.keys) == ["version", "changes"])
            #expect(reply.object["version"] as? Int == 2)
            let changes = try #require(reply.object["changes"] as? [[String: Any]])
            #expect(changes.map { $0["id"] as? String } == [a, b])
            #expect(changes.map { $0["state"] as? String } == ["success", "queued"])
        }
    }
}

/// A plan body: products as (id, name, eager), edges as (parent, child).
func planJSON(
    _ dataset: String, _ products: [(String, String, Bool)], _ edges: [(String, String)], extra: String = "null"
) -> String {
    let items = products.map {
        #"{"id": "\#($0.0)", "compute": "cams", "name": "\#($0.1)", "version": "1", "eager": \#($0.2)}"#
    }
    let links = edges.map { #"{"parent_id": "\#($0.0)", "child_id": "\#($0.1)"}"# }
    return
        #"{"dataset": {"id": "\#(dataset)", "extra": \#(extra)}, "data_products": [\#(items.joined(separator: ","))], "dependencies": [\#(links.joined(separator: ","))]}"#
}
