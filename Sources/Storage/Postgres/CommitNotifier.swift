import FletcherCore
import Synchronization

/// Tells listeners of commits without slowing the commits down. A NOTIFY inside a write
/// transaction takes a database-wide lock at commit and holds it through the WAL flush, so such
/// transactions cannot share a group commit; here the store only notes, after each commit, which
/// channels have news, and `run` sends at most one empty NOTIFY per channel per `interval` in a
/// transaction of its own that writes nothing. Listeners read what changed from the tables.
final class CommitNotifier: Sendable {
    static let interval: Duration = .milliseconds(10)

    /// Signalled at once for this instance's own changes: its relay need not wait for a NOTIFY.
    let localChanges = Wakeup<Void>()
    private let pending = Mutex<Set<String>>([])
    private let wakeup = Wakeup<Void>()

    /// Called after a commit that wrote a change (`change_log`) and perhaps dispatch work.
    func committed(change: Bool, dispatch: Bool) {
        guard change || dispatch else { return }
        pending.withLock { channels in
            if change { channels.insert(PostgresChanges.channel) }
            if dispatch { channels.insert(PostgresRuns.channel) }
        }
        if change { localChanges.signal() }
        wakeup.signal()
    }

    /// Sends the notifications until the task is cancelled.
    func run(on pool: PGPool) async {
        while !Task.isCancelled {
            await wakeup.wait(upTo: .seconds(60))
            let channels = pending.withLock { channels in
                defer { channels.removeAll() }
                return channels.sorted()
            }
            guard !channels.isEmpty else { continue }
            // A lost notification costs a listener at most its fallback interval.
            _ = try? await pool.pipeline(channels.map { PGStatement("NOTIFY \($0)") })
            try? await Task.sleep(for: Self.interval)
        }
    }
}
