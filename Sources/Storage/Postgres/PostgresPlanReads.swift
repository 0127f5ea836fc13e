import FletcherCore
import Foundation

/// The queries that read plans, shared by plain reads and the write transaction.
enum PostgresPlanReads {
    /// The three reads of a whole plan, to send as one pipeline.
    static func planStatements(_ datasetID: UUID) -> [PGStatement] {
        let id = datasetID.lowercasedString
        return [
            PGStatement("SELECT \(PostgresRows.datasetColumns) FROM dataset WHERE id = $1", [id]),
            PGStatement(
                "SELECT \(PostgresRows.productColumns) FROM data_product WHERE dataset_id = $1 ORDER BY position", [id]),
            PGStatement(
                "SELECT \(PostgresRows.dependencyColumns) FROM dependency WHERE dataset_id = $1 ORDER BY position", [id]
            ),
        ]
    }

    /// The plan from the results of `planStatements`.
    static func plan(from results: ArraySlice<PGRows>) throws -> Plan? {
        let results = Array(results)
        guard results.count == 3, let datasetRow = results[0].first else { return nil }
        return Plan(
            dataset: try PostgresRows.dataset(datasetRow), dataProducts: try results[1].rows.map(PostgresRows.product),
            dependencies: try results[2].rows.map(PostgresRows.dependency))
    }

    /// One snapshot for the version and the three reads, so a plan is never read half-changed;
    /// one round trip.
    static func storedPlan(_ datasetID: UUID, in pool: PGPool) async throws -> PlanState? {
        let results = try await pool.pipeline(
            [
                PGStatement("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"),
                PGStatement("SELECT version FROM dataset WHERE id = $1::uuid", [datasetID.lowercasedString]),
            ] + planStatements(datasetID) + [PGStatement("COMMIT")])
        guard let version = results[1].first.flatMap({ $0[0] }).flatMap(Int64.init),
            let plan = try plan(from: results[2...4])
        else { return nil }
        return PlanState(plan: plan, version: version)
    }

    static func dataProduct(_ datasetID: UUID, _ productID: UUID, in pool: PGPool) async throws -> DataProduct? {
        try await pool.query(
            "SELECT \(PostgresRows.productColumns) FROM data_product WHERE dataset_id = $1 AND id = $2",
            [datasetID.lowercasedString, productID.lowercasedString]
        ).first.map(PostgresRows.product)
    }

    static func search(_ term: String, state: State?, page: Int, in pool: PGPool) async throws -> SearchPage {
        let size = SearchPage.pageSize
        let (offset, overflow) = page.multipliedReportingOverflow(by: size)
        guard page >= 0, !overflow else { return SearchPage(rows: [], nextPage: nil) }
        let columns =
            "id, extra::text, \(PostgresRows.micros("last_modified")), paused, "
            + PostgresRows.countColumns.joined(separator: ", ")
        var parameters = [String(size + 1), String(offset)]
        var conditions: [String] = []
        if !term.isEmpty {
            // LIKE with %, _ and \ escaped is a literal substring test the trigram indexes can serve
            // (on a table of their own, migration 7).
            parameters.append("%" + likeEscaped(term.lowercased()) + "%")
            conditions.append("id IN (SELECT id FROM dataset_search WHERE id::text LIKE $3 OR search_extra LIKE $3)")
        }
        // Each state's column has a partial index in the listing's order (migration 5).
        if let state { conditions.append("\(PostgresRows.countColumn(state)) > 0") }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let rows = try await pool.query(
            "SELECT \(columns) FROM dataset \(filter) ORDER BY last_modified DESC, id LIMIT $1 OFFSET $2", parameters
        ).rows
        let found = try rows.map { row in
            SearchPage.Row(
                datasetID: try PostgresRows.uuid(row[0]), extra: try PostgresRows.json(row[1]),
                modifiedDate: try PostgresRows.timestamp(row[2]), paused: row[3] == "t",
                counts: PostgresRows.counts(Array(row[4...])))
        }
        return SearchPage(rows: Array(found.prefix(size)), nextPage: found.count > size ? page + 1 : nil)
    }

    private static func likeEscaped(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "\\" || character == "%" || character == "_" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }
}
