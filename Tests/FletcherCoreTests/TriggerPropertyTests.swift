import FletcherCore
import FletcherTestSupport
import Foundation
import Testing

/// Random DAGs of up to 200 products under random operation sequences: after every operation
/// the engine's plan equals the reference model's, its queued set equals a full re-evaluation,
/// nothing became `queued` that the rules did not queue, the JSON kept per row is what
/// `JSONEncoder` writes for the whole plan, and the kept state counts are the plan's.
@Suite("Trigger rule properties")
struct TriggerPropertyTests {
    @Test(arguments: 0..<24)
    func incrementalEqualsFullReevaluation(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed &* 7919 &+ 17)
        var h = Harness()
        h.dispatching = Bool.random(using: &random) ? [.cams] : []
        var model = ReferenceModel()

        let size = Int.random(in: 1...200, using: &random)
        let initial = try addProducts(size, to: &h, model: &model, random: &random)
        #expect(initial != nil, "seed \(seed): the initial DAG is acyclic")

        for step in 0..<60 {
            let before = h.state!.products.map(\.state)
            let (delta, expectedQueued) = try apply(randomOperation(&random, model: model, h: h), &h, &model, &random)
            let after = h.state!.products.map(\.state)
            #expect(after == model.states, "seed \(seed) step \(step): engine and model disagree")
            let queued = Set(delta?.queued ?? [])
            #expect(queued == expectedQueued, "seed \(seed) step \(step): queued set differs from full re-evaluation")
            let became = after.indices.filter { after[$0] == .queued && ($0 >= before.count || before[$0] != .queued) }
            for position in became {
                #expect(queued.contains(position), "seed \(seed) step \(step): \(position) became queued unannounced")
            }
            let kept = h.state!.json.bytes == (try PlanJSONTests.encoderBytes(h.state!.plan))
            #expect(kept, "seed \(seed) step \(step): the kept JSON differs from the plan's encoding")
            let counted = Dictionary(grouping: after, by: { $0 }).mapValues(\.count)
            #expect(h.state!.counts.filter { $0.value != 0 } == counted, "seed \(seed) step \(step): kept counts")
        }
    }

    enum Operation {
        case update([(Int, State)])
        case clear([Int])
        case disable(Int)
        case togglePause
        case trigger(Int)
        case report(Int, live: Bool, State)
        case grow(Int)
    }

    private func randomOperation(_ random: inout SeededGenerator, model: ReferenceModel, h: Harness) -> Operation {
        let active = model.states.indices.filter(model.isActive)
        guard !active.isEmpty else { return .grow(Int.random(in: 1...3, using: &random)) }
        func pick() -> Int { active.randomElement(using: &random)! }
        switch Int.random(in: 0..<100, using: &random) {
        case 0..<40:
            let count = Int.random(in: 1...3, using: &random)
            return .update(
                (0..<count).map { _ in
                    (pick(), [State.success, .success, .running, .failed].randomElement(using: &random)!)
                })
        case 40..<52: return .clear((0..<Int.random(in: 1...2, using: &random)).map { _ in pick() })
        case 52..<57: return .disable(pick())
        case 57..<65: return .togglePause
        case 65..<75: return .trigger(pick())
        case 75..<92:
            return .report(
                pick(), live: Int.random(in: 0..<4, using: &random) > 0,
                [State.running, .success, .failed, .queued].randomElement(using: &random)!)
        default: return .grow(Int.random(in: 1...3, using: &random))
        }
    }

    private func apply(
        _ operation: Operation, _ h: inout Harness, _ model: inout ReferenceModel, _ random: inout SeededGenerator
    ) throws -> (PlanDelta?, Set<Int>) {
        let ids = h.state!.products.map(\.id)
        switch operation {
        case .update(let entries):
            let delta = try h.run(.update(entries.map { StateParam(id: ids[$0.0], state: $0.1) }))
            for (node, state) in entries { model.states[node] = state }
            model.resetDescendants(entries.map(\.0))
            return (delta, model.triggerAll())
        case .clear(let nodes):
            let delta = try h.run(.clear(nodes.map { ids[$0] }))
            for node in nodes { model.states[node] = .waiting }
            model.resetDescendants(nodes)
            return (delta, model.triggerAll())
        case .disable(let node):
            let delta = try h.run(.disable([ids[node]]))
            model.states[node] = .disabled
            return (delta, model.triggerAll())
        case .togglePause:
            let delta = try h.run(model.paused ? .unpause : .pause)
            model.paused.toggle()
            return (delta, model.triggerAll())
        case .trigger(let node):
            let allowed =
                !model.paused && model.states[node] == .waiting
                && model.activeParents(node).allSatisfy { model.states[$0] == .success }
            guard allowed else {
                #expect(h.refusal(.trigger([ids[node]]))?.status == 409)
                return (nil, [])
            }
            model.states[node] = .queued
            return (try h.run(.trigger([ids[node]])), [node])
        case .report(let node, let live, let state):
            let product = h.state!.products[node]
            let runID = live ? (product.runID ?? UUID()) : UUID()
            let delta = try h.run(.report(RunReport(dataProductID: product.id, runID: runID, state: state)))
            let applies =
                [.queued, .running].contains(model.states[node]) && product.runID == runID
                && model.states[node] != state
            guard applies else {
                #expect(delta.isEmpty)
                return (delta, [])
            }
            model.states[node] = state
            model.resetDescendants([node])
            return (delta, model.triggerAll())
        case .grow(let count):
            let delta = try addProducts(count, to: &h, model: &model, random: &random)
            return (delta, delta == nil ? [] : model.lastQueued)
        }
    }

    /// Posts `count` new products with random edges from existing ones (some posts close a cycle
    /// through re-posted edges and must be refused by engine and model alike).
    private func addProducts(
        _ count: Int, to h: inout Harness, model: inout ReferenceModel, random: inout SeededGenerator
    ) throws -> PlanDelta? {
        let start = model.states.count
        var products: [DataProductParam] = []
        var newEdges: [(parent: Int, child: Int)] = []
        for offset in 0..<count {
            let node = start + offset
            let eager = Int.random(in: 0..<10, using: &random) < 8
            let compute: Compute = Bool.random(using: &random) ? .cams : .dbxaas
            let passthrough = Int.random(in: 0..<3, using: &random) == 0 ? RandomJSON.value(&random) : nil
            products.append(h.product("n\(node)", eager: eager, compute: compute, passthrough: passthrough))
            for _ in 0..<Int.random(in: 0...3, using: &random) where node > 0 {
                let parent = Int.random(in: 0..<node, using: &random)
                if !newEdges.contains(where: { $0 == (parent, node) }) { newEdges.append((parent, node)) }
            }
        }
        // Occasionally an edge back from a new product to an old one: may close a cycle.
        if start > 0, Int.random(in: 0..<4, using: &random) == 0 {
            let parent = start + count - 1
            let child = Int.random(in: 0..<start, using: &random)
            if !model.edges.contains(where: { $0 == (parent, child) }) { newEdges.append((parent, child)) }
        }
        // Names of stored products are known to the harness; new ones are created by `product`.
        var names: [Int: String] = [:]
        for node in 0..<(start + count) { names[node] = "n\(node)" }
        let extra = Bool.random(using: &random) ? RandomJSON.value(&random) : nil
        let plan = h.plan(products, newEdges.map { (names[$0.parent]!, names[$0.child]!) }, extra: extra)

        var candidate = model
        candidate.eager += products.map(\.eager)
        candidate.states += Array(repeating: .waiting, count: count)
        // A stored disabled product is unknown to a post (404), checked before cycles (422).
        let unknown = newEdges.contains { !candidate.isActive($0.parent) || !candidate.isActive($0.child) }
        let cyclic = !unknown && candidate.hasCycle(with: newEdges)
        let delta: PlanDelta?
        do {
            delta = try h.run(.post(plan))
            #expect(!unknown && !cyclic, "post accepted what the model refuses")
        } catch {
            #expect(error.status == (unknown ? 404 : 422), "post validation disagrees")
            delta = nil
        }
        guard !unknown, !cyclic else { return nil }
        // Edges into a disabled product are invisible but stored; the model keeps them too.
        candidate.edges += newEdges
        candidate.lastQueued = candidate.triggerAll()
        model = candidate
        return delta
    }
}
