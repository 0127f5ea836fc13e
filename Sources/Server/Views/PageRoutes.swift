import FletcherCore
import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore

/// The read-only web UI of `ui.md`: search, plan and product pages, the search rows fragment,
/// and the project's own CSS and JavaScript. Server-rendered: every page works without script.
struct PageRoutes: Sendable {
    let library: MustacheLibrary
    let orchestrator: Orchestrator
    let runs: any DispatchStore
    let renderer: GraphvizRenderer

    static func load(orchestrator: Orchestrator, runs: any DispatchStore, renderer: GraphvizRenderer) async throws
        -> PageRoutes
    {
        let directory = Bundle.module.resourceURL!.appendingPathComponent("Templates").path
        return PageRoutes(
            library: try await MustacheLibrary(directory: directory), orchestrator: orchestrator, runs: runs,
            renderer: renderer)
    }

    func add(to router: Router<BasicRequestContext>) {
        router.get("/") { request, _ in
            let query = request.uri.queryParameters.get("q") ?? ""
            let page = max(request.uri.queryParameters.get("page").flatMap { Int($0) } ?? 0, 0)
            let rows = SearchRowsView(try await orchestrator.search(query, page: page), query: query)
            return html(render(SearchPageView(rows), "search"))
        }
        router.get("/component/plan_search") { request, _ in
            let query = request.uri.queryParameters.get("search_by") ?? ""
            let page = max(request.uri.queryParameters.get("page").flatMap { Int($0) } ?? 0, 0)
            return html(
                render(SearchRowsView(try await orchestrator.search(query, page: page), query: query), "search_rows"))
        }
        router.get("/plan/:dataset_id") { _, context in
            let plan = try await plan(context)
            var svg: String?
            var notice = ""
            do {
                svg = try await renderer.svg(PlanDOT.render(plan))
            } catch {
                notice = "The DAG cannot be drawn: \(error)."
            }
            return html(render(PlanPageView(plan, svg: svg, svgNotice: notice), "plan"))
        }
        router.get("/plan/:dataset_id/:data_product_id") { _, context in
            let plan = try await plan(context)
            let productID = try APIError.uuid(
                try context.parameters.require("data_product_id"), field: "data_product_id")
            guard let product = plan.dataProducts.first(where: { $0.id == productID }) else {
                throw CommandError.productNotFound(productID)
            }
            let history = try await runs.runs(plan.dataset.id, productID)
            return html(render(ProductPageView(product, in: plan, runs: history), "product"))
        }
        for (file, type) in [("fletcher.css", "text/css"), ("fletcher.js", "text/javascript")] {
            let url = Bundle.module.resourceURL!.appendingPathComponent("Assets").appendingPathComponent(file)
            let bytes = (try? Data(contentsOf: url)) ?? Data()
            router.get("/assets/\(file)") { _, _ in
                Response(
                    status: .ok, headers: [.contentType: "\(type); charset=utf-8", .cacheControl: "no-cache"],
                    body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
            }
        }
    }

    private func plan(_ context: BasicRequestContext) async throws -> Plan {
        let id = try APIError.uuid(try context.parameters.require("dataset_id"), field: "dataset_id")
        guard let plan = try await orchestrator.plan(id) else { throw CommandError.datasetNotFound(id) }
        return plan
    }

    private func render(_ view: Any, _ template: String) -> String {
        library.render(view, withTemplate: template) ?? ""
    }

    private func html(_ body: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
