import FletcherCore
import Foundation

/// The write side of one locked dataset inside a transaction. Writes are collected, not sent:
/// `PostgresWriteBatch` sends them with the COMMIT, as one pipeline.
final class PostgresPlanTransaction: PlanTransaction, @unchecked Sendable {
    // Safety: used on its connection's loop only, from the caller's step to the COMMIT.
    /// The dataset's row, locked, and its version: sent right after BEGIN. Every change to an
    /// existing dataset holds this lock.
    static func lockRow(_ datasetID: UUID) -> PGStatement {
        PGStatement("SELECT version FROM dataset WHERE id = $1::uuid FOR UPDATE", [datasetID.lowercasedString])
    }

    /// A transaction-scoped lock on a dataset id that has no row (yet): two first posts of one
    /// plan take turns. It is a statement of its own, before `lockRow` is sent again: a statement
    /// reads the rows committed before it began, so a `lockRow` in the same statement would miss
    /// the row of the post it waited for.
    static func lockName(_ datasetID: UUID) -> PGStatement {
        PGStatement("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [datasetID.lowercasedString])
    }

    /// `loadPlan` needs a plan the transaction has not read yet: read it and run the body again.
    struct PlanNotRead: Error {}

    private let datasetID: UUID
    let storedVersion: Int64?
    private let plan: Plan?
    /// The writes, in order, to send with the COMMIT.
    private(set) var statements: [PGStatement] = []
    /// A big new plan's writes before its rows are copied (`copies`), then `statements`.
    private(set) var leading: [PGStatement] = []
    private(set) var copies: [Copy] = []
    typealias Copy = (sql: String, rows: Task<[UInt8], Never>)
    /// Rows from which a new plan is copied rather than unpacked from a JSON parameter.
    static let copyThreshold = 1_000
    private(set) var wroteChange = false
    private var queuedRuns = false
    private var cancelCount: Int?

    init(datasetID: UUID, storedVersion: Int64?, plan: Plan?) {
        self.datasetID = datasetID
        self.storedVersion = storedVersion
        self.plan = plan
    }

    func loadPlan() throws -> PlanState? {
        guard let storedVersion else { return nil }
        guard let plan else { throw PlanNotRead() }
        return PlanState(plan: plan, version: storedVersion)
    }

    /// Whether dispatchers have new work, from the results of `statements`.
    func wroteDispatchWork(_ results: [PGRows]) -> Bool {
        queuedRuns || cancelCount.map { (results[$0].first?[0] ?? nil).flatMap { Int($0) } ?? 0 > 0 } ?? false
    }

    /// Writes the delta in one statement (data-modifying CTEs): one round trip however much
    /// changed. The SQL is assembled from fixed fragments; every value is a parameter.
    func write(_ delta: PlanDelta, datasetID: UUID, version: Int64, counts: [State: Int], at now: Timestamp) throws {
        precondition(datasetID == self.datasetID, "a transaction writes only the dataset it locked")
        var parameters: [String?] = [datasetID.lowercasedString, String(version), String(now.microsecondsSinceEpoch)]
        func parameter(_ value: String?) -> String {
            parameters.append(value)
            return "$\(parameters.count)"
        }
        var parts: [String] = []
        let countValues = State.allCases.map { parameter(String(counts[$0] ?? 0)) + "::integer" }
        let countColumns = PostgresRows.countColumns
        if let dataset = delta.dataset {
            parts.append(
                """
                d AS (
                    INSERT INTO dataset
                        (id, paused, extra, modified_by, modified_date, version, last_modified, search_extra,
                         \(countColumns.joined(separator: ", ")))
                    VALUES ($1::uuid, \(parameter(dataset.paused ? "true" : "false"))::boolean,
                            \(parameter(dataset.extra?.jsonText))::jsonb, \(parameter(dataset.modifiedBy)),
                            \(PostgresRows.timestamp(parameter(String(dataset.modifiedDate.microsecondsSinceEpoch)) + "::bigint")),
                            $2::bigint, \(PostgresRows.timestamp("$3::bigint")),
                            \(parameter(dataset.extra?.jsonText.lowercased() ?? "")),
                            \(countValues.joined(separator: ", ")))
                    ON CONFLICT (id) DO UPDATE SET
                        paused = excluded.paused, extra = excluded.extra, modified_by = excluded.modified_by,
                        modified_date = excluded.modified_date, version = excluded.version,
                        last_modified = greatest(dataset.last_modified, excluded.last_modified),
                        search_extra = excluded.search_extra,
                        \(countColumns.map { "\($0) = excluded.\($0)" }.joined(separator: ", "))
                    RETURNING 1)
                """)
        } else {
            parts.append(
                """
                d AS (
                    UPDATE dataset SET version = $2::bigint,
                        last_modified = greatest(last_modified, \(PostgresRows.timestamp("$3::bigint"))),
                        \(zip(countColumns, countValues).map { "\($0) = \($1)" }.joined(separator: ", "))
                    WHERE id = $1::uuid RETURNING 1)
                """)
        }
        // A dataset created here has no rows yet: a plain insert skips the speculative insertion
        // of ON CONFLICT (a sixth of a 50,000-product post's database time), and a big one is
        // copied (COPY is not allowed in a pipeline: it costs three more round trips).
        let upsert = !delta.createsDataset
        let products = delta.changedProducts
        let dependencies = delta.changedDependencies
        let copying = delta.createsDataset && products.count + dependencies.count >= Self.copyThreshold
        if copying {
            // Built on other threads while the statements before them run (a 50,000-product post's
            // rows take the server about 0.2 s); each copy waits for its rows.
            copies.append(
                (PostgresCopyRows.productsSQL, Task.detached { PostgresCopyRows.products(products, of: datasetID) }))
            if !dependencies.isEmpty {
                copies.append(
                    (
                        PostgresCopyRows.dependenciesSQL,
                        Task.detached { PostgresCopyRows.dependencies(dependencies, of: datasetID) }
                    ))
            }
        }
        if !products.isEmpty && !copying {
            parts.append(
                """
                p AS (
                    INSERT INTO data_product (dataset_id, id, position, compute, name, version, eager, passthrough,
                                              state, run_id, link, passback, extra, modified_by, modified_date)
                    SELECT $1::uuid, r.id, r.position, r.compute, r.name, r.version, r.eager,
                           nullif(r.passthrough, 'null'), r.state, r.run_id, r.link, nullif(r.passback, 'null'),
                           nullif(r.extra, 'null'), r.modified_by, \(PostgresRows.timestamp("r.modified_us"))
                    FROM json_to_recordset(\(parameter(PostgresRows.productsParameter(products)))::json) AS r(
                        id uuid, position integer, compute text, name text, version text, eager boolean,
                        passthrough jsonb, state text, run_id uuid, link text, passback jsonb, extra jsonb,
                        modified_by text, modified_us bigint)
                    \(upsert ? PostgresRows.productUpsert : "")
                    RETURNING 1)
                """)
        }
        if !dependencies.isEmpty && !copying {
            parts.append(
                """
                e AS (
                    INSERT INTO dependency (dataset_id, parent_id, child_id, position, extra, modified_by, modified_date)
                    SELECT $1::uuid, r.parent_id, r.child_id, r.position, nullif(r.extra, 'null'), r.modified_by,
                           \(PostgresRows.timestamp("r.modified_us"))
                    FROM json_to_recordset(\(parameter(PostgresRows.dependenciesParameter(dependencies)))::json) AS r(
                        parent_id uuid, child_id uuid, position integer, extra jsonb, modified_by text,
                        modified_us bigint)
                    \(upsert ? PostgresRows.dependencyUpsert : "")
                    RETURNING 1)
                """)
        }
        // Every instance's events streams read the change from the log once this commits.
        let change = PlanChange(datasetID: datasetID, delta: delta, version: version).json
        parts.append(
            "c AS (INSERT INTO change_log (dataset_id, version, change) VALUES ($1::uuid, $2::bigint, \(parameter(change))))"
        )
        let statement = PGStatement("WITH " + parts.joined(separator: ",\n") + "\nSELECT 1", parameters)
        // The dataset row exists before its products are copied (their foreign key).
        if copying { leading.append(statement) } else { statements.append(statement) }
        wroteChange = true
    }

    func record(_ runs: RunChanges, datasetID: UUID, at now: Timestamp) throws {
        precondition(datasetID == self.datasetID, "a transaction writes only the dataset it locked")
        let recorded = PostgresRuns.statements(recording: runs, datasetID: datasetID, at: now)
        queuedRuns = queuedRuns || !runs.started.isEmpty
        if let cancels = recorded.cancelCount { cancelCount = statements.count + cancels }
        statements += recorded.statements
    }
}
