import Foundation

/// Bringing a plan stored elsewhere (the Rust service's database) into a store unchanged: ids,
/// states, run ids and timestamps as they were, so the API answers what the old service answered.
///
/// An imported plan is written as it is, not run through the engine: products that were
/// `queued` or `running` keep their state, and no attempt is recorded for them, so nothing is
/// dispatched (their platform may still be running them; an operator clears them to re-run).
public enum PlanImport {
    public enum Outcome: Equatable, Sendable {
        case imported
        /// The dataset is in the store already: left as it is, never overwritten.
        case alreadyPresent
    }

    /// A graph Fletcher would never have stored, so it does not import it.
    public enum Problem: Error, Equatable, Sendable, CustomStringConvertible {
        case danglingDependency(parent: UUID, child: UUID)
        case selfDependency(UUID)
        case cycle

        public var description: String {
            switch self {
            case .danglingDependency(let parent, let child):
                "dependency \(parent.lowercasedString) → \(child.lowercasedString) names a data product the dataset does not have"
            case .selfDependency(let id): "data product \(id.lowercasedString) depends on itself"
            case .cycle: "its dependencies have a cycle"
            }
        }
    }

    /// Why the plan cannot be imported, or nil.
    public static func problem(in plan: Plan) -> Problem? {
        var positions: [UUID: Int] = [:]
        for (position, product) in plan.dataProducts.enumerated() { positions[product.id] = position }
        var edges: [(parent: Int, child: Int)] = []
        for dependency in plan.dependencies {
            guard let parent = positions[dependency.parentID], let child = positions[dependency.childID] else {
                return .danglingDependency(parent: dependency.parentID, child: dependency.childID)
            }
            if parent == child { return .selfDependency(dependency.parentID) }
            edges.append((parent, child))
        }
        let graph = PlanGraph(ids: plan.dataProducts.map(\.id), edges: edges)
        // The rule of a post: disabled products are invisible to the cycle check.
        return graph.hasCycle(isActive: { plan.dataProducts[$0].state != .disabled }) ? .cycle : nil
    }

    /// Whether the dataset is in `store` already.
    public static func isPresent(_ datasetID: UUID, in store: any PlanStore) async throws -> Bool {
        try await store.version(of: datasetID) != nil
    }

    /// Writes `plan` as version 1 of its dataset in one transaction, unless the dataset exists.
    /// The caller has checked it with `problem(in:)`.
    public static func write(_ plan: Plan, into store: any PlanStore) async throws -> Outcome {
        var delta = PlanDelta()
        delta.dataset = plan.dataset
        delta.createsDataset = true
        for (position, product) in plan.dataProducts.enumerated() { delta.products[position] = product }
        for (position, dependency) in plan.dependencies.enumerated() { delta.dependencies[position] = dependency }
        // The search lists plans by their latest change: the latest of what is imported.
        let lastModified =
            ([plan.dataset.modifiedDate] + plan.dataProducts.map(\.modifiedDate)
            + plan.dependencies.map(\.modifiedDate)).max()!
        let datasetID = plan.dataset.id
        let counts = plan.dataProducts.reduce(into: [State: Int]()) { $0[$1.state, default: 0] += 1 }
        return try await store.withLockedDataset(datasetID) { [delta] transaction in
            guard transaction.storedVersion == nil else { return .alreadyPresent }
            try transaction.write(delta, datasetID: datasetID, version: 1, counts: counts, at: lastModified)
            return .imported
        }
    }
}
