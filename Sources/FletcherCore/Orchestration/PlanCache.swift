import Foundation
import Synchronization

/// Recently used plans with their graphs, bounded by the number of products they hold.
///
/// Two generations: new entries go to `young`; when `young` reaches half the capacity it becomes
/// `old` and the previous `old` is dropped. Lookups promote. O(1) per operation, no per-entry
/// bookkeeping, and memory stays near `capacity` products however many datasets pass through.
public final class PlanCache: Sendable {
    private struct Generations {
        var young: [UUID: PlanState] = [:]
        var old: [UUID: PlanState] = [:]
        var youngCost = 0
    }

    public let capacity: Int
    private let generations = Mutex(Generations())

    /// - Parameter capacity: products to keep cached (each plan costs its product count + 1).
    public init(capacity: Int) {
        self.capacity = capacity
    }

    /// Removes and returns the cached plan of `id` if it is at `version`; a cached plan at any
    /// other version is stale and dropped. Taking (not copying) keeps the plan's storage uniquely
    /// referenced, so the command can update it in place.
    public func take(_ id: UUID, version: Int64) -> PlanState? {
        generations.withLock { generations in
            let found = generations.young.removeValue(forKey: id) ?? generations.old.removeValue(forKey: id)
            return found?.version == version ? found : nil
        }
    }

    /// The cached plan of `id` if it is at `version`, left in the cache (a reader's copy: the
    /// storage is shared until a command takes the plan and changes it).
    public func peek(_ id: UUID, version: Int64) -> PlanState? {
        generations.withLock { generations in
            let found = generations.young[id] ?? generations.old[id]
            return found?.version == version ? found : nil
        }
    }

    /// A product of a cached plan and the plan's version, without taking the plan (nil when not
    /// cached or taken). The version says which stored plan the product is from: another
    /// instance may have committed since.
    public func product(_ id: UUID, _ productID: UUID) -> (product: DataProduct, version: Int64)? {
        generations.withLock { generations in
            guard let plan = generations.young[id] ?? generations.old[id],
                let position = plan.graph.position(of: productID)
            else { return nil }
            return (plan.products[position], plan.version)
        }
    }

    /// Caches `plan` unless a newer version of it is already cached.
    public func put(_ id: UUID, _ plan: PlanState) {
        let cost = plan.products.count + 1
        generations.withLock { generations in
            if let cached = generations.young[id] ?? generations.old[id], cached.version > plan.version { return }
            generations.old.removeValue(forKey: id)
            generations.young[id] = plan
            generations.youngCost += cost
            if generations.youngCost >= capacity / 2 {
                generations.old = generations.young
                generations.young = [:]
                generations.youngCost = 0
            }
        }
    }
}
