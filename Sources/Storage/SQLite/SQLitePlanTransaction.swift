import FletcherCore
import Foundation

/// The write side of one locked dataset inside a `BEGIN IMMEDIATE` transaction.
final class SQLitePlanTransaction: PlanTransaction {
    private let connection: SQLiteConnection
    private let datasetID: UUID
    let storedVersion: Int64?

    init(_ connection: SQLiteConnection, datasetID: UUID) throws {
        self.connection = connection
        self.datasetID = datasetID
        let row = try connection.statement("SELECT version FROM dataset WHERE id = ?")
            .bind(SQLiteRows.text(datasetID))
        storedVersion = try row.step() ? row.integer(0) : nil
    }

    func loadPlan() throws -> PlanState? {
        guard let storedVersion, let plan = try SQLitePlanReads.plan(datasetID, on: connection) else { return nil }
        return PlanState(plan: plan, version: storedVersion)
    }

    func write(_ delta: PlanDelta, datasetID: UUID, version: Int64, counts: [State: Int], at now: Timestamp) throws {
        precondition(datasetID == self.datasetID, "a transaction writes only the dataset it locked")
        let id = SQLiteRows.text(datasetID)
        let countValues = State.allCases.map { SQLiteValue.integer(Int64(counts[$0] ?? 0)) }
        let countColumns = SQLiteRows.countColumns
        if let dataset = delta.dataset {
            let countParameters = countColumns.indices.map { "?\($0 + 9)" }
            try connection.statement(
                """
                INSERT INTO dataset
                    (id, paused, extra, modified_by, modified_date, version, last_modified, search_extra,
                     \(countColumns.joined(separator: ", ")))
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, \(countParameters.joined(separator: ", ")))
                ON CONFLICT (id) DO UPDATE SET
                    paused = excluded.paused, extra = excluded.extra, modified_by = excluded.modified_by,
                    modified_date = excluded.modified_date, version = excluded.version,
                    last_modified = max(dataset.last_modified, excluded.last_modified),
                    search_extra = excluded.search_extra,
                    \(countColumns.map { "\($0) = excluded.\($0)" }.joined(separator: ", "))
                """
            ).bind(
                [
                    id, SQLiteRows.integer(dataset.paused), SQLiteRows.json(dataset.extra), .text(dataset.modifiedBy),
                    SQLiteRows.integer(dataset.modifiedDate), .integer(version), SQLiteRows.integer(now),
                    .text(dataset.extra?.jsonText.lowercased() ?? ""),
                ] + countValues
            ).run()
        } else {
            let assignments = countColumns.enumerated().map { "\($1) = ?\($0 + 4)" }
            try connection.statement(
                """
                UPDATE dataset SET version = ?2, last_modified = max(last_modified, ?3),
                    \(assignments.joined(separator: ", "))
                WHERE id = ?1
                """
            ).bind([id, .integer(version), SQLiteRows.integer(now)] + countValues).run()
        }
        let upsertProduct = """
            INSERT INTO data_product (dataset_id, position, \(SQLiteRows.productColumns))
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
            ON CONFLICT (dataset_id, id) DO UPDATE SET
                compute = excluded.compute, name = excluded.name, version = excluded.version,
                eager = excluded.eager, passthrough = excluded.passthrough, state = excluded.state,
                run_id = excluded.run_id, link = excluded.link, passback = excluded.passback,
                extra = excluded.extra, modified_by = excluded.modified_by, modified_date = excluded.modified_date
            """
        for (position, product) in delta.changedProducts {
            try connection.statement(upsertProduct).bind(
                id, .integer(Int64(position)), SQLiteRows.text(product.id), .text(product.compute.rawValue),
                .text(product.name), .text(product.version), SQLiteRows.integer(product.eager),
                SQLiteRows.json(product.passthrough), .text(product.state.rawValue), SQLiteRows.text(product.runID),
                SQLiteRows.text(product.link), SQLiteRows.json(product.passback), SQLiteRows.json(product.extra),
                .text(product.modifiedBy), SQLiteRows.integer(product.modifiedDate)
            ).run()
        }
        let upsertDependency = """
            INSERT INTO dependency
                (dataset_id, position, parent_id, child_id, extra, modified_by, modified_date)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
            ON CONFLICT (dataset_id, parent_id, child_id) DO UPDATE SET
                extra = excluded.extra, modified_by = excluded.modified_by, modified_date = excluded.modified_date
            """
        for (position, dependency) in delta.changedDependencies {
            try connection.statement(upsertDependency).bind(
                id, .integer(Int64(position)), SQLiteRows.text(dependency.parentID),
                SQLiteRows.text(dependency.childID),
                SQLiteRows.json(dependency.extra), .text(dependency.modifiedBy),
                SQLiteRows.integer(dependency.modifiedDate)
            ).run()
        }
    }

    func record(_ runs: RunChanges, datasetID: UUID, at now: Timestamp) throws {
        precondition(datasetID == self.datasetID, "a transaction writes only the dataset it locked")
        try SQLiteRuns.record(runs, datasetID: datasetID, at: now, on: connection)
    }
}
