import Foundation

/// The dependency structure of one plan, built once per plan version.
///
/// Products are addressed by their position (`0..<count`, the stable order of the plan) and
/// adjacency is stored in compressed sparse rows: two flat arrays per direction instead of one
/// array per product, so a cached 12-product plan costs a handful of allocations, not dozens.
///
/// The graph holds every stored product and edge. Disabled products are masked out by the
/// `isActive` predicate the walks take, because disabling must not force a rebuild.
public struct PlanGraph: Sendable {
    public let count: Int
    private let positionByID: [UUID: Int32]
    private let parentStart: [Int32]
    private let parentList: [Int32]
    private let childStart: [Int32]
    private let childList: [Int32]

    /// - Parameters:
    ///   - ids: product ids in position order.
    ///   - edges: (parent position, child position) pairs.
    public init(ids: [UUID], edges: [(parent: Int, child: Int)]) {
        count = ids.count
        var positions = [UUID: Int32](minimumCapacity: ids.count)
        for (position, id) in ids.enumerated() { positions[id] = Int32(position) }
        positionByID = positions
        (parentStart, parentList) = Self.compress(count: ids.count, edges.map { ($0.child, $0.parent) })
        (childStart, childList) = Self.compress(count: ids.count, edges.map { ($0.parent, $0.child) })
    }

    public func position(of id: UUID) -> Int? {
        positionByID[id].map(Int.init)
    }

    public func parents(of position: Int) -> ArraySlice<Int32> {
        parentList[Int(parentStart[position])..<Int(parentStart[position + 1])]
    }

    public func children(of position: Int) -> ArraySlice<Int32> {
        childList[Int(childStart[position])..<Int(childStart[position + 1])]
    }

    /// Every active product reachable from `seeds` through active products, in no particular order.
    /// A seed is included only when another seed reaches it.
    public func descendants(of seeds: some Sequence<Int>, isActive: (Int) -> Bool) -> [Int] {
        var seen = Set<Int>()
        var stack: [Int] = []
        for seed in seeds where isActive(seed) {
            stack.append(contentsOf: children(of: seed).lazy.map(Int.init))
        }
        var result: [Int] = []
        while let next = stack.popLast() {
            guard isActive(next), seen.insert(next).inserted else { continue }
            result.append(next)
            stack.append(contentsOf: children(of: next).lazy.map(Int.init))
        }
        return result
    }

    /// True when the active products and the edges between them contain a cycle (Kahn's algorithm).
    /// A self-edge is a cycle.
    public func hasCycle(isActive: (Int) -> Bool) -> Bool {
        var inDegree = [Int32](repeating: 0, count: count)
        var active = 0
        for node in 0..<count where isActive(node) {
            active += 1
            var degree: Int32 = 0
            for parent in parents(of: node) where isActive(Int(parent)) { degree += 1 }
            inDegree[node] = degree
        }
        var ready = (0..<count).filter { isActive($0) && inDegree[$0] == 0 }
        var removed = 0
        while let node = ready.popLast() {
            removed += 1
            for child in children(of: node) where isActive(Int(child)) {
                inDegree[Int(child)] -= 1
                if inDegree[Int(child)] == 0 { ready.append(Int(child)) }
            }
        }
        return removed != active
    }

    /// Counting sort of (from, to) pairs into row offsets and a flat target list.
    /// Targets keep the order the pairs were given in, so walks are deterministic.
    private static func compress(count: Int, _ pairs: [(Int, Int)]) -> (start: [Int32], list: [Int32]) {
        var start = [Int32](repeating: 0, count: count + 1)
        for (from, _) in pairs { start[from + 1] += 1 }
        for index in 0..<count { start[index + 1] += start[index] }
        var cursor = start
        var list = [Int32](repeating: 0, count: pairs.count)
        for (from, to) in pairs {
            list[Int(cursor[from])] = Int32(to)
            cursor[from] += 1
        }
        return (start, list)
    }
}
