import FletcherCore
import Foundation

/// Run history and outbox rows, written inside the plan transaction that changed the attempts.
enum SQLiteRuns {
    static let runColumns = """
        run_id, dataset_id, data_product_id, compute, attempts, external_id, link, state, queued_at, submitted_at,
        started_at, finished_at, passback, last_error
        """

    static func record(_ runs: RunChanges, datasetID: UUID, at now: Timestamp, on connection: SQLiteConnection) throws {
        let dataset = SQLiteRows.text(datasetID)
        let time = SQLiteRows.integer(now)
        for run in runs.started {
            try connection.statement(
                """
                INSERT INTO run (run_id, dataset_id, data_product_id, compute, attempts, state, queued_at)
                VALUES (?1, ?2, ?3, ?4, 0, 'queued', ?5)
                """
            ).bind(
                SQLiteRows.text(run.runID), dataset, SQLiteRows.text(run.dataProductID), .text(run.compute.rawValue),
                time
            )
            .run()
            try connection.statement(
                """
                INSERT INTO outbox (run_id, kind, dataset_id, data_product_id, compute, attempt_no, next_attempt_at)
                SELECT run_id, 'dispatch', dataset_id, data_product_id, compute, 1, ?2 FROM run WHERE run_id = ?1
                """
            ).bind(SQLiteRows.text(run.runID), time).run()
        }
        for progress in runs.progressed {
            try connection.statement(
                """
                UPDATE run SET state = ?2, link = coalesce(?3, link), passback = coalesce(?4, passback),
                    started_at = CASE WHEN ?2 <> 'queued' THEN coalesce(started_at, ?5) ELSE started_at END,
                    finished_at = CASE WHEN ?2 IN ('success', 'failed') THEN ?5 END,
                    attempts = max(attempts, coalesce(?6, 0)), last_error = coalesce(?7, last_error)
                WHERE run_id = ?1
                """
            ).bind(
                SQLiteRows.text(progress.runID), .text(progress.state.rawValue), SQLiteRows.text(progress.link),
                SQLiteRows.json(progress.passback), time,
                progress.failure.map { .integer(Int64($0.attempts)) } ?? .null,
                SQLiteRows.text(progress.failure?.message)
            ).run()
        }
        for runID in runs.superseded {
            let id = SQLiteRows.text(runID)
            try connection.statement(
                "UPDATE run SET state = 'superseded', finished_at = ?2 WHERE run_id = ?1"
            ).bind(id, time).run()
            // An unclaimed submit is simply withdrawn; one in flight is cancelled once it lands.
            try connection.statement(
                "DELETE FROM outbox WHERE run_id = ?1 AND kind = 'dispatch' AND (lease_until IS NULL OR lease_until < ?2)"
            ).bind(id, time).run()
            try connection.statement(
                """
                INSERT INTO outbox (run_id, kind, dataset_id, data_product_id, compute, attempt_no, next_attempt_at)
                SELECT run_id, 'cancel', dataset_id, data_product_id, compute, 1, ?2 FROM run
                WHERE run_id = ?1 AND (external_id IS NOT NULL OR EXISTS (
                    SELECT 1 FROM outbox WHERE outbox.run_id = ?1 AND kind = 'dispatch'))
                ON CONFLICT DO NOTHING
                """
            ).bind(id, time).run()
        }
    }

    static func runRecord(_ row: SQLiteStatement) throws -> RunRecord {
        func time(_ column: Int32) -> Timestamp? {
            row.isNull(column) ? nil : Timestamp(microsecondsSinceEpoch: row.integer(column))
        }
        return RunRecord(
            runID: try SQLiteRows.uuid(row.text(0)), datasetID: try SQLiteRows.uuid(row.text(1)),
            dataProductID: try SQLiteRows.uuid(row.text(2)),
            compute: try SQLiteRows.enumValue(Compute.self, row.text(3)),
            attempts: Int(row.integer(4)), externalID: row.optionalText(5), link: row.optionalText(6),
            state: try SQLiteRows.enumValue(RunState.self, row.text(7)),
            queuedAt: Timestamp(microsecondsSinceEpoch: row.integer(8)), submittedAt: time(9), startedAt: time(10),
            finishedAt: time(11), passback: try SQLiteRows.json(row.optionalText(12)), lastError: row.optionalText(13))
    }
}
