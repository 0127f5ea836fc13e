import FletcherCore
import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore

/// The read-only web UI of `docs/ui.md`: search, plan and product pages, the search rows fragment,
/// and the project's own CSS and JavaScript. Server-rendered: every page works without script.
struct PageRoutes: Sendable {
    let library: MustacheLibrary
    let orchestrator: Orchestrator
    let runs: any DispatchStore
    let renderer: GraphvizRenderer
    let session: WebSession
    /// The API's access rules: a management form needs the role of the operation it performs.
    let access: AccessRules

    static func load(
        orchestrator: Orchestrator, runs: any DispatchStore, renderer: GraphvizRenderer, session: WebSession,
        access: AccessRules
    ) async throws -> PageRoutes {
        let directory = Bundle.module.resourceURL!.appendingPathComponent("Templates").path
        return PageRoutes(
            library: try await MustacheLibrary(directory: directory), orchestrator: orchestrator, runs: runs,
            renderer: renderer, session: session, access: access)
    }

    func userView(_ request: Request) async -> UserView? {
        await session.user(request).map { UserView(service: $0.service, csrf: $0.csrf) }
    }

    func add(to router: Router<BasicRequestContext>) {
        router.get("/") { request, _ in
            let rows = try await searchRows(request, term: "q")
            var view = SearchPageView(results: rows.view, state: rows.state)
            view.user = await userView(request)
            return html(render(view, "search"))
        }
        router.get("/component/plan_search") { request, _ in
            html(render(try await searchRows(request, term: "search_by").view, "search_rows"))
        }
        router.get("/plan/:dataset_id") { request, context in
            let plan = try await orchestrator.existingPlan(try context.parameters.require("dataset_id"))
            var svg: String?
            var notice = ""
            if plan.products.count > GraphvizRenderer.maximumProducts {
                notice = "The DAG of \(plan.products.count) products is too big to draw."
            } else {
                do {
                    svg = try await renderer.svg(PlanDOT.render(plan.plan))
                } catch {
                    notice = "The DAG cannot be drawn: \(error)."
                }
            }
            var view = PlanPageView(
                plan, table: ProductTable { request.uri.queryParameters.get($0) }, svg: svg, svgNotice: notice,
                platforms: orchestrator.platforms, runs: try await runs.latestRuns(plan.dataset.id),
                now: SystemWallClock().now())
            view.user = await userView(request)
            return html(render(view, "plan"))
        }
        // The state counts the plan page shows, for its script to refresh after changes.
        router.get("/plan/:dataset_id/counts.json") { _, context in
            let plan = try await orchestrator.existingPlan(try context.parameters.require("dataset_id"))
            var writer = JSONWriter()
            writer.raw("{")
            for (index, state) in State.allCases.enumerated() {
                if index > 0 { writer.raw(",") }
                writer.string(state.rawValue)
                writer.raw(":")
                writer.int(Int64(plan.counts[state] ?? 0))
            }
            writer.raw("}")
            return Response(
                status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-cache"],
                body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes)))
        }
        // The timeline alone, for the plan page's script to refresh: the rows of the table's view.
        router.get("/plan/:dataset_id/timeline") { request, context in
            let plan = try await orchestrator.existingPlan(try context.parameters.require("dataset_id"))
            let table = ProductTable { request.uri.queryParameters.get($0) }
            let timeline = TimelineView(
                plan: plan, shown: table.rows(of: plan.products).rows,
                runs: try await runs.latestRuns(plan.dataset.id), now: SystemWallClock().now())
            return html(render(["timeline": timeline], "timeline"))
        }
        // The DAG alone, for the plan page and for linking to: 503 when it cannot be laid out in time.
        router.get("/plan/:dataset_id/dag.svg") { _, context in
            let plan = try await plan(context)
            guard plan.dataProducts.count <= GraphvizRenderer.maximumProducts else {
                throw APIError(
                    status: .serviceUnavailable,
                    detail: "The DAG of \(plan.dataProducts.count) products is too big to draw")
            }
            let dot = PlanDOT.render(plan)
            do {
                return Response(
                    status: .ok, headers: [.contentType: "image/svg+xml; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(string: try await renderer.svg(dot))))
            } catch {
                throw APIError(status: .serviceUnavailable, detail: "The DAG cannot be drawn: \(error)")
            }
        }
        router.get("/plan/:dataset_id/:data_product_id") { request, context in
            let plan = try await plan(context)
            let productID = try APIError.uuid(
                try context.parameters.require("data_product_id"), field: "data_product_id")
            guard let product = plan.dataProducts.first(where: { $0.id == productID }) else {
                throw CommandError.productNotFound(productID)
            }
            let history = try await runs.runs(plan.dataset.id, productID)
            var view = ProductPageView(product, in: plan, runs: history, platforms: orchestrator.platforms)
            view.user = await userView(request)
            return html(render(view, "product"))
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

    /// One page of search results for the page and its fragment: the term (in `term`), the
    /// state filter (an unknown state shows every plan) and the page from the query.
    private func searchRows(_ request: Request, term: String) async throws -> (view: SearchRowsView, state: State?) {
        let parameters = request.uri.queryParameters
        let query = parameters.get(term) ?? ""
        let state = parameters.get("state").flatMap(State.init(rawValue:))
        let page = max(parameters.get("page").flatMap { Int($0) } ?? 0, 0)
        let found = try await orchestrator.search(query, state: state, page: page)
        return (SearchRowsView(found, query: query, state: state), state)
    }

    func plan(_ context: BasicRequestContext) async throws -> Plan {
        try await orchestrator.existingPlan(try context.parameters.require("dataset_id")).plan
    }

    func render(_ view: Any, _ template: String) -> String {
        library.render(view, withTemplate: template) ?? ""
    }

    func html(_ body: String, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
