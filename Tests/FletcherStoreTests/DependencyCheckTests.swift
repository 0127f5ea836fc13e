import FletcherCore
import FletcherTestSupport
import Foundation
import Testing

@testable import FletcherPostgres

/// Migration 8 checks a dependency's products once per statement instead of by two foreign keys
/// row by row: the database still refuses, whoever writes, a dependency naming a product that does
/// not exist (in a statement of many rows, and in a COPY), and a change of a product's key or the
/// deletion of a product that a dependency names.
@Suite("PostgreSQL dependency check", .enabled(if: Backend.available.contains(.postgres)))
struct DependencyCheckTests {
    @Test func theDatabaseRefusesDependenciesOnMissingProducts() async throws {
        let directory = try TemporaryDirectory()
        let database = try await TestDatabase.make(.postgres, in: directory)
        let store = try #require(try await database.open(maxConnections: 1) as? PostgresPlanStore)
        defer { store.close() }
        var factory = PlanFactory()
        _ = try await Orchestrator(store: store, platforms: .builtIn())
            .post(factory.plan(["A", "B", "C", "D"], [("A", "B")]), by: "t")
        let dataset = factory.datasetID.lowercasedString
        let (a, b, c, d) = (factory.id("A"), factory.id("B"), factory.id("C"), factory.id("D"))

        func refused(_ sql: String) async -> String? {
            do {
                _ = try await database.execute(sql)
                return nil
            } catch {
                return "\(error)"
            }
        }
        func edge(_ parent: UUID, _ child: UUID, _ position: Int) -> String {
            "('\(dataset)', '\(parent.lowercasedString)', '\(child.lowercasedString)', \(position), 't', now())"
        }
        let insert =
            "INSERT INTO dependency (dataset_id, parent_id, child_id, position, modified_by, modified_date) VALUES "
        let missing = UUID()
        // One bad row among good ones refuses the whole statement; a missing parent or child alike.
        let badChild = await refused(insert + [edge(b, c, 1), edge(c, missing, 2)].joined(separator: ", "))
        #expect(
            badChild?.contains("a dependency names a data product that does not exist") == true, "\(badChild ?? "")")
        #expect(await refused(insert + edge(missing, d, 1)) != nil)
        // A product of another dataset does not count.
        var other = PlanFactory()
        _ = try await Orchestrator(store: store, platforms: .builtIn()).post(other.plan(["X"]), by: "t")
        #expect(await refused(insert + edge(c, other.id("X"), 1)) != nil)
        #expect(await refused(insert + [edge(b, c, 1), edge(c, d, 2)].joined(separator: ", ")) == nil)
        let count = try await database.execute("SELECT count(*) FROM dependency WHERE dataset_id = '\(dataset)'")
        #expect(count.trimmingCharacters(in: .whitespacesAndNewlines) == "3", "\(count)")

        let moved = await refused("UPDATE dependency SET child_id = '\(missing.lowercasedString)' WHERE position = 2")
        #expect(moved?.contains("does not exist") == true, "\(moved ?? "")")
        let deleted = await refused("DELETE FROM data_product WHERE id = '\(a.lowercasedString)'")
        #expect(deleted?.contains("cannot be deleted") == true, "\(deleted ?? "")")
        let rekeyed = await refused(
            "UPDATE data_product SET id = '\(missing.lowercasedString)' WHERE id = '\(b.lowercasedString)'")
        #expect(rekeyed?.contains("cannot change") == true, "\(rekeyed ?? "")")
        // A product no dependency names may go; the state of one that is named may change.
        #expect(await refused("DELETE FROM data_product WHERE id = '\(other.id("X").lowercasedString)'") == nil)
        #expect(await refused("UPDATE data_product SET state = 'failed' WHERE id = '\(a.lowercasedString)'") == nil)

        // A COPY is checked the same way, with the foreign-key violation's SQLSTATE.
        let copied = try await store.pool.onConnection { connection, done in
            connection.send([PGStatement("BEGIN")]) { _ in
                let row =
                    "\(dataset)\t\(d.lowercasedString)\t\(missing.lowercasedString)\t3\t\\N\tt\t2026-12-03 00:00:00+00\n"
                connection.copyIn(PostgresCopyRows.dependenciesSQL, data: Array(row.utf8)) { result in
                    connection.send([PGStatement("ROLLBACK")]) { _ in done(.success(result)) }
                }
            }
        }
        guard case .failure(let error) = copied else {
            Issue.record("a COPY naming a missing product succeeded")
            return
        }
        #expect(error.sqlState == "23503", "\(error)")
    }
}
