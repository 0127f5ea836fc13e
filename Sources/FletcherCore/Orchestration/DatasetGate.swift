import Foundation
import Synchronization

/// Lets commands on one dataset into the store one at a time within this process, in arrival
/// order; commands on different datasets pass freely.
///
/// The database lock alone serializes commands, but a waiter then holds a pooled connection while
/// it waits, and it takes the lock the instant the previous command commits, before that command
/// has put the updated plan back in the cache, so it reloads the whole plan. Queueing here first
/// keeps connections for work and hands each command the cached plan.
final class DatasetGate: Sendable {
    private let waiting = Mutex([UUID: [CheckedContinuation<Void, Never>]]())

    func enter(_ id: UUID) async {
        await withCheckedContinuation { continuation in
            let admitted = waiting.withLock { waiting in
                guard waiting[id] != nil else {
                    waiting[id] = []
                    return true
                }
                waiting[id]!.append(continuation)
                return false
            }
            if admitted { continuation.resume() }
        }
    }

    func leave(_ id: UUID) {
        let next = waiting.withLock { waiting -> CheckedContinuation<Void, Never>? in
            guard var queue = waiting[id], !queue.isEmpty else {
                waiting[id] = nil
                return nil
            }
            let next = queue.removeFirst()
            waiting[id] = queue
            return next
        }
        next?.resume()
    }
}
