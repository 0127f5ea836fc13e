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
        case closed
    }

    let loop: PGLoop
    private let handle: OpaquePointer
    private var phase: Phase
    private var deadline: ContinuousClock.Instant?
    private var onConnect: ((PGError?) -> Void)?
    private var inFlight: [PGPipelineRun] = []
    private var flushing = false
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
    /// True when no transaction is open: the connection can be lent to someone else.
    var isIdle: Bool { isReady && inFlight.isEmpty && PQtransactionStatus(handle) == PQTRANS_IDLE }

    /// What to wait for on the socket. A ready connection always reads: results, notifications,
    /// and the end of a connection the server closed while it sat idle.
    var interest: Int16 {
        switch phase {
        case .connecting(let writing): Int16(writing ? POLLOUT : POLLIN)
        case .ready: Int16(POLLIN) | (flushing ? Int16(POLLOUT) : 0)
        case .closed: 0
        }
    }

    /// Sends `statements` as one pipeline; `completion` runs on the loop with one `PGRows` per
    /// statement, or the first error. After a failed statement a transaction left open is rolled
    /// back before `completion` runs, so the connection is usable again.
    func send(_ statements: [PGStatement], completion: @escaping Completion) {
        guard isReady else { return completion(.failure(.connectionLost("the connection is closed"))) }
        for statement in statements {
            let sent = withParameterPointers(statement.parameters) { values in
                PQsendQueryParams(
                    handle, statement.sql, Int32(statement.parameters.count), nil, values, nil, nil, 0)
            }
            guard sent == 1 else {
                close(because: .connectionLost(PGError.message(of: handle)))
                return completion(.failure(.connectionLost(PGError.message(of: handle))))
            }
        }
        guard PQpipelineSync(handle) == 1 else {
            close(because: .connectionLost(PGError.message(of: handle)))
            return completion(.failure(.connectionLost("could not send to the database")))
        }
        inFlight.append(PGPipelineRun(count: statements.count, completion: completion))
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
        case .closed: return
        }
    }

    func checkDeadline() {
        guard isConnecting, let deadline, ContinuousClock.now >= deadline else { return }
        close(because: .connectionLost("timed out connecting to the database"))
    }

    /// Fails what is in flight and stops watching the socket.
    func close(because error: PGError) {
        if case .closed = phase { return }
        phase = .closed
        loop.unregister(self)
        if let onConnect {
            self.onConnect = nil
            onConnect(error)
        }
        let failed = inFlight
        inFlight.removeAll()
        for run in failed { run.completion(.failure(error)) }
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
            if let error = run.error, PQtransactionStatus(handle) != PQTRANS_IDLE {
                // The failed transaction is closed before anyone hears of the failure.
                send([PGStatement("ROLLBACK")]) { _ in run.completion(.failure(error)) }
            } else {
                run.completion(run.error.map { .failure($0) } ?? .success(run.rows))
            }
        }
    }
}

/// The results of one pipeline as they arrive: per statement one result then a null, then the
/// sync. After a failed statement the rest of the pipeline reports "aborted".
final class PGPipelineRun {
    let completion: PGWireConnection.Completion
    private let count: Int
    private(set) var rows: [PGRows] = []
    private(set) var error: PGError?

    init(count: Int, completion: @escaping PGWireConnection.Completion) {
        self.count = count
        self.completion = completion
        rows.reserveCapacity(count)
    }

    /// Takes the next result; true once the pipeline's sync arrived.
    func take(_ result: OpaquePointer?, connection: OpaquePointer) -> Bool {
        guard let result else { return false }  // the end of one statement's results
        switch PQresultStatus(result) {
        case PGRES_PIPELINE_SYNC:
            if rows.count < count && error == nil { error = .connectionLost("the pipeline ended early") }
            return true
        case PGRES_TUPLES_OK: rows.append(PGRows(result: result))
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY: rows.append(.none)
        case PGRES_PIPELINE_ABORTED: rows.append(.none)
        default:
            rows.append(.none)
            if error == nil { error = PGError(result: result, connection: connection) }
        }
        return false
    }
}
