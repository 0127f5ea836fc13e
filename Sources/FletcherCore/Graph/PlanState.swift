import Foundation

/// A stored plan together with its graph and version: what the orchestrator caches per dataset.
public struct PlanState: Sendable {
    public private(set) var dataset: Dataset
    public private(set) var products: [DataProduct]
    public private(set) var dependencies: [Dependency]
    public private(set) var graph: PlanGraph
    /// Incremented by every committed change; the cache is valid only while it matches the store.
    public private(set) var version: Int64
    /// The plan's JSON, one encoding per row: kept in step with the rows of a big plan, so that
    /// answering it costs what changed; encoded when asked for a small one, where keeping it would
    /// more than double what the cache holds for the plan (`docs/architecture.md`, Plan cache).
    public var json: PlanJSON { keptJSON ?? PlanJSON(plan) }
    /// The JSON kept with the rows: `nil` below `keptJSONProducts` products.
    public private(set) var keptJSON: PlanJSON?
    /// From this many products a plan keeps its JSON. Below it, a whole-plan answer encodes the
    /// plan each time (P9's 12-product update with the whole plan answered measured no slower).
    public static let keptJSONProducts = 100
    /// How many products are in each state, kept in step with the rows.
    public private(set) var counts: [State: Int]

    /// Builds the graph of a plan read from a store. Dependencies must name products of the plan.
    public init(plan: Plan, version: Int64) {
        self.dataset = plan.dataset
        self.products = plan.dataProducts
        self.dependencies = plan.dependencies
        self.version = version
        self.graph = PlanGraph.of(products: plan.dataProducts, dependencies: plan.dependencies)
        self.keptJSON = plan.dataProducts.count >= Self.keptJSONProducts ? PlanJSON(plan) : nil
        self.counts = plan.dataProducts.reduce(into: [:]) { $0[$1.state, default: 0] += 1 }
    }

    public var plan: Plan {
        Plan(dataset: dataset, dataProducts: products, dependencies: dependencies)
    }

    /// How many products will be in each state once `delta` is applied, in O(size of the delta).
    public func counts(after delta: PlanDelta) -> [State: Int] {
        var counts = self.counts
        for (position, product) in delta.products {
            if position < products.count { counts[products[position].state, default: 0] -= 1 }
            counts[product.state, default: 0] += 1
        }
        return counts
    }

    /// Applies a committed delta in place (O(size of the delta) unless the graph was replaced).
    public mutating func apply(_ delta: PlanDelta, version: Int64) {
        if let dataset = delta.dataset { self.dataset = dataset }
        counts = counts(after: delta)
        products.place(delta.products) { $0 }
        dependencies.place(delta.dependencies) { $0 }
        if let graph = delta.graph { self.graph = graph }
        if keptJSON != nil {
            keptJSON?.apply(delta)
        } else if products.count >= Self.keptJSONProducts {
            keptJSON = PlanJSON(plan)
        }
        self.version = version
    }
}

extension Array {
    /// Writes each of `rows` at its position: over the row there, or appended where the position
    /// is the end (a delta's positions past the end follow on from it). Room for the appended rows
    /// is reserved exactly: a cached plan lives long, and growing it by doubling as rows are
    /// appended would leave up to half of it unused.
    mutating func place<Row>(_ rows: [Int: Row], as element: (Row) -> Element) {
        let added = rows.keys.reduce(0) { $1 >= count ? $0 + 1 : $0 }
        if added > 0 { reserveCapacity(count + added) }
        for position in rows.keys.sorted() {
            let row = element(rows[position]!)
            if position < count {
                self[position] = row
            } else {
                precondition(position == count, "a delta skips a row position")
                append(row)
            }
        }
    }
}

extension PlanGraph {
    static func of(products: [DataProduct], dependencies: [Dependency]) -> PlanGraph {
        let ids = products.map(\.id)
        var positions = [UUID: Int](minimumCapacity: ids.count)
        for (position, id) in ids.enumerated() { positions[id] = position }
        let edges = dependencies.compactMap { dependency -> (parent: Int, child: Int)? in
            guard let parent = positions[dependency.parentID], let child = positions[dependency.childID] else {
                return nil
            }
            return (parent, child)
        }
        return PlanGraph(ids: ids, edges: edges)
    }
}

/// The rows one command changes: what the store writes and the cache applies.
public struct PlanDelta: Sendable {
    /// The dataset row after the command, when it changed.
    public var dataset: Dataset?
    /// True when the command creates the dataset (a first post).
    public var createsDataset = false
    /// Changed product rows by position; positions at or past the stored count are new products.
    public var products: [Int: DataProduct] = [:]
    /// Changed dependency rows by position; positions at or past the stored count are new edges.
    public var dependencies: [Int: Dependency] = [:]
    /// The new graph, when the command changed the plan's structure (a post).
    public var graph: PlanGraph?
    /// Positions of the products this command moved into `queued`, ascending.
    public var queued: [Int] = []
    /// True when the command was an adapter report that no longer applies (`docs/concepts.md` §3.8).
    public var stale = false

    public init() {}

    public var isEmpty: Bool { dataset == nil && products.isEmpty && dependencies.isEmpty }

    /// Folds a later delta of the same plan into this one (the later row wins), so several
    /// commands can be written as one change.
    public mutating func merge(_ later: PlanDelta) {
        if let dataset = later.dataset { self.dataset = dataset }
        createsDataset = createsDataset || later.createsDataset
        products.merge(later.products) { _, newer in newer }
        dependencies.merge(later.dependencies) { _, newer in newer }
        if let graph = later.graph { self.graph = graph }
        queued = Array(Set(queued).union(later.queued)).sorted()
        stale = stale && later.stale
    }

    /// The changed products in position order, as `(position, row)`. Sorts the positions, not
    /// the rows: a first post changes every product, and moving rows costs far more than ints.
    public var changedProducts: [(position: Int, product: DataProduct)] {
        products.keys.sorted().map { ($0, products[$0]!) }
    }

    /// The changed dependencies in position order, as `(position, row)`.
    public var changedDependencies: [(position: Int, dependency: Dependency)] {
        dependencies.keys.sorted().map { ($0, dependencies[$0]!) }
    }
}
