import FletcherCore
import Foundation

/// The outbox and run history on PostgreSQL, shared by every instance: claims skip rows another
/// instance holds locked (`FOR UPDATE SKIP LOCKED`) and lease what they take.
extension PostgresPlanStore: DispatchStore {
    /// The core's live run states as an SQL list, for `state IN (…)` (the `run_live` index names the same).
    static let liveStates = RunState.live.map { "'\($0.rawValue)'" }.joined(separator: ", ")

    public func claim(_ compute: Compute, now: Timestamp, leaseUntil: Timestamp, limit: Int) async throws
        -> [OutboxItem]
    {
        let product = PostgresRows.productColumns(of: "p")
        let rows = try await pool.unsynchronized(
            PGStatement(
                """
                WITH due AS (
                    SELECT o.run_id, o.kind FROM outbox o JOIN dataset d ON d.id = o.dataset_id
                    WHERE o.compute = $1 AND o.next_attempt_at <= \(PostgresRows.timestamp("$2::bigint"))
                      AND (o.lease_until IS NULL OR o.lease_until <= \(PostgresRows.timestamp("$2::bigint")))
                      AND (o.kind = 'cancel' OR NOT d.paused)
                    ORDER BY o.next_attempt_at LIMIT $4
                    FOR UPDATE OF o SKIP LOCKED)
                UPDATE outbox o SET lease_until = \(PostgresRows.timestamp("$3::bigint"))
                FROM due JOIN run r ON r.run_id = due.run_id
                LEFT JOIN data_product p ON p.dataset_id = r.dataset_id AND p.id = r.data_product_id
                WHERE o.run_id = due.run_id AND o.kind = due.kind
                RETURNING o.run_id, o.kind, o.compute, o.dataset_id, o.data_product_id, o.attempt_no, r.external_id,
                    EXISTS (SELECT 1 FROM outbox x WHERE x.run_id = o.run_id AND x.kind = 'dispatch'), \(product)
                """,
                [
                    compute.rawValue, String(now.microsecondsSinceEpoch), String(leaseUntil.microsecondsSinceEpoch),
                    String(limit),
                ]
            )
        ).rows
        return try rows.map { row in
            let kind = try PostgresRows.value(OutboxKind.self, row[1])
            return OutboxItem(
                runID: try PostgresRows.uuid(row[0]), kind: kind, compute: try PostgresRows.value(Compute.self, row[2]),
                datasetID: try PostgresRows.uuid(row[3]), dataProductID: try PostgresRows.uuid(row[4]),
                attempt: Int(row[5] ?? "1") ?? 1,
                product: row[8] == nil ? nil : try PostgresRows.product(Array(row[8...])),
                externalID: row[6], dispatchPending: kind == .cancel && row[7] == "t")
        }
    }

    public func recordSubmission(_ runID: UUID, _ submission: Submission, at now: Timestamp) async throws {
        _ = try await pool.unsynchronized(
            PGStatement(
                """
                WITH o AS (DELETE FROM outbox WHERE run_id = $1::uuid AND kind = 'dispatch' RETURNING attempt_no)
                UPDATE run SET external_id = $2, link = coalesce($3, link),
                    submitted_at = \(PostgresRows.timestamp("$4::bigint")),
                    attempts = coalesce((SELECT attempt_no FROM o), attempts)
                WHERE run_id = $1::uuid
                """,
                [
                    runID.lowercasedString, submission.externalID, submission.link,
                    String(now.microsecondsSinceEpoch),
                ]))
    }

    public func postpone(_ item: OutboxItem, attempt: Int, until at: Timestamp, error: String) async throws {
        _ = try await pool.unsynchronized(
            PGStatement(
                """
                WITH o AS (
                    UPDATE outbox SET attempt_no = $3, next_attempt_at = \(PostgresRows.timestamp("$4::bigint")),
                        lease_until = NULL, last_error = $5
                    WHERE run_id = $1::uuid AND kind = $2 RETURNING kind)
                UPDATE run SET attempts = $6, last_error = $5
                WHERE run_id = $1::uuid AND EXISTS (SELECT 1 FROM o WHERE kind = 'dispatch')
                """,
                [
                    item.runID.lowercasedString, item.kind.rawValue, String(attempt),
                    String(at.microsecondsSinceEpoch),
                    error, String(item.attempt),
                ]))
    }

    public func complete(_ item: OutboxItem, error: String?) async throws {
        _ = try await pool.unsynchronized(
            PGStatement(
                """
                WITH o AS (DELETE FROM outbox WHERE run_id = $1::uuid AND kind = $2 RETURNING kind)
                UPDATE run SET last_error = $3::text, attempts = greatest(attempts, $4::integer)
                WHERE run_id = $1::uuid AND $3::text IS NOT NULL
                """,
                [
                    item.runID.lowercasedString, item.kind.rawValue, error,
                    String(item.kind == .dispatch ? item.attempt : 0),
                ]))
    }

    public func liveRuns(_ compute: Compute, limit: Int) async throws -> [RunRef] {
        try await pool.query(
            """
            SELECT run_id, dataset_id, data_product_id, external_id FROM run
            WHERE compute = $1 AND state IN (\(Self.liveStates)) AND external_id IS NOT NULL
            ORDER BY queued_at LIMIT $2
            """, [compute.rawValue, String(limit)]
        ).rows.map { row in
            RunRef(
                runID: try PostgresRows.uuid(row[0]), datasetID: try PostgresRows.uuid(row[1]),
                dataProductID: try PostgresRows.uuid(row[2]), externalID: row[3] ?? "")
        }
    }

    public func run(_ runID: UUID) async throws -> RunRecord? {
        try await runs(where: "run_id = $1::uuid", [runID.lowercasedString]).first
    }

    public func run(_ compute: Compute, externalID: String) async throws -> RunRecord? {
        try await runs(
            where: "compute = $1 AND external_id = $2 ORDER BY queued_at DESC LIMIT 1", [compute.rawValue, externalID]
        ).first
    }

    public func runs(_ datasetID: UUID, _ dataProductID: UUID) async throws -> [RunRecord] {
        try await runs(
            where: "dataset_id = $1::uuid AND data_product_id = $2::uuid ORDER BY queued_at DESC, run_id",
            [datasetID.lowercasedString, dataProductID.lowercasedString])
    }

    public func latestRuns(_ datasetID: UUID) async throws -> [RunRecord] {
        // DISTINCT ON keeps the first row of each product in the order of `runs(_:_:)`.
        try await pool.query(
            """
            SELECT DISTINCT ON (data_product_id) \(PostgresRuns.runColumns) FROM run WHERE dataset_id = $1::uuid
            ORDER BY data_product_id, queued_at DESC, run_id
            """, [datasetID.lowercasedString]
        ).rows.map(PostgresRuns.runRecord)
    }

    private func runs(where condition: String, _ parameters: [String?]) async throws -> [RunRecord] {
        try await pool.query("SELECT \(PostgresRuns.runColumns) FROM run WHERE \(condition)", parameters).rows
            .map(PostgresRuns.runRecord)
    }

    public func queueStats() async throws -> [Compute: QueueStats] {
        try await pool.query(
            """
            SELECT compute,
                   (SELECT count(*) FROM outbox o WHERE o.compute = r.compute AND o.kind = 'dispatch'),
                   \(PostgresRows.micros("min(queued_at)"))
            FROM run r WHERE state = 'queued' GROUP BY compute
            """
        ).rows.reduce(into: [Compute: QueueStats]()) { stats, row in
            guard let compute = row[0].flatMap(Compute.init(rawValue:)) else { return }
            stats[compute] = QueueStats(
                waiting: Int(row[1] ?? "0") ?? 0,
                oldestQueuedAt: row[2].flatMap(Int64.init).map(Timestamp.init(microsecondsSinceEpoch:)))
        }
    }

    public func callbackSeen(_ compute: Compute, deliveryID: String) async throws -> Bool {
        try await pool.query(
            "SELECT 1 FROM callback_seen WHERE compute = $1 AND delivery_id = $2", [compute.rawValue, deliveryID]
        ).first != nil
    }

    public func rememberCallback(_ compute: Compute, deliveryID: String, at now: Timestamp, forgetBefore: Timestamp)
        async throws
    {
        _ = try await pool.unsynchronized(
            PGStatement(
                """
                WITH forgotten AS (DELETE FROM callback_seen WHERE seen_at < \(PostgresRows.timestamp("$4::bigint")))
                INSERT INTO callback_seen (compute, delivery_id, seen_at)
                VALUES ($1, $2, \(PostgresRows.timestamp("$3::bigint"))) ON CONFLICT DO NOTHING
                """,
                [
                    compute.rawValue, deliveryID, String(now.microsecondsSinceEpoch),
                    String(forgetBefore.microsecondsSinceEpoch),
                ]))
    }

    /// Wakes the dispatcher of this instance when any instance commits dispatch work.
    public func dispatchNotifications() -> PGListener {
        listen(channel: PostgresRuns.channel)
    }
}
