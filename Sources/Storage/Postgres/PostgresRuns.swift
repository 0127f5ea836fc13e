import FletcherCore
import Foundation

/// Run history and outbox rows, written inside the plan transaction that changed the attempts.
enum PostgresRuns {
    /// Dispatchers of every instance listen here; the `CommitNotifier` sends after commit.
    static let channel = "fletcher_dispatch"

    static let runColumns = """
        run_id, dataset_id, data_product_id, compute, attempts, external_id, link, state, \
        \(PostgresRows.micros("queued_at")), \(PostgresRows.micros("submitted_at")), \
        \(PostgresRows.micros("started_at")), \(PostgresRows.micros("finished_at")), passback::text, last_error
        """

    /// The statements that record `runs`, and which of them answers with the number of cancels
    /// it queued (dispatchers have new work when that is not 0, or when runs started).
    static func statements(recording runs: RunChanges, datasetID: UUID, at now: Timestamp)
        -> (statements: [PGStatement], cancelCount: Int?)
    {
        var statements: [PGStatement] = []
        var cancelCount: Int?
        let dataset = datasetID.lowercasedString
        let time = String(now.microsecondsSinceEpoch)
        let at = PostgresRows.timestamp("$2::bigint")
        if !runs.started.isEmpty {
            let rows = JSONValue.array(
                runs.started.map {
                    [
                        "run_id": .string($0.runID.lowercasedString),
                        "data_product_id": .string($0.dataProductID.lowercasedString),
                        "compute": .string($0.compute.rawValue),
                    ]
                })
            statements.append(
                PGStatement(
                    """
                    WITH r AS (
                        INSERT INTO run (run_id, dataset_id, data_product_id, compute, attempts, state, queued_at)
                        SELECT x.run_id, $1::uuid, x.data_product_id, x.compute, 0, 'queued', \(at)
                        FROM jsonb_to_recordset($3::jsonb) AS x(run_id uuid, data_product_id uuid, compute text)
                        RETURNING run_id, data_product_id, compute),
                    o AS (
                        INSERT INTO outbox (run_id, kind, dataset_id, data_product_id, compute, attempt_no, next_attempt_at)
                        SELECT run_id, 'dispatch', $1::uuid, data_product_id, compute, 1, \(at) FROM r
                        RETURNING 1)
                    SELECT 1
                    """, [dataset, time, rows.jsonText]))
        }
        for progress in runs.progressed {
            statements.append(
                PGStatement(
                    """
                    UPDATE run SET state = $3, link = coalesce($4, link), passback = coalesce($5::jsonb, passback),
                        started_at = CASE WHEN $3 <> 'queued' THEN coalesce(started_at, \(at)) ELSE started_at END,
                        finished_at = CASE WHEN $3 IN ('success', 'failed') THEN \(at) END,
                        attempts = greatest(attempts, coalesce($6::integer, 0)), last_error = coalesce($7, last_error)
                    WHERE run_id = $1::uuid
                    """,
                    [
                        progress.runID.lowercasedString, time, progress.state.rawValue, progress.link,
                        progress.passback?.jsonText, progress.failure.map { String($0.attempts) },
                        progress.failure?.message,
                    ]))
        }
        if !runs.superseded.isEmpty {
            let ids = "{" + runs.superseded.map(\.lowercasedString).joined(separator: ",") + "}"
            // One snapshot for all three parts: `withdrawn` tells which submits were still unclaimed.
            cancelCount = statements.count
            statements.append(
                PGStatement(
                    """
                    WITH s AS (
                        UPDATE run SET state = 'superseded', finished_at = \(at) WHERE run_id = ANY($1::uuid[])
                        RETURNING run_id, dataset_id, data_product_id, compute, external_id),
                    withdrawn AS (
                        DELETE FROM outbox WHERE run_id = ANY($1::uuid[]) AND kind = 'dispatch'
                            AND (lease_until IS NULL OR lease_until < \(at))
                        RETURNING run_id),
                    c AS (
                        INSERT INTO outbox (run_id, kind, dataset_id, data_product_id, compute, attempt_no, next_attempt_at)
                        SELECT s.run_id, 'cancel', s.dataset_id, s.data_product_id, s.compute, 1, \(at) FROM s
                        WHERE s.external_id IS NOT NULL OR (
                            EXISTS (SELECT 1 FROM outbox x WHERE x.run_id = s.run_id AND x.kind = 'dispatch')
                            AND s.run_id NOT IN (SELECT run_id FROM withdrawn))
                        ON CONFLICT DO NOTHING
                        RETURNING 1)
                    SELECT count(*) FROM c
                    """, [ids, time]))
        }
        return (statements, cancelCount)
    }

    static func runRecord(_ row: [String?]) throws -> RunRecord {
        func time(_ text: String?) throws -> Timestamp? { try text.map { try PostgresRows.timestamp($0) } }
        return RunRecord(
            runID: try PostgresRows.uuid(row[0]), datasetID: try PostgresRows.uuid(row[1]),
            dataProductID: try PostgresRows.uuid(row[2]), compute: try PostgresRows.value(Compute.self, row[3]),
            attempts: Int(row[4] ?? "0") ?? 0, externalID: row[5], link: row[6],
            state: try PostgresRows.value(RunState.self, row[7]), queuedAt: try PostgresRows.timestamp(row[8]),
            submittedAt: try time(row[9]), startedAt: try time(row[10]), finishedAt: try time(row[11]),
            passback: try PostgresRows.json(row[12]), lastError: row[13])
    }
}
