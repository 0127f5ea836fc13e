import FletcherCore
import Foundation

/// Plan changes across instances. Each write transaction appends its change to `change_log`; after
/// commit the `CommitNotifier` sends a short NOTIFY, and every instance's relay reads the rows it
/// has not seen, in sequence order, into its `ChangeFeed`. The relay is the feed's only source on
/// PostgreSQL, so a change reaches each subscriber once whichever instance committed it.
public enum PostgresChanges {
    static let channel = "fletcher_changes"
    /// How often the log is read when no notification arrives (a lost LISTEN connection).
    static let fallbackInterval: Duration = .seconds(1)
    /// Reads of the log are at least this far apart: under load one read takes the changes of
    /// many commits, instead of one read (and one wake-up) per commit.
    static let readInterval: Duration = .milliseconds(5)
    /// Rows are kept this long; a relay that could not read for longer ends its streams.
    static let retention: Duration = .seconds(600)
    static let batch = 1_000

    /// Tells this instance's events streams, and through NOTIFY other instances, of commits, and
    /// feeds every instance's changes into `feed`, until the task is cancelled.
    public static func relay(from store: PostgresPlanStore, into feed: ChangeFeed) async {
        let listener = store.listen(channel: channel)
        let wakeup = store.notifier.localChanges
        let barrier = ChangeLogBarrier(wakeup: wakeup)
        feed.follow { await barrier.wait() }
        defer {
            feed.follow(nil)
            barrier.open()
        }
        await withTaskCancellationHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { await store.notifier.run(on: store.pool) }
                group.addTask {
                    for await _ in listener.notifications { wakeup.signal() }
                }
                group.addTask {
                    await follow(
                        ChangeLogReader(listener: listener, pool: store.pool), into: feed, wakeup: wakeup,
                        barrier: barrier)
                    listener.stop()
                }
            }
        } onCancel: {
            listener.stop()
        }
    }

    private static func follow(
        _ log: ChangeLogReader, into feed: ChangeFeed, wakeup: Wakeup<Void>, barrier: ChangeLogBarrier
    ) async {
        var cursor: ChangeLogCursor?
        // Callers waiting for the current read, released when it has read to the log's end.
        var waiting: [CheckedContinuation<Void, Never>] = []
        defer { for waiter in waiting { waiter.resume() } }
        var lastRead = ContinuousClock.now
        var lastAttempt = ContinuousClock.now
        var pruner = ChangeLogPruner(retention: retention)
        while !Task.isCancelled {
            let sinceLast = ContinuousClock.now - lastAttempt
            if sinceLast < readInterval { try? await Task.sleep(for: readInterval - sinceLast) }
            lastAttempt = ContinuousClock.now
            waiting += barrier.readStarting()
            do {
                if cursor == nil { cursor = ChangeLogCursor(after: try await log.changeLogEnd()) }
                let now = ContinuousClock.now
                if now - lastRead > retention / 2 {
                    // Rows may have been deleted unread: streams start over from the plan.
                    feed.endAll()
                    cursor = ChangeLogCursor(after: try await log.changeLogEnd())
                }
                var reading = cursor!
                reading.expire(at: now)
                let rows = try await log.changeLog(after: reading.high, gaps: reading.gapsParameter, limit: batch)
                lastRead = ContinuousClock.now
                for row in rows where reading.take(row.sequence, at: now) { feed.publish(row.change) }
                cursor = reading
                if let horizon = pruner.horizon(high: reading.high, at: now) {
                    _ = try? await log.query(PGStatement("DELETE FROM change_log WHERE seq <= $1", [String(horizon)]))
                }
                if rows.count == batch { continue }
            } catch {
                // The database is away; the next read after it is back picks up where this left.
                // Waiting callers go on with what the feed has.
            }
            for waiter in waiting { waiter.resume() }
            waiting.removeAll()
            await wakeup.wait(upTo: fallbackInterval)
        }
    }
}

/// Decides when rows are old enough to delete: remembers the log's end once a minute and hands
/// back the end seen `retention` ago. No timestamp column or index needed.
struct ChangeLogPruner {
    let retention: Duration
    private var marks: [(at: ContinuousClock.Instant, high: Int64)] = []

    init(retention: Duration) {
        self.retention = retention
    }

    mutating func horizon(high: Int64, at now: ContinuousClock.Instant) -> Int64? {
        if marks.last.map({ now - $0.at >= .seconds(60) }) ?? true { marks.append((now, high)) }
        guard let oldest = marks.first, now - oldest.at >= retention else { return nil }
        marks.removeFirst()
        return oldest.high
    }
}

/// Reads the change log on the listener's own connection, so a busy pool never delays the events
/// streams; through the pool while that connection is not up (at start, after a loss).
struct ChangeLogReader {
    let listener: PGListener
    let pool: PGPool

    func query(_ statement: PGStatement) async throws -> PGRows {
        do {
            return try await listener.query(statement)
        } catch let error as PGError where error.isConnectionFailure {
            return try await pool.pipeline([statement])[0]
        }
    }

    struct LoggedChange {
        let sequence: Int64
        let change: FeedChange
    }

    /// The newest sequence number in the log (0 when empty).
    func changeLogEnd() async throws -> Int64 {
        try await query(PGStatement("SELECT coalesce(max(seq), 0) FROM change_log")).first.flatMap { $0[0] }
            .flatMap(Int64.init) ?? 0
    }

    func changeLog(after high: Int64, gaps: String, limit: Int) async throws -> [LoggedChange] {
        try await query(
            PGStatement(
                // Two index scans merged: with `seq > $1 OR seq = ANY(…)` PostgreSQL walked the
                // whole log's index (15 ms a read on 27,000 rows, many reads a second under load).
                """
                (SELECT seq, dataset_id, version, change FROM change_log WHERE seq > $1 ORDER BY seq LIMIT $3)
                UNION ALL
                (SELECT seq, dataset_id, version, change FROM change_log WHERE seq = ANY($2::bigint[]) AND seq <= $1)
                ORDER BY seq LIMIT $3
                """,
                [String(high), gaps, String(limit)])
        ).rows.compactMap { row in
            guard let sequence = row[0].flatMap(Int64.init), let datasetID = row[1].flatMap(UUID.init(uuidString:)),
                let version = row[2].flatMap(Int64.init), let json = row[3]
            else { return nil }
            return LoggedChange(
                sequence: sequence, change: FeedChange(datasetID: datasetID, version: version, json: json))
        }
    }
}
