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

    static func connectionLost(_ message: String) -> PGError {
        PGError(sqlState: nil, message: message, isConnectionFailure: true)
    }

    /// The error a failed result (or, without one, the connection) reports.
    init(result: OpaquePointer?, connection handle: OpaquePointer) {
        // PG_DIAG_SQLSTATE is a macro Swift does not import: it is the letter 'C'.
        let state = result.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "C"))) }.map { String(cString: $0) }
        let detail = result.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "M"))) }.map { String(cString: $0) }
        let lost = PQstatus(handle) != CONNECTION_OK
        let connectionClass =
            state.map { $0.hasPrefix("08") || $0 == "57P01" || $0 == "57P02" || $0 == "57P03" } ?? lost
        self.init(
            sqlState: state, message: detail ?? Self.message(of: handle),
            isConnectionFailure: lost || connectionClass)
    }

    init(sqlState: String?, message: String, isConnectionFailure: Bool) {
        self.sqlState = sqlState
        self.message = message
        self.isConnectionFailure = isConnectionFailure
    }

    static func message(of handle: OpaquePointer) -> String {
        String(cString: PQerrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// One statement with text parameters (`$1`, `$2`, …); SQL is never built from values.
struct PGStatement: Sendable {
    let sql: String
    let parameters: [String?]

    init(_ sql: String, _ parameters: [String?] = []) {
        self.sql = sql
        self.parameters = parameters
    }
}

/// The rows of one statement, copied out of libpq as text.
struct PGRows: Sendable {
    let rows: [[String?]]

    var first: [String?]? { rows.first }

    static let none = PGRows(rows: [])

    init(rows: [[String?]]) {
        self.rows = rows
    }

    init(result: OpaquePointer) {
        let count = PQntuples(result)
        let columns = PQnfields(result)
        var rows: [[String?]] = []
        rows.reserveCapacity(Int(count))
        for row in 0..<count {
            var values: [String?] = []
            values.reserveCapacity(Int(columns))
            for column in 0..<columns {
                values.append(
                    PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column)))
            }
            rows.append(values)
        }
        self.rows = rows
    }
}

/// Lends libpq a C array of C strings for the parameters, valid during `body`.
func withParameterPointers<T>(_ parameters: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> T) -> T {
    var pointers: [UnsafeMutablePointer<CChar>?] = parameters.map { $0.map { strdup($0) } ?? nil }
    defer { for pointer in pointers { free(pointer) } }
    return pointers.withUnsafeMutableBufferPointer { buffer in
        buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(buffer.count, 1)) {
            body(parameters.isEmpty ? nil : $0)
        }
    }
}
