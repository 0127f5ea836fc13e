import FletcherCore
import Foundation
import Synchronization

/// One caller's step on a dataset, waiting for a write transaction to take it.
final class PendingWrite: @unchecked Sendable {
    // Safety: `step` runs on one connection's loop at a time; `succeed` or `fail` runs once.
    let datasetID: UUID
    let arrived = ContinuousClock.now
    /// Runs the caller's step; what it returns is kept for `succeed`. May run again (a retry).
    let step: (any PlanTransaction) throws -> Void
    let succeed: () -> Void
    private let failure: (any Error) -> Void

    init<T: Sendable>(
        datasetID: UUID, body: @escaping @Sendable (any PlanTransaction) throws -> T,
        continuation: CheckedContinuation<T, any Error>
    ) {
        let kept = StepValue<T>()
        self.datasetID = datasetID
        step = { kept.value = try body($0) }
        succeed = { continuation.resume(returning: kept.value!) }
        failure = { continuation.resume(throwing: $0) }
    }

    /// A lost database reaches the caller as `StoreUnavailable`; any other error as it is.
    func fail(_ error: any Error) { failure(PGPool.storeError(error)) }
}

/// What a step returned, kept until its transaction commits.
private final class StepValue<T>: @unchecked Sendable {
    // Safety: written by the step and read by `succeed`, both on the transaction's loop.
    var value: T?
}

/// Where `withLockedDataset` calls wait for a write transaction. At most `limit` write
/// transactions run at a time; each takes every call waiting when it starts (up to `batchLimit`,
/// one per dataset, none on a dataset another transaction holds) and commits their steps together. Under load this is a group commit: one
/// BEGIN, one COMMIT and one wait for the WAL for many updates, instead of one each, which cuts
/// the database's CPU time per update by about a third. A call that finds a transaction slot free
/// starts one at once, so nothing waits to fill a batch. A call that waits longer than the pool's
/// `acquireTimeout` (every write transaction stuck, say behind another instance's locks) fails
/// with `StoreUnavailable`, as a call waiting for a connection does.
final class PostgresWriteQueue: Sendable {
    private struct State {
        var waiting: [PendingWrite] = []
        /// Datasets in a transaction now: their next calls wait for it to end.
        var busy = Set<UUID>()
        var running = 0
        var watching = false
    }

    static let batchLimit = 32

    let limit: Int
    private let pool: PGPool
    private let notifier: CommitNotifier
    private let state = Mutex(State())

    /// A quarter of the pool's connections (at least two): the rest stay free for reads and
    /// dispatch, and fewer, fuller transactions cost the database less than many small ones.
    init(pool: PGPool, connections: Int, notifier: CommitNotifier) {
        self.pool = pool
        self.notifier = notifier
        limit = min(connections, max(2, connections / 4))
    }

    /// Calls waiting for a transaction (for tests).
    var waiting: Int { state.withLock { $0.waiting.count } }

    func write<T: Sendable>(
        _ datasetID: UUID, _ body: @escaping @Sendable (any PlanTransaction) throws -> T
    ) async throws -> T {
        try Task.checkCancellation()
        let pending = Mutex<PendingWrite?>(nil)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let write = PendingWrite(datasetID: datasetID, body: body, continuation: continuation)
                pending.withLock { $0 = write }
                submit(write)
            }
        } onCancel: {
            // Only a call still waiting gives up; once taken, its transaction runs to the end.
            guard let write = pending.withLock({ $0 }) else { return }
            let removed = state.withLock { state in
                state.waiting.firstIndex { $0 === write }.map { state.waiting.remove(at: $0) }
            }
            removed?.fail(CancellationError())
        }
    }

    private func submit(_ write: PendingWrite) {
        let (start, watch) = state.withLock { state in
            state.waiting.append(write)
            let watch = !state.watching
            state.watching = true
            guard state.running < limit else { return (false, watch) }
            state.running += 1
            return (true, watch)
        }
        if start { Task { await drive() } }
        if watch { Task { await expireLongWaits() } }
    }

    /// While calls wait, fails those that waited longer than `acquireTimeout`. One task for all.
    private func expireLongWaits() async {
        let timeout = pool.acquireTimeout
        while true {
            try? await Task.sleep(for: timeout / 4)
            let now = ContinuousClock.now
            let expired: [PendingWrite]? = state.withLock { state in
                guard !state.waiting.isEmpty else {
                    state.watching = false
                    return nil
                }
                let expired = state.waiting.filter { now - $0.arrived >= timeout }
                state.waiting.removeAll { now - $0.arrived >= timeout }
                return expired
            }
            guard let expired else { return }
            for write in expired {
                write.fail(StoreUnavailable(reason: "every write transaction stayed busy for \(timeout)"))
            }
        }
    }

    /// Runs transactions on one connection while calls wait; a connection that broke is given
    /// back and another taken, and when none can be had every waiting call fails fast.
    private func drive() async {
        repeat {
            do {
                try await pool.onConnection { connection, done in
                    self.runBatches(on: connection) { done(.success(())) }
                }
            } catch {
                for write in state.withLock({ state in
                    defer { state.waiting = [] }; return state.waiting
                }) {
                    write.fail(error)
                }
            }
        } while state.withLock { state in
            // A call on a busy dataset is left to the transaction that holds it, which takes the
            // next batch as it ends.
            let more = state.waiting.contains { !state.busy.contains($0.datasetID) }
            if !more { state.running -= 1 }
            return more
        }
    }

    /// On the connection's loop: one transaction after another until no call waits.
    private func runBatches(on connection: PGWireConnection, finished: @escaping @Sendable () -> Void) {
        guard connection.isIdle, let batch = takeBatch() else { return finished() }
        PostgresWriteBatch(connection: connection, writes: batch, notifier: notifier) { [self] in
            state.withLock { state in
                for write in batch { state.busy.remove(write.datasetID) }
            }
            runBatches(on: connection, finished: finished)
        }.start()
    }

    /// The calls waiting longest, one per dataset and none on a dataset in another transaction: a
    /// dataset's calls run in the order they came, each seeing the last, and a transaction never
    /// waits for a row lock held by a sibling.
    private func takeBatch() -> [PendingWrite]? {
        state.withLock { state in
            var batch: [PendingWrite] = []
            var rest: [PendingWrite] = []
            for write in state.waiting {
                if batch.count < Self.batchLimit, state.busy.insert(write.datasetID).inserted {
                    batch.append(write)
                } else {
                    rest.append(write)
                }
            }
            state.waiting = rest
            return batch.isEmpty ? nil : batch
        }
    }
}
