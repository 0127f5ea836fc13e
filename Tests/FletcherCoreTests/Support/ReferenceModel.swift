import FletcherCore

/// The rules of `docs/concepts.md` §3 written the obvious way: every walk rescans every edge and the
/// trigger rule always re-evaluates the whole plan. Slow, and easy to check by reading; the
/// engine's incremental result must equal it.
struct ReferenceModel {
    var eager: [Bool] = []
    var states: [State] = []
    var edges: [(parent: Int, child: Int)] = []
    var paused = false
    /// What the last accepted post queued.
    var lastQueued: Set<Int> = []

    func isActive(_ node: Int) -> Bool { states[node] != .disabled }

    func activeParents(_ node: Int) -> [Int] {
        edges.filter { $0.child == node && isActive($0.parent) && isActive(node) }.map(\.parent)
    }

    func descendants(_ seeds: [Int]) -> Set<Int> {
        var found = Set<Int>()
        var frontier = seeds.filter(isActive)
        while let node = frontier.popLast() {
            for edge in edges where edge.parent == node && isActive(edge.child) && !found.contains(edge.child) {
                found.insert(edge.child)
                frontier.append(edge.child)
            }
        }
        return found
    }

    func isReady(_ node: Int) -> Bool {
        states[node] == .waiting && eager[node] && activeParents(node).allSatisfy { states[$0] == .success }
    }

    /// The trigger rule over the whole plan. Returns what it queued.
    mutating func triggerAll() -> Set<Int> {
        guard !paused else { return [] }
        let ready = Set(states.indices.filter(isReady))
        for node in ready { states[node] = .queued }
        return ready
    }

    mutating func resetDescendants(_ seeds: [Int]) {
        for node in descendants(seeds) where states[node] != .waiting { states[node] = .waiting }
    }

    func hasCycle(with extra: [(parent: Int, child: Int)]) -> Bool {
        let all = edges + extra
        var visiting = Set<Int>()
        var done = Set<Int>()
        func visit(_ node: Int) -> Bool {
            if done.contains(node) { return false }
            if !visiting.insert(node).inserted { return true }
            for edge in all where edge.parent == node && isActive(edge.child) && isActive(node) {
                if visit(edge.child) { return true }
            }
            visiting.remove(node)
            done.insert(node)
            return false
        }
        return states.indices.filter(isActive).contains(where: visit)
    }
}
