import Dispatch
import Foundation

/// A connection confined to a serial queue of its own, used from async code.
///
/// SQLite calls block; run on Swift's cooperative pool they would starve every other task
/// (`docs/architecture.md`). A serial queue gets its own thread, so blocking there is harmless.
final class SQLiteDatabase: @unchecked Sendable {
    // Safety: `connection` is only touched on `queue`.
    private let connection: SQLiteConnection
    private let queue: DispatchQueue

    private init(connection: SQLiteConnection, queue: DispatchQueue) {
        self.connection = connection
        self.queue = queue
    }

    /// Opens the connection on its own queue: even opening a file may block.
    static func open(path: String, label: String) async throws -> SQLiteDatabase {
        let queue = DispatchQueue(label: "fletcher.sqlite.\(label)")
        return try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(
                    with: Result { try SQLiteDatabase(connection: SQLiteConnection(path: path), queue: queue) })
            }
        }
    }

    /// Runs `body` with the connection on the database's own thread.
    func run<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                let result = Result { try body(self.connection) }
                self.connection.releaseStatements()
                continuation.resume(with: result)
            }
        }
    }
}
