import FletcherCore
import Metrics
import ServiceLifecycle
import Synchronization

/// A bounded pool of pipelined libpq connections (`MAX_CONNECTIONS`) spread over one or two
/// `PGLoop` threads; nothing here blocks a thread of Swift's cooperative pool.
///
/// Connections open when first lent and are replaced after a failure: a lost database makes
/// calls fail fast with `StoreUnavailable`, and the next call after it is back reconnects by
/// itself. Waiting for a free connection ends when the waiting task is cancelled, or after
/// `acquireTimeout` with `StoreUnavailable` (503 and `Retry-After` for an API client).
///
/// Run as a `Service`, the pool closes at graceful shutdown without cutting work short: it
/// refuses new callers, lets those holding a connection finish (for at most `drainTimeout`), and
/// then stops its threads.
final class PGPool: Sendable {
    /// One connection place, bound to a loop. `connection` is only touched on that loop.
    final class Slot: @unchecked Sendable {
        let loop: PGLoop
        var connection: PGWireConnection?

        init(loop: PGLoop) { self.loop = loop }

        /// On the loop: the slot's connection, opened (again) when it has none or it is not idle.
        func connected(_ conninfo: String, _ completion: @escaping (PGWireConnection?, PGError?) -> Void) {
            if let connection, connection.isIdle, !connection.grewLarge { return completion(connection, nil) }
            connection?.close(because: .connectionLost("replaced"))
            connection = nil
            PGWireConnection.connect(conninfo, on: loop, timeout: PGPool.connectTimeout) { [self] connection, error in
                self.connection = connection
                connection?.onClose = { [weak self, weak connection] _ in
                    if self?.connection === connection { self?.connection = nil }
                }
                completion(connection, error)
            }
        }
    }

    private struct Waiter {
        let id: Int
        let continuation: CheckedContinuation<Int, any Error>
    }

    private struct State {
        var idle: [Int]
        var waiters: [Waiter] = []
        /// Waiters between being numbered and waiting, and those of them abandoned meanwhile.
        var arriving: Set<Int> = []
        var abandoned: [Int: any Error] = [:]
        var nextWaiter = 0
        var started = false
        var closing = false
        /// Resumed when the last lent connection comes back after `closing` was set.
        var drained: CheckedContinuation<Void, Never>?
    }

    static let defaultAcquireTimeout: Duration = .seconds(5)
    static let connectTimeout: Duration = .seconds(5)
    /// How long a graceful shutdown waits for the calls holding a connection.
    static let drainTimeout: Duration = .seconds(10)

    let conninfo: String
    let acquireTimeout: Duration
    private let loops: [PGLoop]
    private let slots: [Slot]
    private let state: Mutex<State>

    init(conninfo: String, size: Int, acquireTimeout: Duration = defaultAcquireTimeout) {
        self.conninfo = conninfo
        self.acquireTimeout = acquireTimeout
        let loops = (0..<min(2, max(size, 1))).map { PGLoop(name: "fletcher.pg.\($0)") }
        self.loops = loops
        slots = (0..<size).map { Slot(loop: loops[$0 % loops.count]) }
        state = Mutex(State(idle: Array((0..<size).reversed())))
    }

    deinit { shutdown() }

    /// Refuses new callers and stops the loop threads at once; connections close and calls in
    /// flight fail.
    func shutdown() {
        refuseNewCallers()
        for loop in loops { loop.stop() }
    }

    /// Refuses new callers, waits (at most `limit`) until every lent connection is back, then
    /// stops the loop threads.
    func drainAndShutdown(within limit: Duration) async {
        refuseNewCallers()
        let timeout = Task {
            try await Task.sleep(for: limit)
            state.withLock { $0.drained.take() }?.resume()
        }
        await withCheckedContinuation { continuation in
            let done = state.withLock { state in
                guard state.idle.count < slots.count else { return true }
                state.drained = continuation
                return false
            }
            if done { continuation.resume() }
        }
        timeout.cancel()
        shutdown()
    }

    private static var closed: StoreUnavailable { StoreUnavailable(reason: "Fletcher is shutting down") }

    /// From now on calls fail at once; those waiting for a connection fail now.
    private func refuseNewCallers() {
        let waiters = state.withLock { state in
            state.closing = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.continuation.resume(throwing: Self.closed) }
    }

    /// Callers waiting for a connection (for tests: a cancelled waiter must not stay behind).
    var waiting: Int { state.withLock { $0.waiters.count } }

    /// Connections lent to callers now.
    var lent: Int { state.withLock { slots.count - $0.idle.count } }

    /// A loop for work outside the pool (a listener's connection).
    var listenerLoop: PGLoop {
        startIfNeeded()
        return loops[0]
    }

    /// Runs `work` on the loop of a free connection and waits until it calls back; the
    /// connection is lent to this call alone until then.
    func onConnection<T: Sendable>(
        _ work: @escaping @Sendable (PGWireConnection, @escaping @Sendable (Result<T, any Error>) -> Void) -> Void
    ) async throws -> T {
        let index = try await acquire()
        defer { release(index) }
        let slot = slots[index]
        let conninfo = conninfo
        return try await withCheckedThrowingContinuation { continuation in
            slot.loop.execute {
                slot.connected(conninfo) { connection, error in
                    guard let connection else {
                        return continuation.resume(throwing: Self.storeError(error ?? .connectionLost("no connection")))
                    }
                    work(connection) { result in continuation.resume(with: result.mapError(Self.storeError)) }
                }
            }
        }
    }

    /// Sends `statements` as one pipeline (one round trip); one `PGRows` per statement.
    func pipeline(_ statements: [PGStatement]) async throws -> [PGRows] {
        try await onConnection { connection, done in
            connection.send(statements) { result in done(result.mapError { $0 }) }
        }
    }

    func query(_ sql: String, _ parameters: [String?] = []) async throws -> PGRows {
        try await pipeline([PGStatement(sql, parameters)])[0]
    }

    /// Runs `statement` in a transaction whose commit does not wait for the WAL to reach disk,
    /// in one round trip. Only for writes a crash may lose without harm: dispatch bookkeeping that
    /// idempotent resubmission repairs (a lost claim or submission record means one more submit
    /// with the same key).
    func unsynchronized(_ statement: PGStatement) async throws -> PGRows {
        try await pipeline([
            PGStatement("BEGIN"), PGStatement("SET LOCAL synchronous_commit = off"), statement, PGStatement("COMMIT"),
        ])[2]
    }

    static func storeError(_ error: any Error) -> any Error {
        guard let error = error as? PGError, error.isConnectionFailure else { return error }
        return StoreUnavailable(reason: error.message)
    }

    /// Connections in use and how long callers wait for one. Looked up at each use, not kept:
    /// the metrics system may be set up after the pool is opened.
    private var inUse: Gauge { Gauge(label: "fletcher_db_pool_in_use") }
    private var waited: Metrics.Timer { Metrics.Timer(label: "fletcher_db_pool_wait_seconds") }

    private func startIfNeeded() {
        let start = state.withLock { state in
            defer { state.started = true }
            return !state.started
        }
        if start { for loop in loops { loop.start() } }
    }

    private func acquire() async throws -> Int {
        startIfNeeded()
        let started = ContinuousClock.now
        let index = try await take()
        waited.recordNanoseconds((ContinuousClock.now - started).inNanoseconds)
        inUse.record(lent)
        return index
    }

    private func take() async throws -> Int {
        let (index, id): (Int?, Int) = try state.withLock { state in
            guard !state.closing else { throw Self.closed }
            if let index = state.idle.popLast() { return (index, 0) }
            state.nextWaiter += 1
            state.arriving.insert(state.nextWaiter)
            return (nil, state.nextWaiter)
        }
        if let index { return index }
        let timeout = Task {
            try await Task.sleep(for: acquireTimeout)
            abandon(
                id,
                StoreUnavailable(
                    reason: "all \(slots.count) database connections stayed busy for \(acquireTimeout)"))
        }
        defer { timeout.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let ready: Result<Int, any Error>? = state.withLock { state in
                    state.arriving.remove(id)
                    if let error = state.abandoned.removeValue(forKey: id) { return .failure(error) }
                    if state.closing { return .failure(Self.closed) }
                    if let index = state.idle.popLast() { return .success(index) }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            abandon(id, CancellationError())
        }
    }

    /// Ends the wait of waiter `id` with `error`; remembered if it has not started waiting yet.
    private func abandon(_ id: Int, _ error: any Error) {
        let waiter: Waiter? = state.withLock { state in
            guard let position = state.waiters.firstIndex(where: { $0.id == id }) else {
                if state.arriving.contains(id) { state.abandoned[id] = error }
                return nil
            }
            return state.waiters.remove(at: position)
        }
        waiter?.continuation.resume(throwing: error)
    }

    private func release(_ index: Int) {
        let (waiter, drained): (Waiter?, CheckedContinuation<Void, Never>?) = state.withLock { state in
            if state.waiters.isEmpty {
                state.idle.append(index)
                return (nil, state.idle.count == slots.count ? state.drained.take() : nil)
            }
            return (state.waiters.removeFirst(), nil)
        }
        waiter?.continuation.resume(returning: index)
        drained?.resume()
        inUse.record(lent)
    }
}

extension PGPool: Service {
    /// Starts the loop threads (unless a call already has) and closes the pool at graceful
    /// shutdown, letting calls in flight finish.
    func run() async throws {
        startIfNeeded()
        try? await gracefulShutdown()
        await drainAndShutdown(within: Self.drainTimeout)
    }
}
