import FletcherCore
import Foundation

/// The write side of one locked dataset inside a transaction.
final class PostgresPlanTransaction: PlanTransaction {
    private let connection: PGConnection
    private let datasetID: UUID
    let storedVersion: Int64?

    /// Takes the dataset's lock: a transaction-scoped advisory lock on its id (which also covers
    /// a dataset not created yet, so two first posts take turns), then the row itself.
    init(_ connection: PGConnection, datasetID: UUID) throws {
        self.connection = connection
        self.datasetID = datasetID
        let id = datasetID.lowercasedString
        try connection.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [id])
        storedVersion = try connection.query("SELECT version FROM dataset WHERE id = $1 FOR UPDATE", [id])
            .first.flatMap { $0[0] }.flatMap(Int64.init)
    }

    func loadPlan() throws -> PlanState? {
        guard let storedVersion, let plan = try PostgresPlanReads.plan(datasetID, on: connection) else { return nil }
        return PlanState(plan: plan, version: storedVersion)
    }

    func write(_ delta: PlanDelta, datasetID: UUID, version: Int64, at now: Timestamp) throws {
        precondition(datasetID == self.datasetID, "a transaction writes only the dataset it locked")
        let id = datasetID.lowercasedString
        let nowMicros = String(now.microsecondsSinceEpoch)
        if let dataset = delta.dataset {
            try connection.query(
                """
                INSERT INTO dataset
                    (id, paused, extra, modified_by, modified_date, version, last_modified, search_extra)
                VALUES ($1, $2, $3::jsonb, $4, \(PostgresRows.timestamp("$5::bigint")), $6,
                        \(PostgresRows.timestamp("$7::bigint")), $8)
                ON CONFLICT (id) DO UPDATE SET
                    paused = excluded.paused, extra = excluded.extra, modified_by = excluded.modified_by,
                    modified_date = excluded.modified_date, version = excluded.version,
                    last_modified = greatest(dataset.last_modified, excluded.last_modified),
                    search_extra = excluded.search_extra
                """,
                [
                    id, dataset.paused ? "true" : "false", dataset.extra?.jsonText, dataset.modifiedBy,
                    String(dataset.modifiedDate.microsecondsSinceEpoch), String(version), nowMicros,
                    dataset.extra?.jsonText.lowercased() ?? "",
                ])
        } else {
            try connection.query(
                """
                UPDATE dataset SET version = $2,
                    last_modified = greatest(last_modified, \(PostgresRows.timestamp("$3::bigint")))
                WHERE id = $1
                """, [id, String(version), nowMicros])
        }
        let products = delta.changedProducts
        if !products.isEmpty {
            try connection.query(
                """
                INSERT INTO data_product (dataset_id, id, position, compute, name, version, eager, passthrough, state,
                                          run_id, link, passback, extra, modified_by, modified_date)
                SELECT $1::uuid, r.id, r.position, r.compute, r.name, r.version, r.eager, nullif(r.passthrough, 'null'),
                       r.state, r.run_id, r.link, nullif(r.passback, 'null'), nullif(r.extra, 'null'), r.modified_by,
                       \(PostgresRows.timestamp("r.modified_us"))
                FROM jsonb_to_recordset($2::jsonb) AS r(
                    id uuid, position integer, compute text, name text, version text, eager boolean, passthrough jsonb,
                    state text, run_id uuid, link text, passback jsonb, extra jsonb, modified_by text, modified_us bigint)
                ON CONFLICT (dataset_id, id) DO UPDATE SET
                    compute = excluded.compute, name = excluded.name, version = excluded.version,
                    eager = excluded.eager, passthrough = excluded.passthrough, state = excluded.state,
                    run_id = excluded.run_id, link = excluded.link, passback = excluded.passback,
                    extra = excluded.extra, modified_by = excluded.modified_by, modified_date = excluded.modified_date
                """, [id, PostgresRows.productsParameter(products)])
        }
        let dependencies = delta.changedDependencies
        if !dependencies.isEmpty {
            try connection.query(
                """
                INSERT INTO dependency (dataset_id, parent_id, child_id, position, extra, modified_by, modified_date)
                SELECT $1::uuid, r.parent_id, r.child_id, r.position, nullif(r.extra, 'null'), r.modified_by,
                       \(PostgresRows.timestamp("r.modified_us"))
                FROM jsonb_to_recordset($2::jsonb) AS r(
                    parent_id uuid, child_id uuid, position integer, extra jsonb, modified_by text, modified_us bigint)
                ON CONFLICT (dataset_id, parent_id, child_id) DO UPDATE SET
                    extra = excluded.extra, modified_by = excluded.modified_by, modified_date = excluded.modified_date
                """, [id, PostgresRows.dependenciesParameter(dependencies)])
        }
    }
}
