import FletcherCore
import Foundation

/// The outbox and run history on SQLite. One writer serializes claims, so no two dispatchers of
/// this process take the same item.
extension SQLitePlanStore: DispatchStore {
    /// The core's live run states as an SQL list, for `state IN (…)` (the `run_live` index names the same).
    static let liveStates = RunState.live.map { "'\($0.rawValue)'" }.joined(separator: ", ")

    public func claim(_ compute: Compute, now: Timestamp, leaseUntil: Timestamp, limit: Int) async throws
        -> [OutboxItem]
    {
        try await writer.run { connection in
            try connection.transaction(immediate: true) {
                let due = try connection.statement(
                    """
                    UPDATE outbox SET lease_until = ?3 WHERE rowid IN (
                        SELECT o.rowid FROM outbox o JOIN dataset d ON d.id = o.dataset_id
                        WHERE o.compute = ?1 AND o.next_attempt_at <= ?2
                          AND (o.lease_until IS NULL OR o.lease_until <= ?2)
                          AND (o.kind = 'cancel' OR d.paused = 0)
                        ORDER BY o.next_attempt_at LIMIT ?4)
                    RETURNING run_id, kind
                    """
                ).bind(
                    .text(compute.rawValue), SQLiteRows.integer(now), SQLiteRows.integer(leaseUntil),
                    .integer(Int64(limit)))
                var keys: [(String, String)] = []
                while try due.step() { keys.append((due.text(0), due.text(1))) }
                return try keys.map { try Self.item(runID: $0.0, kind: $0.1, on: connection) }
            }
        }
    }

    private static func item(runID: String, kind: String, on connection: SQLiteConnection) throws -> OutboxItem {
        let row = try connection.statement(
            """
            SELECT o.run_id, o.kind, o.compute, o.dataset_id, o.data_product_id, o.attempt_no, r.external_id,
                   EXISTS (SELECT 1 FROM outbox x WHERE x.run_id = o.run_id AND x.kind = 'dispatch'),
                   \(SQLiteRows.productColumns(of: "p"))
            FROM outbox o JOIN run r ON r.run_id = o.run_id
            LEFT JOIN data_product p ON p.dataset_id = o.dataset_id AND p.id = o.data_product_id
            WHERE o.run_id = ?1 AND o.kind = ?2
            """
        ).bind(.text(runID), .text(kind))
        guard try row.step() else { throw SQLiteError(code: 0, message: "claimed outbox item \(runID) vanished") }
        let kind = try SQLiteRows.enumValue(OutboxKind.self, row.text(1))
        return OutboxItem(
            runID: try SQLiteRows.uuid(row.text(0)), kind: kind,
            compute: try SQLiteRows.enumValue(Compute.self, row.text(2)), datasetID: try SQLiteRows.uuid(row.text(3)),
            dataProductID: try SQLiteRows.uuid(row.text(4)), attempt: Int(row.integer(5)),
            product: row.isNull(8) ? nil : try SQLiteRows.product(row, from: 8), externalID: row.optionalText(6),
            dispatchPending: kind == .cancel && row.integer(7) != 0)
    }

    public func recordSubmission(_ runID: UUID, _ submission: Submission, at now: Timestamp) async throws {
        try await writer.run { connection in
            try connection.transaction(immediate: true) {
                let id = SQLiteRows.text(runID)
                try connection.statement(
                    """
                    UPDATE run SET external_id = ?2, link = coalesce(?3, link), submitted_at = ?4,
                        attempts = coalesce(
                            (SELECT attempt_no FROM outbox WHERE run_id = ?1 AND kind = 'dispatch'), attempts)
                    WHERE run_id = ?1
                    """
                ).bind(id, .text(submission.externalID), SQLiteRows.text(submission.link), SQLiteRows.integer(now))
                    .run()
                try connection.statement("DELETE FROM outbox WHERE run_id = ?1 AND kind = 'dispatch'").bind(id).run()
            }
        }
    }

    public func postpone(_ item: OutboxItem, attempt: Int, until at: Timestamp, error: String) async throws {
        try await writer.run { connection in
            try connection.transaction(immediate: true) {
                let id = SQLiteRows.text(item.runID)
                try connection.statement(
                    """
                    UPDATE outbox SET attempt_no = ?3, next_attempt_at = ?4, lease_until = NULL, last_error = ?5
                    WHERE run_id = ?1 AND kind = ?2
                    """
                ).bind(id, .text(item.kind.rawValue), .integer(Int64(attempt)), SQLiteRows.integer(at), .text(error))
                    .run()
                if item.kind == .dispatch {
                    try connection.statement("UPDATE run SET attempts = ?2, last_error = ?3 WHERE run_id = ?1")
                        .bind(id, .integer(Int64(item.attempt)), .text(error)).run()
                }
            }
        }
    }

    public func complete(_ item: OutboxItem, error: String?) async throws {
        try await writer.run { connection in
            try connection.transaction(immediate: true) {
                let id = SQLiteRows.text(item.runID)
                try connection.statement("DELETE FROM outbox WHERE run_id = ?1 AND kind = ?2")
                    .bind(id, .text(item.kind.rawValue)).run()
                if let error {
                    try connection.statement(
                        "UPDATE run SET last_error = ?2, attempts = max(attempts, ?3) WHERE run_id = ?1"
                    ).bind(id, .text(error), .integer(Int64(item.kind == .dispatch ? item.attempt : 0))).run()
                }
            }
        }
    }

    public func liveRuns(_ compute: Compute, limit: Int) async throws -> [RunRef] {
        try await reader.run { connection in
            let rows = try connection.statement(
                """
                SELECT run_id, dataset_id, data_product_id, external_id FROM run
                WHERE compute = ?1 AND state IN (\(Self.liveStates)) AND external_id IS NOT NULL
                ORDER BY queued_at LIMIT ?2
                """
            ).bind(.text(compute.rawValue), .integer(Int64(limit)))
            var runs: [RunRef] = []
            while try rows.step() {
                runs.append(
                    RunRef(
                        runID: try SQLiteRows.uuid(rows.text(0)), datasetID: try SQLiteRows.uuid(rows.text(1)),
                        dataProductID: try SQLiteRows.uuid(rows.text(2)), externalID: rows.text(3)))
            }
            return runs
        }
    }

    public func run(_ runID: UUID) async throws -> RunRecord? {
        try await runs(where: "run_id = ?1", [SQLiteRows.text(runID)]).first
    }

    public func run(_ compute: Compute, externalID: String) async throws -> RunRecord? {
        try await runs(
            where: "compute = ?1 AND external_id = ?2 ORDER BY queued_at DESC LIMIT 1",
            [.text(compute.rawValue), .text(externalID)]
        ).first
    }

    public func runs(_ datasetID: UUID, _ dataProductID: UUID) async throws -> [RunRecord] {
        try await runs(
            where: "dataset_id = ?1 AND data_product_id = ?2 ORDER BY queued_at DESC, rowid DESC",
            [SQLiteRows.text(datasetID), SQLiteRows.text(dataProductID)])
    }

    public func latestRuns(_ datasetID: UUID) async throws -> [RunRecord] {
        // The newest of each product in the order of `runs(_:_:)`.
        try await runs(
            where: """
                rowid IN (
                    SELECT rowid FROM (
                        SELECT rowid, row_number() OVER (
                            PARTITION BY data_product_id ORDER BY queued_at DESC, rowid DESC) AS newest
                        FROM run WHERE dataset_id = ?1)
                    WHERE newest = 1)
                """, [SQLiteRows.text(datasetID)])
    }

    private func runs(where condition: String, _ values: [SQLiteValue]) async throws -> [RunRecord] {
        try await reader.run { connection in
            let rows = try connection.statement("SELECT \(SQLiteRuns.runColumns) FROM run WHERE \(condition)")
            try rows.bind(values)
            var records: [RunRecord] = []
            while try rows.step() { records.append(try SQLiteRuns.runRecord(rows)) }
            return records
        }
    }

    public func queueStats() async throws -> [Compute: QueueStats] {
        try await reader.run { connection in
            let rows = try connection.statement(
                """
                SELECT compute,
                       (SELECT count(*) FROM outbox o WHERE o.compute = r.compute AND o.kind = 'dispatch'),
                       min(queued_at)
                FROM run r WHERE state = 'queued' GROUP BY compute
                """)
            var stats: [Compute: QueueStats] = [:]
            while try rows.step() {
                guard let compute = Compute(rawValue: rows.text(0)) else { continue }
                stats[compute] = QueueStats(
                    waiting: Int(rows.integer(1)), oldestQueuedAt: Timestamp(microsecondsSinceEpoch: rows.integer(2)))
            }
            return stats
        }
    }

    public func callbackSeen(_ compute: Compute, deliveryID: String) async throws -> Bool {
        try await reader.run { connection in
            let row = try connection.statement("SELECT 1 FROM callback_seen WHERE compute = ?1 AND delivery_id = ?2")
                .bind(.text(compute.rawValue), .text(deliveryID))
            let seen = try row.step()
            return seen
        }
    }

    public func rememberCallback(_ compute: Compute, deliveryID: String, at now: Timestamp, forgetBefore: Timestamp)
        async throws
    {
        try await writer.run { connection in
            try connection.transaction(immediate: true) {
                try connection.statement("DELETE FROM callback_seen WHERE seen_at < ?1")
                    .bind(SQLiteRows.integer(forgetBefore)).run()
                try connection.statement(
                    "INSERT INTO callback_seen (compute, delivery_id, seen_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING"
                ).bind(.text(compute.rawValue), .text(deliveryID), SQLiteRows.integer(now)).run()
            }
        }
    }
}
