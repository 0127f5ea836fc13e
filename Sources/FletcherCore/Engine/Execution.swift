import Foundation

/// The plan as one command sees it while it runs: the stored plan plus the rows changed so far.
///
/// Nothing is copied: reads fall through to the stored plan unless this command has already
/// changed the row, so a command costs what it touches, not what the plan holds.
struct Execution {
    private let base: [DataProduct]
    private(set) var graph: PlanGraph
    private(set) var delta = PlanDelta()
    private(set) var dataset: Dataset
    let context: EngineContext

    init(plan: PlanState, context: EngineContext) {
        self.base = plan.products
        self.graph = plan.graph
        self.dataset = plan.dataset
        self.context = context
    }

    /// A command that starts from a plan not yet merged into `graph` (a post).
    init(base: [DataProduct], graph: PlanGraph, dataset: Dataset, context: EngineContext) {
        self.base = base
        self.graph = graph
        self.dataset = dataset
        self.context = context
    }

    var count: Int { graph.count }

    func product(_ position: Int) -> DataProduct {
        delta.products[position] ?? base[position]
    }

    func state(_ position: Int) -> State {
        product(position).state
    }

    func isActive(_ position: Int) -> Bool {
        state(position) != .disabled
    }

    /// Records a changed row, stamped with this request's actor and time.
    mutating func set(_ position: Int, _ product: DataProduct) {
        var product = product
        product.modifiedBy = context.actor
        product.modifiedDate = context.now
        delta.products[position] = product
    }

    mutating func modify(_ position: Int, _ change: (inout DataProduct) -> Void) {
        var row = product(position)
        change(&row)
        set(position, row)
    }

    mutating func setDataset(_ change: (inout Dataset) -> Void) {
        change(&dataset)
        dataset.modifiedBy = context.actor
        dataset.modifiedDate = context.now
        delta.dataset = dataset
    }

    mutating func replaceGraph(_ graph: PlanGraph) {
        self.graph = graph
        delta.graph = graph
    }

    mutating func setDependency(_ position: Int, _ dependency: Dependency) {
        var dependency = dependency
        dependency.modifiedBy = context.actor
        dependency.modifiedDate = context.now
        delta.dependencies[position] = dependency
    }

    /// Room for the rows a command is about to set (a big post's would otherwise grow the
    /// delta's tables a dozen times over).
    mutating func reserve(products: Int, dependencies: Int) {
        delta.products.reserveCapacity(products)
        delta.dependencies.reserveCapacity(dependencies)
    }

    mutating func markCreatesDataset() { delta.createsDataset = true }
    mutating func markStale() { delta.stale = true }

    /// Looks a product up for an operation that names it: 404 when unknown, 403 when disabled.
    func activePosition(of id: UUID) throws(CommandError) -> Int {
        guard let position = graph.position(of: id) else { throw .productNotFound(id) }
        guard isActive(position) else { throw .locked(id) }
        return position
    }

    // MARK: - Shared rules

    /// Downstream reset (`docs/concepts.md` §3.3 step 3): every active descendant of `seeds` that is not already
    /// `waiting` becomes `waiting`, keeping its run fields.
    mutating func resetDescendants(of seeds: some Sequence<Int>) {
        for position in graph.descendants(of: seeds, isActive: { isActive($0) }) where state(position) != .waiting {
            modify(position) { $0.state = .waiting }
        }
    }

    /// The trigger rule (`docs/concepts.md` §3.1) over the products whose readiness this command can have changed:
    /// the rows it changed and their children.
    mutating func triggerAffected() {
        var candidates = Set(delta.products.keys)
        for position in delta.products.keys {
            candidates.formUnion(graph.children(of: position).lazy.map(Int.init))
        }
        trigger(candidates: candidates)
    }

    /// The trigger rule over every product: after a post (the graph changed) or an unpause.
    mutating func triggerAll() {
        trigger(candidates: 0..<count)
    }

    /// One pass: readiness is decided on the state before this pass, and a product queued now is
    /// not `success`, so queueing one never makes another ready.
    private mutating func trigger(candidates: some Sequence<Int>) {
        guard !dataset.paused else { return }
        let ready = candidates.filter { isReady($0) }.sorted()
        for position in ready { queue(position) }
        delta.queued = ready
    }

    /// Moves a product to `queued`. Where an adapter dispatches its compute type the product gets
    /// a fresh `run_id` for the new attempt; otherwise its run fields stay (**compat**).
    mutating func queue(_ position: Int) {
        let context = context
        modify(position) { product in
            product.state = .queued
            if context.dispatching.contains(product.compute) {
                product.runID = context.newRunID()
            }
        }
    }

    func isReady(_ position: Int) -> Bool {
        let row = product(position)
        return row.state == .waiting && row.eager && parentsSucceeded(position)
    }

    /// True when every active parent is `success` (a product without active parents qualifies).
    func parentsSucceeded(_ position: Int) -> Bool {
        graph.parents(of: position).allSatisfy { parent in
            let state = state(Int(parent))
            return state == .success || state == .disabled
        }
    }
}
