import Foundation
import Synchronization

/// Runs work for many keys at once and for one key in order: each key's work starts after the
/// previous work of that key has finished. A followed platform's events about different runs are
/// applied side by side (so they share group commits, as concurrent callbacks do), while one
/// run's events keep their order: a late `running` must not be applied after `success`.
final class EventLanes: Sendable {
    private let lanes = Mutex([String: (id: Int, task: Task<Void, Never>)]())
    private let counter = Atomic<Int>(0)

    /// Starts `work` once the work already queued for `key` is done; returns at once.
    func enqueue(_ key: String, _ work: @escaping @Sendable () async -> Void) {
        let id = counter.wrappingAdd(1, ordering: .relaxed).newValue
        lanes.withLock { lanes in
            let previous = lanes[key]?.task
            let task = Task {
                await previous?.value
                await work()
                self.finished(key, id)
            }
            lanes[key] = (id, task)
        }
    }

    /// Forgets a key whose last queued work is done.
    private func finished(_ key: String, _ id: Int) {
        lanes.withLock { lanes in
            if lanes[key]?.id == id { lanes.removeValue(forKey: key) }
        }
    }
}

extension CallbackEvent {
    /// The run an event is about: events about one run are applied in order.
    var lane: String {
        switch self {
        case .report(let runID, _, _): runID.uuidString
        case .poll(let externalID): "external:" + externalID
        }
    }
}
