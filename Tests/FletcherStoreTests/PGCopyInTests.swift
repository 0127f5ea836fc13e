import FletcherCore
import FletcherTestSupport
import Foundation
import Testing

@testable import FletcherPostgres

/// COPY runs out of pipeline mode on a connection that otherwise pipelines: after a COPY that
/// the server refuses, the transaction is rolled back and the connection pipelines again.
@Suite("PostgreSQL COPY", .enabled(if: Backend.available.contains(.postgres)))
struct PGCopyInTests {
    private struct Outcome: Sendable {
        let copy: Result<Void, PGError>
        let after: Result<[PGRows], PGError>

        /// The answer of the query after the COPY.
        var count: String? { (try? after.get())?.first?.first.flatMap { $0[0] } }
    }

    private func copyThenQuery(_ store: PostgresPlanStore, _ sql: String, _ data: [UInt8]) async throws -> Outcome {
        try await store.pool.onConnection { connection, done in
            connection.send([PGStatement("BEGIN")]) { _ in
                connection.copyIn(sql, data: data) { copied in
                    connection.send([PGStatement("SELECT count(*) FROM revoked_token"), PGStatement("COMMIT")]) {
                        done(.success(Outcome(copy: copied, after: $0)))
                    }
                }
            }
        }
    }

    @Test func aRefusedCopyLeavesTheConnectionUsable() async throws {
        let directory = try TemporaryDirectory()
        let database = try await TestDatabase.make(.postgres, in: directory)
        let store = try #require(try await database.open(maxConnections: 1) as? PostgresPlanStore)
        let columns = "COPY dependency (dataset_id, parent_id, child_id, position, extra, modified_by, modified_date)"
        // Not a UUID: the server refuses the first row.
        let refused = try await copyThenQuery(store, columns + " FROM STDIN", Array("x\ty\tz\t0\t\\N\tt\tnow\n".utf8))
        guard case .failure(let error) = refused.copy else {
            Issue.record("the COPY of a malformed row succeeded")
            return
        }
        #expect(error.sqlState == "22P02" && !error.isConnectionFailure, "\(error)")
        #expect(refused.count == "0", "the same connection answers afterwards")

        // A large COPY (more than libpq's buffers take at once) into a table without foreign keys.
        let rows = (0..<40_000).map { _ in "\(UUID().lowercasedString)\t2026-12-02T10:00:00.000000Z\n" }.joined()
        let copied = try await copyThenQuery(
            store, "COPY revoked_token (token_hash, expires_at) FROM STDIN", Array(rows.utf8))
        #expect((try? copied.copy.get()) != nil)
        #expect(copied.count == "40000")
    }
}
