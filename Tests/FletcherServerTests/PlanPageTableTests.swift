import FletcherCore
import FletcherTestSupport
import Foundation
import Testing

/// The plan page of a big plan (`docs/ui.md`): the products table is paged, filtered and sorted on
/// the server, the page's size does not grow with the plan, and the counts the page refreshes
/// come from the server.
@Suite("Plan page of big plans")
struct PlanPageTableTests {
    /// Rows of the products table in page order, as (name, state).
    static func rows(_ html: String) -> [(name: String, state: String)] {
        html.matches(
            of: /<tr data-id="[0-9a-f-]+" data-state="(\w+)">[\s\S]*?<\/td>\s*<td>[^<]*<\/td><td>([^<]*)<\/td>/
        )
        .map { (String($0.output.2), String($0.output.1)) }
    }

    @Test func theTableIsPagedFilteredAndSortedOnTheServer() async throws {
        try await withFletcher { api in
            let token = try await api.token("admin")
            var factory = PlanFactory()
            _ = try await api.call(
                "POST", "/api/plan", json: factory.plan((0..<250).map { "p\($0)" }, eager: false), token: token)
            let failedIDs = [7, 120, 249].map { factory.id("p\($0)").lowercasedString }
            let failed = failedIDs.map { #"{"id": "\#($0)", "state": "failed"}"# }
            let dataset = factory.datasetID.lowercasedString
            _ = try await api.call(
                "PUT", "/api/data_product/\(dataset)/update", body: "[\(failed.joined(separator: ","))]", token: token)

            let first = try await api.call("GET", "/plan/\(dataset)")
            #expect(Self.rows(first.text).map(\.name) == (0..<100).map { "p\($0)" })
            #expect(first.text.contains("Rows 1–100 of 250"))
            #expect(first.text.contains(#"<a href="/plan/\#(dataset)?page=1" rel="next">"#))
            #expect(!first.text.contains("rel=\"prev\""))
            #expect(!first.text.contains(#"<pre class="json">"#), "a plan bigger than a page is linked, not inlined")

            let last = try await api.call("GET", "/plan/\(dataset)?page=2")
            #expect(Self.rows(last.text).map(\.name) == (200..<250).map { "p\($0)" })
            #expect(!last.text.contains("rel=\"next\""))

            let onlyFailed = try await api.call("GET", "/plan/\(dataset)?state=failed")
            #expect(Self.rows(onlyFailed.text).map(\.name) == ["p7", "p120", "p249"])
            #expect(onlyFailed.text.contains(#"<option value="failed" selected>"#))

            let byName = try await api.call("GET", "/plan/\(dataset)?sort=name&order=desc")
            let names = (0..<250).map { "p\($0)" }.sorted(by: >)
            #expect(Self.rows(byName.text).map(\.name) == Array(names.prefix(100)))
            #expect(
                byName.text.contains(
                    #"<th scope="col" aria-sort="descending"><a href="/plan/\#(dataset)?sort=name">Name</a>"#))
            let byState = try await api.call("GET", "/plan/\(dataset)?sort=state&order=desc&page=2")
            #expect(
                Self.rows(byState.text).map(\.state) == Array(repeating: "waiting", count: 47) + [
                    "failed", "failed", "failed",
                ],
                "descending by state: the waiting first, the 3 failed last")

            let counts = try await api.call("GET", "/plan/\(dataset)/counts.json")
            #expect(counts.object["failed"] as? Int == 3 && counts.object["waiting"] as? Int == 247)
            #expect(counts.object["success"] as? Int == 0)
        }
    }

    @Test func thePageDoesNotGrowWithThePlan() async throws {
        try await withFletcher { api in
            let token = try await api.token("admin")
            var sizes: [Int] = []
            for count in [1_500, 6_000] {
                var factory = PlanFactory()
                _ = try await api.call(
                    "POST", "/api/plan", json: factory.plan((0..<count).map { "p\($0)" }, eager: false), token: token)
                let page = try await api.call("GET", "/plan/\(factory.datasetID.lowercasedString)")
                #expect(page.status == 200)
                sizes.append(page.body.count)
            }
            // Four times the products (too many to draw either), the same 100 rows: only digits differ.
            #expect(abs(sizes[1] - sizes[0]) < 100, "\(sizes)")
            #expect(sizes[1] < 100_000, "\(sizes)")
        }
    }
}
