import FletcherCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /plan/{dataset_id}/dag.svg`: the plan's DAG drawn by Graphviz (`ui.md`, plan page), for
/// the plan page to show and for anyone to link to. 503 when the plan is too big to lay out in
/// time, so the page can show its table and a notice instead.
enum PlanPictureRoute {
    static func add(to router: Router<BasicRequestContext>, orchestrator: Orchestrator, renderer: GraphvizRenderer) {
        router.get("/plan/:dataset_id/dag.svg") { _, context in
            let id = try APIError.uuid(try context.parameters.require("dataset_id"), field: "dataset_id")
            guard let plan = try await orchestrator.plan(id) else { throw CommandError.datasetNotFound(id) }
            do {
                let svg = try await renderer.svg(PlanDOT.render(plan))
                return Response(
                    status: .ok, headers: [.contentType: "image/svg+xml; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(string: svg)))
            } catch {
                throw APIError(status: .serviceUnavailable, detail: "The DAG cannot be drawn: \(error)")
            }
        }
    }
}
