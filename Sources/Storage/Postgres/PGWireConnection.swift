import CLibPQ
import Foundation

/// A libpq connection in non-blocking pipeline mode, driven by its `PGLoop`: statements are sent
/// as pipelines (all of them, then one sync) and their results collected as the socket becomes
/// readable, so a pipeline of any length costs one round trip. Confined to its loop's thread.
final class PGWireConnection: @unchecked Sendable {
    typealias Completion = (Result<[PGRows], PGError>) -> Void

    private enum Phase {
        case connecting(writing: Bool)
        case ready
        /// Out of pipeline mode for one `COPY … FROM STDIN`.
        case copying(PGCopyIn)
        case closed
    }

    let loop: PGLoop
    private let handle: OpaquePointer
    private var phase: Phase
    private var deadline: ContinuousClock.Instant?
    private var onConnect: ((PGError?) -> Void)?
    private var inFlight: [PGPipelineRun] = []
    private var flushing = false
    /// Statements prepared on this connection, by SQL text: PostgreSQL parses and plans each
    /// once per connection, not once per execution. A pipeline that fails forgets the names it
    /// prepared (each preparation gets a fresh name, so one that did happen is never repeated).
    private var prepared: [String: String] = [:]
    private var preparedCount = 0
    static let preparedLimit = 200
    /// Notifications (`LISTEN`) as they arrive.
    var onNotification: ((_ channel: String, _ payload: String) -> Void)?
    /// Called once when the connection fails or is closed.
    var onClose: ((PGError) -> Void)?

    /// Starts connecting; `completion` runs on the loop when connected or failed.
    static func connect(
        _ conninfo: String, on loop: PGLoop, timeout: Duration,
        completion: @escaping (PGWireConnection?, PGError?) -> Void
    ) {
        guard let handle = PQconnectStart(conninfo) else {
            return completion(nil, .connectionLost("out of memory"))
        }
        guard PQstatus(handle) != CONNECTION_BAD else {
            let error = PGError.connectionLost(PGError.message(of: handle))
            PQfinish(handle)
            return completion(nil, error)
        }
        let connection = PGWireConnection(handle: handle, loop: loop, deadline: .now + timeout)
        connection.onConnect = { error in completion(error == nil ? connection : nil, error) }
        loop.register(connection)
    }

    private init(handle: OpaquePointer, loop: PGLoop, deadline: ContinuousClock.Instant) {
        self.handle = handle
        self.loop = loop
        self.deadline = deadline
        phase = .connecting(writing: true)
    }

    deinit { PQfinish(handle) }

    var socket: Int32 { PQsocket(handle) }
    var isConnecting: Bool { if case .connecting = phase { true } else { false } }
    var isReady: Bool { if case .ready = phase { true } else { false } }
    /// Set once a pipeline sent more than `largeParameterBytes` of parameters (a big plan's first
    /// post): libpq keeps its buffers at the largest size they ever grew to, so the pool replaces
    /// such a connection instead of keeping tens of megabytes for good.
    private(set) var grewLarge = false
    static let largeParameterBytes = 4 << 20

    /// True when no transaction is open: the connection can be lent to someone else.
    var isIdle: Bool { isReady && inFlight.isEmpty && PQtransactionStatus(handle) == PQTRANS_IDLE }

    /// What to wait for on the socket. A ready connection always reads: results, notifications,
    /// and the end of a connection the server closed while it sat idle.
    var interest: Int16 {
        switch phase {
        case .connecting(let writing): Int16(writing ? POLLOUT : POLLIN)
        case .ready: Int16(POLLIN) | (flushing ? Int16(POLLOUT) : 0)
        case .copying(let copy): Int16(POLLIN) | (copy.waitingToWrite ? Int16(POLLOUT) : 0)
        case .closed: 0
        }
    }

    /// Sends `statements` as one pipeline; `completion` runs on the loop with one `PGRows` per
    /// statement, or the first error. After a failed statement a transaction left open is rolled
    /// back before `completion` runs, so the connection is usable again.
    func send(_ statements: [PGStatement], completion: @escaping Completion) {
        guard isReady else { return completion(.failure(.connectionLost("the connection is closed"))) }
        var steps: [PGPipelineRun.Step] = []
        var preparedHere: [String] = []
        var parameterBytes = 0
        for statement in statements {
            parameterBytes += statement.parameters.reduce(0) { $0 + ($1?.utf8.count ?? 0) }
            var name = prepared[statement.sql]
            if name == nil && prepared.count < Self.preparedLimit {
                preparedCount += 1
                let fresh = "fletcher_\(preparedCount)"
                guard PQsendPrepare(handle, fresh, statement.sql, Int32(statement.parameters.count), nil) == 1 else {
                    close(because: .connectionLost(PGError.message(of: handle)))
                    return completion(.failure(.connectionLost(PGError.message(of: handle))))
                }
                prepared[statement.sql] = fresh
                preparedHere.append(statement.sql)
                steps.append(.prepare)
                name = fresh
            }
            let sent = withParameterPointers(statement.parameters) { values in
                if let name {
                    PQsendQueryPrepared(handle, name, Int32(statement.parameters.count), values, nil, nil, 0)
                } else {
                    PQsendQueryParams(
                        handle, statement.sql, Int32(statement.parameters.count), nil, values, nil, nil, 0)
                }
            }
            steps.append(.statement)
            guard sent == 1 else {
                close(because: .connectionLost(PGError.message(of: handle)))
                return completion(.failure(.connectionLost(PGError.message(of: handle))))
            }
        }
        grewLarge = grewLarge || parameterBytes > Self.largeParameterBytes
        guard PQpipelineSync(handle) == 1 else {
            close(because: .connectionLost(PGError.message(of: handle)))
            return completion(.failure(.connectionLost("could not send to the database")))
        }
        inFlight.append(
            PGPipelineRun(
                steps: steps,
                completion: { [weak self] result in
                    if case .failure = result { for sql in preparedHere { self?.prepared.removeValue(forKey: sql) } }
                    completion(result)
                }))
        flush()
    }

    func handle(events: Int16) {
        switch phase {
        case .connecting: advanceConnecting()
        case .ready:
            if events & Int16(POLLIN | POLLERR | POLLHUP) != 0 {
                guard PQconsumeInput(handle) == 1 else {
                    return close(because: .connectionLost(PGError.message(of: handle)))
                }
                deliverNotifications()
                collectResults()
            }
            if flushing && isReady { flush() }
        case .copying(let copy):
            if events & Int16(POLLIN | POLLERR | POLLHUP) != 0 {
                guard PQconsumeInput(handle) == 1 else {
                    return close(because: .connectionLost(PGError.message(of: handle)))
                }
            }
            advance(copy)
        case .closed: return
        }
    }

    /// Sends `data`, rows in COPY's text format, to `sql` (a `COPY … FROM STDIN`), out of pipeline
    /// mode, which COPY does not allow, and back into it afterwards. Only between pipelines. As with
    /// `send`, a transaction left open by a failure is rolled back before `completion` runs.
    func copyIn(_ sql: String, data: [UInt8], completion: @escaping PGCopyIn.Completion) {
        guard isReady, inFlight.isEmpty else {
            return completion(.failure(.connectionLost("the connection is busy or closed")))
        }
        guard PQexitPipelineMode(handle) == 1, PQsendQuery(handle, sql) == 1 else {
            let error = PGError.connectionLost(PGError.message(of: handle))
            close(because: error)
            return completion(.failure(error))
        }
        let copy = PGCopyIn(data: data, completion: completion)
        phase = .copying(copy)
        grewLarge = grewLarge || data.count > Self.largeParameterBytes
        advance(copy)
    }

    private func advance(_ copy: PGCopyIn) {
        switch copy.advance(handle) {
        case .pending: return
        case .broken(let error): close(because: error)
        case .done:
            guard PQenterPipelineMode(handle) == 1 else {
                return close(because: .connectionLost(PGError.message(of: handle)))
            }
            phase = .ready
            complete(copy.error, with: (), copy.completion)
        }
    }

    func checkDeadline() {
        guard isConnecting, let deadline, ContinuousClock.now >= deadline else { return }
        close(because: .connectionLost("timed out connecting to the database"))
    }

    /// Fails what is in flight and stops watching the socket.
    func close(because error: PGError) {
        if case .closed = phase { return }
        let copy: PGCopyIn? = if case .copying(let copy) = phase { copy } else { nil }
        phase = .closed
        loop.unregister(self)
        if let onConnect {
            self.onConnect = nil
            onConnect(error)
        }
        let failed = inFlight
        inFlight.removeAll()
        for run in failed { run.completion(.failure(error)) }
        copy?.completion(.failure(error))
        onClose?(error)
        onClose = nil
    }

    private func advanceConnecting() {
        switch PQconnectPoll(handle) {
        case PGRES_POLLING_READING: phase = .connecting(writing: false)
        case PGRES_POLLING_WRITING: phase = .connecting(writing: true)
        case PGRES_POLLING_OK:
            guard PQsetnonblocking(handle, 1) == 0, PQenterPipelineMode(handle) == 1 else {
                return close(because: .connectionLost(PGError.message(of: handle)))
            }
            phase = .ready
            deadline = nil
            let onConnect = self.onConnect
            self.onConnect = nil
            onConnect?(nil)
        default: close(because: .connectionLost(PGError.message(of: handle)))
        }
    }

    private func flush() {
        switch PQflush(handle) {
        case 0: flushing = false
        case 1: flushing = true
        default: close(because: .connectionLost(PGError.message(of: handle)))
        }
    }

    private func deliverNotifications() {
        while let raw = PQnotifies(handle) {
            let channel = String(cString: raw.pointee.relname)
            let payload = String(cString: raw.pointee.extra)
            PQfreemem(raw)
            onNotification?(channel, payload)
        }
    }

    /// Takes every result that has arrived, completing pipelines at their sync.
    private func collectResults() {
        while let run = inFlight.first, isReady, PQisBusy(handle) == 0 {
            let result = PQgetResult(handle)
            defer { if let result { PQclear(result) } }
            guard run.take(result, connection: handle) else { continue }
            inFlight.removeFirst()
            if PQstatus(handle) != CONNECTION_OK {
                run.completion(.failure(.connectionLost(PGError.message(of: handle))))
                return close(because: .connectionLost(PGError.message(of: handle)))
            }
            complete(run.error, with: run.rows, run.completion)
        }
    }

    /// Hands a finished pipeline's or COPY's outcome on; after a failure, the transaction it left
    /// open is rolled back first, so no caller hears of the failure on a connection still inside it.
    private func complete<Value>(
        _ error: PGError?, with value: Value, _ completion: @escaping (Result<Value, PGError>) -> Void
    ) {
        guard let error else { return completion(.success(value)) }
        if PQtransactionStatus(handle) != PQTRANS_IDLE {
            send([PGStatement("ROLLBACK")]) { _ in completion(.failure(error)) }
        } else {
            completion(.failure(error))
        }
    }
}

/// The results of one pipeline as they arrive: per step one result then a null, then the sync.
/// After a failed step the rest of the pipeline reports "aborted".
final class PGPipelineRun {
    enum Step {
        /// A statement's preparation: its result is not the caller's.
        case prepare
        case statement
    }

    let completion: PGWireConnection.Completion
    private let steps: [Step]
    private var taken = 0
    private(set) var rows: [PGRows] = []
    private(set) var error: PGError?

    init(steps: [Step], completion: @escaping PGWireConnection.Completion) {
        self.steps = steps
        self.completion = completion
        rows.reserveCapacity(steps.count)
    }

    /// Takes the next result; true once the pipeline's sync arrived.
    func take(_ result: OpaquePointer?, connection: OpaquePointer) -> Bool {
        guard let result else { return false }  // the end of one step's results
        let status = PQresultStatus(result)
        if status == PGRES_PIPELINE_SYNC {
            if taken < steps.count && error == nil { error = .connectionLost("the pipeline ended early") }
            return true
        }
        let step = taken < steps.count ? steps[taken] : .statement
        taken += 1
        switch status {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY, PGRES_PIPELINE_ABORTED: break
        default: if error == nil { error = PGError(result: result, connection: connection) }
        }
        if step == .statement { rows.append(status == PGRES_TUPLES_OK ? PGRows(result: result) : .none) }
        return false
    }
}
