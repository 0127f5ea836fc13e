import Foundation

/// Posting a plan (`docs/concepts.md` §3.2): validate, merge into what is stored, trigger.
enum PlanMerge {
    static func post(_ param: PlanParam, onto stored: PlanState?, context: EngineContext) throws(CommandError)
        -> PlanDelta
    {
        try Validation.check(param, platforms: context.platforms)
        try checkDuplicates(param)
        let storedProducts = stored?.products ?? []
        let storedGraph = stored?.graph ?? PlanGraph(ids: [], edges: [])
        try checkKnown(param, storedProducts: storedProducts, storedGraph: storedGraph)

        // Positions: stored products keep theirs; new ones are appended in request order.
        var products = storedProducts
        var positionByID = [UUID: Int](minimumCapacity: storedProducts.count + param.dataProducts.count)
        for (position, product) in storedProducts.enumerated() { positionByID[product.id] = position }
        var mergedRows: [(Int, DataProduct)] = []
        for incoming in param.dataProducts {
            let position = positionByID[incoming.id] ?? products.count
            let merged = merge(incoming, into: position < products.count ? products[position] : nil, context: context)
            if position == products.count {
                positionByID[incoming.id] = position
                products.append(merged)
            } else {
                products[position] = merged
            }
            mergedRows.append((position, merged))
        }

        var dependencies = stored?.dependencies ?? []
        var dependencyPosition = [Edge: Int](minimumCapacity: dependencies.count + param.dependencies.count)
        for (position, dependency) in dependencies.enumerated() { dependencyPosition[dependency.edge] = position }
        var dependencyRows: [(Int, Dependency)] = []
        for incoming in param.dependencies {
            let row = Dependency(
                parentID: incoming.parentID, childID: incoming.childID, extra: incoming.extra,
                modifiedBy: context.actor, modifiedDate: context.now)
            let position = dependencyPosition[incoming.edge] ?? dependencies.count
            if position == dependencies.count {
                dependencyPosition[incoming.edge] = position
                dependencies.append(row)
            } else {
                dependencies[position] = row
            }
            dependencyRows.append((position, row))
        }

        let graph = PlanGraph(
            ids: products.map(\.id),
            edges: dependencies.map { (positionByID[$0.parentID]!, positionByID[$0.childID]!) })
        // Disabled products (stored ones stay disabled when re-posted) are invisible to the cycle check.
        guard !graph.hasCycle(isActive: { products[$0].state != .disabled }) else { throw .cyclical }

        let dataset =
            stored?.dataset
            ?? Dataset(
                id: param.dataset.id, paused: false, extra: nil, modifiedBy: context.actor, modifiedDate: context.now)
        var execution = Execution(base: products, graph: graph, dataset: dataset, context: context)
        execution.replaceGraph(graph)
        if stored == nil { execution.markCreatesDataset() }
        execution.reserve(products: mergedRows.count, dependencies: dependencyRows.count)
        execution.setDataset { $0.extra = param.dataset.extra }
        for (position, row) in mergedRows { execution.set(position, row) }
        for (position, row) in dependencyRows { execution.setDependency(position, row) }
        execution.triggerAll()
        return execution.delta
    }

    /// Definition fields are replaced; progress (state and run fields) is kept, so re-posting never
    /// resets a run nor re-enables a disabled product.
    private static func merge(_ incoming: DataProductParam, into existing: DataProduct?, context: EngineContext)
        -> DataProduct
    {
        DataProduct(
            id: incoming.id, compute: incoming.compute, name: incoming.name, version: incoming.version,
            eager: incoming.eager, passthrough: incoming.passthrough, state: existing?.state ?? .waiting,
            runID: existing?.runID, link: existing?.link, passback: existing?.passback, extra: incoming.extra,
            modifiedBy: context.actor, modifiedDate: context.now)
    }

    /// Steps 1 and 2 of `docs/concepts.md` §3.2.
    private static func checkDuplicates(_ param: PlanParam) throws(CommandError) {
        var ids = Set<UUID>(minimumCapacity: param.dataProducts.count)
        for product in param.dataProducts where !ids.insert(product.id).inserted {
            throw .duplicateProduct(product.id)
        }
        var edges = Set<Edge>(minimumCapacity: param.dependencies.count)
        for dependency in param.dependencies where !edges.insert(dependency.edge).inserted {
            throw .duplicateDependency(dependency.edge)
        }
    }

    /// Step 3 of `docs/concepts.md` §3.2: every parent (all of them first, in list order), then every child, must be
    /// in the request or stored and not disabled.
    private static func checkKnown(_ param: PlanParam, storedProducts: [DataProduct], storedGraph: PlanGraph)
        throws(CommandError)
    {
        let requested = Set(param.dataProducts.map(\.id))
        func isKnown(_ id: UUID) -> Bool {
            if requested.contains(id) { return true }
            guard let position = storedGraph.position(of: id) else { return false }
            return storedProducts[position].state != .disabled
        }
        for dependency in param.dependencies where !isKnown(dependency.parentID) {
            throw .productNotFound(dependency.parentID)
        }
        for dependency in param.dependencies where !isKnown(dependency.childID) {
            throw .productNotFound(dependency.childID)
        }
    }
}
