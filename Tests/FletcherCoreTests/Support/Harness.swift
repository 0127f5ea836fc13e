import FletcherCore
import Foundation
import Testing

/// Names products by letters in tests and runs commands through the engine the way the
/// orchestrator does: execute, then apply the delta to the plan.
struct Harness {
    let datasetID = UUID()
    private(set) var ids: [String: UUID] = [:]
    private(set) var state: PlanState?
    var dispatching: Set<Compute> = []
    var actor = "tester"
    private var tick: Int64 = 1_764_000_000_000_001
    private(set) var issuedRunIDs: [UUID] = []
    /// What the last command did to attempts (`RunLedger`), as the orchestrator would record it.
    private(set) var lastRuns = RunChanges()

    mutating func id(_ name: String) -> UUID {
        if let id = ids[name] { return id }
        let id = UUID()
        ids[name] = id
        return id
    }

    /// A product param; `eager` defaults to true as most rules concern eager products.
    mutating func product(
        _ name: String, eager: Bool = true, compute: Compute = .cams, passthrough: JSONValue? = nil
    ) -> DataProductParam {
        DataProductParam(
            id: id(name), compute: compute, name: name, version: "1.0", eager: eager, passthrough: passthrough)
    }

    mutating func plan(_ products: [DataProductParam], _ edges: [(String, String)] = [], extra: JSONValue? = nil)
        -> PlanParam
    {
        PlanParam(
            dataset: DatasetParam(id: datasetID, extra: extra), dataProducts: products,
            dependencies: edges.map { DependencyParam(parentID: id($0.0), childID: id($0.1)) })
    }

    /// Posts a plan of eager products named in `names` with the given edges.
    @discardableResult
    mutating func post(_ names: [String], _ edges: [(String, String)] = []) throws(CommandError) -> PlanDelta {
        var products: [DataProductParam] = []
        for name in names { products.append(product(name)) }
        return try run(.post(plan(products, edges)))
    }

    @discardableResult
    mutating func run(_ command: Command) throws(CommandError) -> PlanDelta {
        tick += 1_001
        let runIDs = RunIDs()
        let context = EngineContext(
            actor: actor, now: Timestamp(microsecondsSinceEpoch: tick),
            platforms: PlatformCatalog(Compute.testPlatforms, dispatching: dispatching), newRunID: { runIDs.next() })
        let delta = try Engine.execute(command, datasetID: datasetID, on: state, context: context)
        issuedRunIDs += runIDs.issued
        lastRuns = RunLedger.changes(of: command, from: state, to: delta, dispatching: dispatching)
        if !delta.isEmpty {
            let version = (state?.version ?? 0) + 1
            var next =
                state ?? PlanState(plan: Plan(dataset: delta.dataset!, dataProducts: [], dependencies: []), version: 0)
            next.apply(delta, version: version)
            state = next
        }
        return delta
    }

    /// Runs a command expected to be refused and returns the error.
    mutating func refusal(_ command: Command) -> CommandError? {
        do {
            try run(command)
            return nil
        } catch {
            return error
        }
    }

    mutating func update(_ entries: (String, State)...) throws(CommandError) {
        var params: [StateParam] = []
        for (name, state) in entries { params.append(StateParam(id: id(name), state: state)) }
        try run(.update(params))
    }

    func product(named name: String) -> DataProduct {
        state!.products.first { $0.id == ids[name] }!
    }

    func state(_ name: String) -> State {
        product(named: name).state
    }

    /// States of the named products, for compact assertions.
    func states(_ names: String...) -> [State] {
        names.map(state)
    }

    func names(of positions: [Int]) -> [String] {
        positions.map { position in
            let id = state!.products[position].id
            return ids.first { $0.value == id }!.key
        }.sorted()
    }
}

/// Hands out run ids and remembers them, so tests can check which attempt got which id.
final class RunIDs: @unchecked Sendable {
    private let lock = NSLock()
    private var ids: [UUID] = []

    func next() -> UUID {
        let id = UUID()
        lock.withLock { ids.append(id) }
        return id
    }

    var issued: [UUID] { lock.withLock { ids } }
}

extension CommandError {
    static func expect(_ kind: Kind, _ message: String) -> CommandError { CommandError(kind, message) }
}

extension UUID {
    var text: String { lowercasedString }
}

extension Compute {
    static let cams = Compute(rawValue: "cams")!
    static let dbxaas = Compute(rawValue: "dbxaas")!
    /// A platform whose products need `passthrough.queue`, a string, while dispatched: the core
    /// applies a plugin's rule without knowing what it checks.
    static let strict = Compute(rawValue: "strict")!

    static let testPlatforms = [
        PlatformRules(compute: .cams, displayName: "C-AMS"), PlatformRules(compute: .dbxaas, displayName: "DBXaaS"),
        PlatformRules(
            compute: .strict, displayName: "Strict",
            checkPassthrough: { passthrough in
                guard case .string = passthrough?["queue"] else {
                    return PassthroughProblem(field: "queue", "must be a string")
                }
                return nil
            }),
    ]
}
