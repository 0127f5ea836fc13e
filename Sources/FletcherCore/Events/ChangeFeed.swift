import Foundation
import Synchronization

/// Committed plan changes, fanned out to the event streams of this instance (`docs/api.md` §5), with
/// the most recent ones kept so a reconnecting client can catch up (`Last-Event-ID`).
///
/// Changes arrive from one source, in version order per plan and each once: this instance's
/// orchestrator, or on PostgreSQL the store's change log, which holds every instance's commits.
public final class ChangeFeed: Sendable {
    private struct Subscriber {
        let datasetID: UUID
        let continuation: AsyncStream<FeedChange>.Continuation
    }

    private struct State {
        var subscribers: [UUID: Subscriber] = [:]
        var recent: [FeedChange] = []
        var recentStart = 0
    }

    /// Changes kept for catching up, across all plans.
    public let retained: Int
    /// Changes a subscriber may have waiting before its stream is ended (a client that reads too
    /// slowly): it reconnects with `Last-Event-ID` and catches up instead of missing some.
    public let buffered: Int
    private let state = Mutex(State())
    private let source = Mutex<(@Sendable () async -> Void)?>(nil)

    public init(retained: Int = 1_000, buffered: Int = 1_000) {
        self.retained = retained
        self.buffered = buffered
    }

    public func publish(_ change: FeedChange) {
        let receivers = state.withLock { state -> [AsyncStream<FeedChange>.Continuation] in
            if state.recent.count < retained {
                state.recent.append(change)
            } else {
                state.recent[state.recentStart] = change
                state.recentStart = (state.recentStart + 1) % retained
            }
            return state.subscribers.values.filter { $0.datasetID == change.datasetID }.map(\.continuation)
        }
        for receiver in receivers {
            if case .dropped = receiver.yield(change) { receiver.finish() }
        }
    }

    /// Sets how to wait for a source that publishes after commit (the PostgreSQL change log's
    /// reader), or nil for one that publishes before the committing call returns.
    public func follow(_ caughtUp: (@Sendable () async -> Void)?) {
        source.withLock { $0 = caughtUp }
    }

    /// Returns once every change committed before the call has been published, so a replay
    /// for a reconnecting client is not cut short by a source that lags the database.
    public func catchUp() async {
        guard let caughtUp = source.withLock({ $0 }) else { return }
        await caughtUp()
    }

    /// Ends every subscription and forgets the retained changes: some changes were lost (the
    /// change log was read too late), so clients must reconnect and start over from the plan.
    public func endAll() {
        let ended = state.withLock { state in
            defer {
                state.subscribers.removeAll()
                state.recent.removeAll()
                state.recentStart = 0
            }
            return state.subscribers.values.map(\.continuation)
        }
        for continuation in ended { continuation.finish() }
    }

    /// Changes of `datasetID` from now on, until the stream's consumer goes away or falls
    /// `buffered` changes behind (the stream then ends after the last change it kept, so what it
    /// delivered has no gap).
    public func subscribe(_ datasetID: UUID) -> AsyncStream<FeedChange> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: FeedChange.self, bufferingPolicy: .bufferingOldest(buffered))
        let id = UUID()
        state.withLock { $0.subscribers[id] = Subscriber(datasetID: datasetID, continuation: continuation) }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// The retained changes of `datasetID` after `version`, in order, or nil when some of them
    /// are no longer retained (the client must start over from the plan).
    public func changes(of datasetID: UUID, after version: Int64, upTo current: Int64) -> [FeedChange]? {
        guard version < current else { return [] }
        let kept = state.withLock { state in
            (state.recent[state.recentStart...] + state.recent[..<state.recentStart])
                .filter { $0.datasetID == datasetID && $0.version > version && $0.version <= current }
        }
        var expected = version + 1
        var ordered: [FeedChange] = []
        for change in kept.sorted(by: { $0.version < $1.version }) where change.version >= expected {
            guard change.version == expected else { return nil }
            ordered.append(change)
            expected += 1
        }
        return expected == current + 1 ? ordered : nil
    }
}
