import CLibPQ
import Dispatch
import FletcherCore
import Foundation

/// A blocking libpq connection for schema work: migrations run whole SQL files (several
/// statements in one string), which the pipelined connections of `PGPool` do not accept. It
/// lives on a serial queue of its own (`PGAdministration`), never on Swift's cooperative pool.
final class PGConnection {
    let handle: OpaquePointer

    /// Connects with any URI or `key=value` string psql accepts.
    init(conninfo: String) throws {
        guard let handle = PQconnectdb(conninfo) else { throw PGError.connectionLost("out of memory") }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = PGError.message(of: handle)
            PQfinish(handle)
            throw PGError.connectionLost(message)
        }
        self.handle = handle
    }

    deinit { PQfinish(handle) }

    var isHealthy: Bool { PQstatus(handle) == CONNECTION_OK }

    /// Runs one statement with text parameters.
    @discardableResult
    func query(_ sql: String, _ parameters: [String?] = []) throws -> PGRows {
        let result = withParameterPointers(parameters) { values in
            PQexecParams(handle, sql, Int32(parameters.count), nil, values, nil, nil, 0)
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY: return .none
        case PGRES_TUPLES_OK: return PGRows(result: result!)
        default: throw PGError(result: result, connection: handle)
        }
    }

    /// Runs statements without parameters (migrations, transaction control).
    func execute(_ sql: String) throws {
        let result = PQexec(handle, sql)
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY else {
            throw PGError(result: result, connection: handle)
        }
    }
}

/// The one blocking connection of a store, for migrations and the schema check of `/readyz`.
final class PGAdministration: @unchecked Sendable {
    // Safety: `connection` is only touched on `queue`.
    private let queue = DispatchQueue(label: "fletcher.postgres.admin")
    private var connection: PGConnection?
    let conninfo: String

    init(conninfo: String) {
        self.conninfo = conninfo
    }

    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PGConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { [self] in
                do {
                    if connection?.isHealthy != true {
                        connection = nil
                        connection = try PGConnection(conninfo: conninfo)
                    }
                    continuation.resume(returning: try body(connection!))
                } catch let error as PGError where error.isConnectionFailure {
                    connection = nil
                    continuation.resume(throwing: StoreUnavailable(reason: error.message))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}
