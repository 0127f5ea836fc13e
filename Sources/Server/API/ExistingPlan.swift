import FletcherCore
import Foundation

/// What a path names, looked up for the API and the pages alike: 400 for a malformed id, 404
/// naming what does not exist.
extension Orchestrator {
    func existingPlan(_ datasetText: String) async throws -> PlanState {
        let id = try APIError.uuid(datasetText, field: "dataset_id")
        guard let plan = try await currentPlan(id) else { throw CommandError.datasetNotFound(id) }
        return plan
    }

    func existingProduct(_ datasetText: String, _ productText: String) async throws
        -> (datasetID: UUID, product: DataProduct)
    {
        let datasetID = try APIError.uuid(datasetText, field: "dataset_id")
        let productID = try APIError.uuid(productText, field: "data_product_id")
        guard let product = try await dataProduct(datasetID, productID) else {
            guard try await plan(datasetID) != nil else { throw CommandError.datasetNotFound(datasetID) }
            throw CommandError.productNotFound(productID)
        }
        return (datasetID, product)
    }
}
