import CLibPQ
import Foundation

/// An error from PostgreSQL or from libpq, with the SQLSTATE when the server sent one.
public struct PGError: Error, CustomStringConvertible, Sendable {
    public let sqlState: String?
    public let message: String
    /// True when the connection itself failed (refused, lost, server shutting down), as opposed
    /// to a statement the server refused.
    public let isConnectionFailure: Bool

    public var description: String { sqlState.map { "\(message) (SQLSTATE \($0))" } ?? message }

    /// Serialization failure or deadlock: the transaction may simply be run again.
    var isRetryable: Bool { sqlState == "40001" || sqlState == "40P01" }
}

/// The rows of one statement, copied out of libpq as text.
struct PGRows {
    let rows: [[String?]]

    var first: [String?]? { rows.first }
}

/// One libpq connection. Not thread-safe: each is confined to one `PGPool` slot's queue.
final class PGConnection {
    let handle: OpaquePointer

    /// Connects with any URI or `key=value` string psql accepts.
    init(conninfo: String) throws {
        guard let handle = PQconnectdb(conninfo) else {
            throw PGError(sqlState: nil, message: "out of memory", isConnectionFailure: true)
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines)
            PQfinish(handle)
            throw PGError(sqlState: nil, message: message, isConnectionFailure: true)
        }
        self.handle = handle
    }

    deinit { PQfinish(handle) }

    var isHealthy: Bool { PQstatus(handle) == CONNECTION_OK }

    /// Runs one statement with text parameters (`$1`, `$2`, …); never builds SQL from values.
    @discardableResult
    func query(_ sql: String, _ parameters: [String?] = []) throws -> PGRows {
        let result = withParameterPointers(parameters) { values in
            PQexecParams(handle, sql, Int32(parameters.count), nil, values, nil, nil, 0)
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return PGRows(rows: [])
        case PGRES_TUPLES_OK:
            return PGRows(rows: Self.rows(of: result))
        default:
            throw error(from: result)
        }
    }

    /// Runs `body` in a transaction whose commit does not wait for the WAL to reach disk. Only for
    /// writes a crash may lose without harm: dispatch bookkeeping that idempotent resubmission
    /// repairs (a lost claim or submission record means one more submit with the same key).
    func withoutSynchronousCommit<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN; SET LOCAL synchronous_commit = off")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Runs statements without parameters (migrations, transaction control).
    func execute(_ sql: String) throws {
        let result = PQexec(handle, sql)
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY else {
            throw error(from: result)
        }
    }

    private func error(from result: OpaquePointer?) -> PGError {
        // PG_DIAG_SQLSTATE is a macro Swift does not import: it is the letter 'C'.
        let state = result.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "C"))) }.map { String(cString: $0) }
        let detail = result.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "M"))) }.map { String(cString: $0) }
        let message = detail ?? String(cString: PQerrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines)
        let lost = PQstatus(handle) != CONNECTION_OK
        let connectionClass =
            state.map { $0.hasPrefix("08") || $0 == "57P01" || $0 == "57P02" || $0 == "57P03" } ?? lost
        return PGError(sqlState: state, message: message, isConnectionFailure: lost || connectionClass)
    }

    private static func rows(of result: OpaquePointer?) -> [[String?]] {
        let count = PQntuples(result)
        let columns = PQnfields(result)
        var rows: [[String?]] = []
        rows.reserveCapacity(Int(count))
        for row in 0..<count {
            var values: [String?] = []
            values.reserveCapacity(Int(columns))
            for column in 0..<columns {
                if PQgetisnull(result, row, column) == 1 {
                    values.append(nil)
                } else {
                    values.append(String(cString: PQgetvalue(result, row, column)))
                }
            }
            rows.append(values)
        }
        return rows
    }
}

/// Lends libpq a C array of C strings for the parameters, valid during `body`.
private func withParameterPointers<T>(
    _ parameters: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> T
) -> T {
    var pointers: [UnsafeMutablePointer<CChar>?] = parameters.map { $0.map { strdup($0) } ?? nil }
    defer { for pointer in pointers { free(pointer) } }
    return pointers.withUnsafeMutableBufferPointer { buffer in
        buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(buffer.count, 1)) {
            body(parameters.isEmpty ? nil : $0)
        }
    }
}
