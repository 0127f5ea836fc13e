import FletcherCore
import Foundation
import OpenAPIRuntime

/// The REST API of `docs/api.md` §2, implementing the protocol generated from `openapi.yaml`.
/// Each handler translates between the wire and one orchestrator call; the rules live in the core.
struct APIHandlers: APIProtocol {
    let orchestrator: Orchestrator
    let authenticator: Authenticator
    let runs: any DispatchStore

    func authenticate(_ input: Operations.Authenticate.Input) async throws -> Operations.Authenticate.Output {
        guard case .json(let body) = input.body else { throw APIError.badRequest("A JSON request body is required") }
        return .ok(.init(body: .json(try await authenticator.logIn(service: body.service, key: body.key))))
    }

    func postPlan(_ input: Operations.PostPlan.Input) async throws -> Operations.PostPlan.Output {
        guard case .json(let body) = input.body else { throw APIError.badRequest("A JSON request body is required") }
        return .ok(try await mutate(.post(body.param), on: body.param.dataset.id, prefer: input.headers.prefer))
    }

    func searchPlans(_ input: Operations.SearchPlans.Input) async throws -> Operations.SearchPlans.Output {
        guard input.query.page >= 0 else {
            throw APIError.badRequest("Invalid value for 'page': must be 0 or more, got \(input.query.page)")
        }
        let state = input.query.state.flatMap { State(rawValue: $0.rawValue) }
        return .ok(
            .init(
                body: .json(
                    try await orchestrator.search(input.query.searchBy, state: state, page: Int(input.query.page)))))
    }

    func getPlan(_ input: Operations.GetPlan.Input) async throws -> Operations.GetPlan.Output {
        .ok(.init(body: .json(Self.answer(try await orchestrator.existingPlan(input.path.datasetId)))))
    }

    func getPlanDot(_ input: Operations.GetPlanDot.Input) async throws -> Operations.GetPlanDot.Output {
        let plan = try await orchestrator.existingPlan(input.path.datasetId).plan
        return .ok(.init(body: .textVnd_graphviz(HTTPBody(PlanDOT.render(plan)))))
    }

    func pausePlan(_ input: Operations.PausePlan.Input) async throws -> Operations.PausePlan.Output {
        .ok(try await mutate(.pause, on: input.path.datasetId, prefer: input.headers.prefer))
    }

    func unpausePlan(_ input: Operations.UnpausePlan.Input) async throws -> Operations.UnpausePlan.Output {
        .ok(try await mutate(.unpause, on: input.path.datasetId, prefer: input.headers.prefer))
    }

    func pausePlanAlias(_ input: Operations.PausePlanAlias.Input) async throws -> Operations.PausePlanAlias.Output {
        .ok(try await mutate(.pause, on: input.path.datasetId, prefer: input.headers.prefer))
    }

    func unpausePlanAlias(_ input: Operations.UnpausePlanAlias.Input) async throws
        -> Operations.UnpausePlanAlias.Output
    {
        .ok(try await mutate(.unpause, on: input.path.datasetId, prefer: input.headers.prefer))
    }

    func getDataProduct(_ input: Operations.GetDataProduct.Input) async throws -> Operations.GetDataProduct.Output {
        .ok(
            .init(
                body: .json(
                    try await orchestrator.existingProduct(input.path.datasetId, input.path.dataProductId).product)))
    }

    func getRuns(_ input: Operations.GetRuns.Input) async throws -> Operations.GetRuns.Output {
        let (datasetID, product) = try await orchestrator.existingProduct(
            input.path.datasetId, input.path.dataProductId)
        return .ok(.init(body: .json(try await runs.runs(datasetID, product.id))))
    }

    func updateStates(_ input: Operations.UpdateStates.Input) async throws -> Operations.UpdateStates.Output {
        guard case .json(let updates) = input.body else { throw APIError.badRequest("A JSON request body is required") }
        return .ok(try await mutate(.update(updates), on: input.path.datasetId, prefer: input.headers.prefer))
    }

    func updateStatesAlias(_ input: Operations.UpdateStatesAlias.Input) async throws
        -> Operations.UpdateStatesAlias.Output
    {
        guard case .json(let updates) = input.body else { throw APIError.badRequest("A JSON request body is required") }
        return .ok(try await mutate(.update(updates), on: input.path.datasetId, prefer: input.headers.prefer))
    }

    func clearProducts(_ input: Operations.ClearProducts.Input) async throws -> Operations.ClearProducts.Output {
        guard case .json(let ids) = input.body else { throw APIError.badRequest("A JSON request body is required") }
        return .ok(try await mutate(.clear(ids), on: input.path.datasetId, prefer: input.headers.prefer))
    }

    func clearProductsAlias(_ input: Operations.ClearProductsAlias.Input) async throws
        -> Operations.ClearProductsAlias.Output
    {
        guard case .json(let ids) = input.body else { throw APIError.badRequest("A JSON request body is required") }
        return .ok(try await mutate(.clear(ids), on: input.path.datasetId, prefer: input.headers.prefer))
    }

    func triggerProducts(_ input: Operations.TriggerProducts.Input) async throws -> Operations.TriggerProducts.Output {
        guard case .json(let ids) = input.body else { throw APIError.badRequest("A JSON request body is required") }
        return .ok(try await mutate(.trigger(ids), on: input.path.datasetId, prefer: input.headers.prefer))
    }

    func disableProducts(_ input: Operations.DisableProducts.Input) async throws -> Operations.DisableProducts.Output {
        guard case .json(let ids) = input.body else { throw APIError.badRequest("A JSON request body is required") }
        return .ok(try await mutate(.disable(ids), on: input.path.datasetId, prefer: input.headers.prefer))
    }

    func disableProductsPutAlias(_ input: Operations.DisableProductsPutAlias.Input) async throws
        -> Operations.DisableProductsPutAlias.Output
    {
        guard case .json(let ids) = input.body else { throw APIError.badRequest("A JSON request body is required") }
        return .ok(try await mutate(.disable(ids), on: input.path.datasetId, prefer: input.headers.prefer))
    }

    func disableProductsDeleteAlias(_ input: Operations.DisableProductsDeleteAlias.Input) async throws
        -> Operations.DisableProductsDeleteAlias.Output
    {
        guard case .json(let ids) = input.body else { throw APIError.badRequest("A JSON request body is required") }
        return .ok(try await mutate(.disable(ids), on: input.path.datasetId, prefer: input.headers.prefer))
    }

    // MARK: - One path for every mutation

    private func mutate(_ command: Command, on datasetID: String, prefer: String?) async throws
        -> Components.Responses.Mutation
    {
        try await mutate(command, on: try APIError.uuid(datasetID, field: "dataset_id"), prefer: prefer)
    }

    /// Runs `command` as the authenticated service and shapes the answer per `Prefer`.
    private func mutate(_ command: Command, on datasetID: UUID, prefer: String?) async throws
        -> Components.Responses.Mutation
    {
        // Fails closed: a mutation the document left without a role never gets this far
        // (`AccessRules`), and one that did is refused rather than run anonymously.
        guard case .service(let actor) = Caller.current else {
            throw APIError.unauthorized("This operation needs a service's bearer token")
        }
        let outcome = try await orchestrator.execute(command, on: datasetID, by: actor)
        MemoryRelease.afterCommand(changingRows: outcome.changes.count)
        let minimal = prefer?.split(separator: ",").contains { $0.trimmingBlanks == "return=minimal" }
        let body: MutationBody =
            minimal == true
            ? Self.minimalAnswer(version: outcome.version, changes: outcome.changes) : .plan(Self.answer(outcome.state))
        return .init(body: .json(body))
    }

    /// The minimal answer: a placeholder when `PlanResponseMiddleware` writes it, else itself.
    private static func minimalAnswer(version: Int64, changes: [DataProduct]) -> MutationBody {
        guard PlanResponseMiddleware.offer(version: version, changes: changes) else {
            return .minimal(version: version, changes: changes)
        }
        return .minimal(version: version, changes: [])
    }

    /// The plan to answer with: a placeholder when `PlanResponseMiddleware` writes the plan's
    /// cached JSON instead, else the plan itself.
    private static func answer(_ state: PlanState) -> Plan {
        guard PlanResponseMiddleware.offer(state.json) else { return state.plan }
        return Plan(dataset: state.dataset, dataProducts: [], dependencies: [])
    }
}
