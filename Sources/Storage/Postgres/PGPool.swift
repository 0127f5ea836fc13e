import Dispatch
import FletcherCore
import Metrics
import Synchronization

/// A bounded pool of libpq connections (`MAX_CONNECTIONS`), each confined to a serial queue of
/// its own so blocking libpq calls never occupy Swift's cooperative pool.
///
/// Connections open lazily and are replaced after a failure: a lost database makes calls fail
/// fast with `StoreUnavailable`, and the next call after it is back reconnects by itself.
final class PGPool: Sendable {
    private final class Slot: @unchecked Sendable {
        // Safety: `connection` is only touched on `queue`.
        let queue: DispatchQueue
        var connection: PGConnection?

        init(index: Int) { queue = DispatchQueue(label: "fletcher.postgres.\(index)") }
    }

    private struct State {
        var idle: [Int]
        var waiters: [CheckedContinuation<Int, Never>] = []
    }

    let conninfo: String
    private let slots: [Slot]
    private let state: Mutex<State>

    init(conninfo: String, size: Int) {
        self.conninfo = conninfo
        slots = (0..<size).map(Slot.init)
        state = Mutex(State(idle: Array((0..<size).reversed())))
    }

    /// Runs `body` with a connection on that connection's own thread.
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PGConnection) throws -> T) async throws -> T {
        let index = await acquire()
        defer { release(index) }
        let slot = slots[index]
        let conninfo = conninfo
        return try await withCheckedThrowingContinuation { continuation in
            slot.queue.async {
                do {
                    if slot.connection?.isHealthy != true {
                        slot.connection = nil
                        slot.connection = try PGConnection(conninfo: conninfo)
                    }
                    continuation.resume(returning: try body(slot.connection!))
                } catch let error as PGError where error.isConnectionFailure {
                    slot.connection = nil  // reconnect on next use
                    continuation.resume(throwing: StoreUnavailable(reason: error.message))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    /// Connections in use and how long callers wait for one (`api.md` §6). Looked up at each use,
    /// not kept: the metrics system may be set up after the pool is opened.
    private var inUse: Gauge { Gauge(label: "fletcher_db_pool_in_use") }
    private var waited: Metrics.Timer { Metrics.Timer(label: "fletcher_db_pool_wait_seconds") }

    private func acquire() async -> Int {
        let started = ContinuousClock.now
        let index = await take()
        let elapsed = ContinuousClock.now - started
        waited.recordNanoseconds(elapsed.inNanoseconds)
        inUse.record(state.withLock { slots.count - $0.idle.count })
        return index
    }

    private func take() async -> Int {
        if let index = state.withLock({ $0.idle.popLast() }) { return index }
        return await withCheckedContinuation { continuation in
            let ready: Int? = state.withLock { state in
                if let index = state.idle.popLast() { return index }
                state.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    private func release(_ index: Int) {
        let waiter: CheckedContinuation<Int, Never>? = state.withLock { state in
            if state.waiters.isEmpty {
                state.idle.append(index)
                return nil
            }
            return state.waiters.removeFirst()
        }
        waiter?.resume(returning: index)
        inUse.record(state.withLock { slots.count - $0.idle.count })
    }
}
