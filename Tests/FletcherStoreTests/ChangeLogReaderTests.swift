import FletcherCore
import FletcherTestSupport
import Foundation
import Testing

@testable import FletcherPostgres

/// The change relay reads the log past the newest change it has seen, and again the sequence
/// numbers it saw skipped (a transaction that took its number earlier but committed later): in
/// sequence order, each once, at most `limit`.
@Suite("Reading the PostgreSQL change log", .enabled(if: Backend.available.contains(.postgres)))
struct ChangeLogReaderTests {
    @Test func readsWhatFollowsAndTheGapsInOrder() async throws {
        let directory = try TemporaryDirectory()
        let database = try await TestDatabase.make(.postgres, in: directory)
        let store = try #require(try await database.open(maxConnections: 2) as? PostgresPlanStore)
        let listener = store.listen(channel: "change_log_reader_test")
        defer { listener.stop() }
        let reader = ChangeLogReader(listener: listener, pool: store.pool)
        // 2 and 6 are still missing: their transactions have not committed.
        let dataset = UUID().lowercasedString
        _ = try await database.execute(
            "INSERT INTO change_log (seq, dataset_id, version, change) SELECT n, '\(dataset)', n, '{}' "
                + "FROM unnest(ARRAY[1, 3, 4, 5, 7, 8]) AS n")
        func read(after high: Int64, gaps: String, limit: Int = 10) async throws -> [Int64] {
            try await reader.changeLog(after: high, gaps: gaps, limit: limit).map(\.sequence)
        }
        #expect(try await reader.changeLogEnd() == 8)
        #expect(try await read(after: 0, gaps: "{}") == [1, 3, 4, 5, 7, 8])
        #expect(try await read(after: 4, gaps: "{}") == [5, 7, 8])

        _ = try await database.execute(
            "INSERT INTO change_log (seq, dataset_id, version, change) VALUES (2, '\(dataset)', 2, '{}')")
        #expect(try await read(after: 4, gaps: "{2}") == [2, 5, 7, 8])
        #expect(try await read(after: 4, gaps: "{2,6}", limit: 2) == [2, 5])
        #expect(try await read(after: 8, gaps: "{2,6}") == [2])
        #expect(try await read(after: 3, gaps: "{2,3}") == [2, 3, 4, 5, 7, 8], "each once")
    }
}
