import FletcherCore
import FletcherTestSupport
import Foundation
import Testing

@testable import FletcherServer

/// The web UI's pages over HTTP (`docs/ui.md`): structure, escaping, the search fragment, 404s.
@Suite("Web pages")
struct PageTests {
    private let browser = [("Accept", "text/html,application/xhtml+xml")]

    /// A plan whose texts try to break out of the page.
    private func hostilePlan(_ factory: inout PlanFactory) -> PlanParam {
        var plan = factory.plan(["<script>alert(1)</script>", "B"], [("<script>alert(1)</script>", "B")])
        plan.dataset.extra = ["note": "</code><script>alert(2)</script>"]
        plan.dataProducts[1].passthrough = ["q": "\"><img src=x onerror=alert(3)>"]
        plan.dataProducts[1].eager = false
        return plan
    }

    @Test func everyPageHasTheLayoutLandmarksAndLabels() async throws {
        try await withFletcher { api in
            var factory = PlanFactory()
            _ = try await api.call("POST", "/api/plan", json: factory.plan(["A"]), token: try await api.token("admin"))
            let dataset = factory.datasetID.lowercasedString
            for path in ["/", "/?q=zz", "/plan/\(dataset)", "/plan/\(dataset)/\(factory.id("A").lowercasedString)"] {
                let page = try await api.call("GET", path, headers: browser)
                #expect(page.status == 200 && page.header("Content-Type") == "text/html; charset=utf-8", "\(path)")
                let html = page.text
                #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"), "\(path)")
                for landmark in ["<header", "<nav aria-label=\"Breadcrumb\"", "<main id=\"main\">", "<h1"] {
                    #expect(html.contains(landmark), "\(path) lacks \(landmark)")
                }
                #expect(!html.contains("<script>") && !html.contains("style="), "no inline script or style (CSP)")
                #expect(page.header("Content-Security-Policy")?.contains("default-src 'self'") == true)
            }
            let search = try await api.call("GET", "/?q=zz", headers: browser).text
            #expect(search.contains(#"<label for="q">Search plans</label>"#) && search.contains(#"value="zz""#))
            #expect(search.contains("No plans match &#39;zz&#39;") || search.contains("No plans match 'zz'"))
            let plan = try await api.call("GET", "/plan/\(dataset)", headers: browser).text
            #expect(plan.contains(#"<label for="state-filter">Show state</label>"#))
            #expect(plan.contains(#"<figure role="img" aria-label="The plan's DAG: 1 products"#))
            #expect(plan.contains(#"aria-current="page">Plan</a>"#))
        }
    }

    @Test func clientTextRendersInert() async throws {
        try await withFletcher { api in
            let token = try await api.token("admin")
            var factory = PlanFactory()
            _ = try await api.call("POST", "/api/plan", json: hostilePlan(&factory), token: token)
            let dataset = factory.datasetID.lowercasedString
            let b = factory.id("B").lowercasedString
            let update = #"[{"id": "\#(b)", "state": "failed", "link": "javascript:alert(4)"}]"#
            let refused = try await api.call("PUT", "/api/data_product/\(dataset)/update", body: update, token: token)
            #expect(refused.status == 400, "the API already refuses a javascript: link")
            // A link stored before validation existed (or by a platform) still renders inert.
            for path in ["/", "/plan/\(dataset)", "/plan/\(dataset)/\(b)"] {
                let html = try await api.call("GET", path, headers: browser).text
                #expect(!html.contains("<script>alert") && !html.contains("<img src=x"), "\(path)")
                #expect(!html.contains("javascript:"), "\(path)")
            }
            let plan = try await api.call("GET", "/plan/\(dataset)", headers: browser).text
            #expect(plan.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            let product = try await api.call("GET", "/plan/\(dataset)/\(b)", headers: browser).text
            #expect(product.contains("&quot;&gt;&lt;img src=x onerror=alert(3)&gt;"))
            #expect(safeLinkRendersOnlyHTTP())
        }
    }

    private func safeLinkRendersOnlyHTTP() -> Bool {
        ["javascript:alert(1)", "data:text/html,x", "ftp://h/x", "//h/x", "https://"].allSatisfy { safeLink($0) == nil }
            && safeLink("https://runs.example.com/1") == "https://runs.example.com/1"
    }

    @Test(arguments: [0, 50, 51, 75])
    func theSearchFragmentPagesFiftyRows(plans: Int) async throws {
        try await withFletcher { api in
            let token = try await api.token("admin")
            let tag = "frag\(plans)x\(UUID().uuidString.prefix(6).lowercased())"
            for _ in 0..<plans {
                var factory = PlanFactory()
                _ = try await api.call(
                    "POST", "/api/plan", json: factory.plan(["A"], extra: ["tag": .string(tag)]), token: token)
            }
            let first = try await api.call("GET", "/component/plan_search?search_by=\(tag)&page=0").text
            let rows = first.components(separatedBy: "<tr data-dataset=").count - 1
            #expect(rows == min(plans, 50))
            #expect(first.contains("data-more=") == (plans > 50))
            #expect(first.contains("No plans match") == (plans == 0))
            if plans > 50 {
                let second = try await api.call("GET", "/component/plan_search?search_by=\(tag)&page=1").text
                #expect(second.components(separatedBy: "<tr data-dataset=").count - 1 == plans - 50)
                #expect(!second.contains("data-more="))
                #expect(first.contains(#"href="/?q=\#(tag)&amp;page=1""#), "a plain More link works without script")
            }
        }
    }

    @Test func unknownPlansProductsAndPagesAreFriendly404s() async throws {
        try await withFletcher { api in
            var factory = PlanFactory()
            _ = try await api.call("POST", "/api/plan", json: factory.plan(["A"]), token: try await api.token("admin"))
            let dataset = factory.datasetID.lowercasedString
            for path in ["/plan/\(UUID().lowercasedString)", "/plan/\(dataset)/\(UUID().lowercasedString)", "/nowhere"]
            {
                let page = try await api.call("GET", path, headers: browser)
                #expect(
                    page.status == 404 && page.text.contains(#"<a href="/">Back to the plan search</a>"#), "\(path)")
            }
            #expect(try await api.call("GET", "/plan/not-a-uuid", headers: browser).status == 400)
        }
    }

    @Test func assetsAreServedWithTheirTypes() async throws {
        try await withFletcher { api in
            let css = try await api.call("GET", "/assets/fletcher.css")
            #expect(
                css.status == 200 && css.header("Content-Type")?.hasPrefix("text/css") == true
                    && css.text.contains(":focus-visible"))
            let script = try await api.call("GET", "/assets/fletcher.js")
            #expect(script.status == 200 && script.header("Content-Type")?.hasPrefix("text/javascript") == true)
            #expect(script.text.contains("EventSource"))
        }
    }
}
