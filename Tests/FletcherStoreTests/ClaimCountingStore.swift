import FletcherCore
import Foundation
import Synchronization

/// A dispatch store that counts the claims made from each compute type's outbox and tells of
/// each one (`looked`); everything else goes to the store it wraps.
final class ClaimCountingStore: DispatchStore {
    private let inner: any DispatchStore
    private let counts = Mutex([Compute: Int]())
    private let continuation: AsyncStream<Compute>.Continuation
    /// Each claim's compute type, once it has returned.
    let looked: AsyncStream<Compute>

    init(_ inner: any DispatchStore) {
        self.inner = inner
        (looked, continuation) = AsyncStream.makeStream(of: Compute.self)
    }

    var claims: [Compute: Int] { counts.withLock { $0 } }

    func claim(_ compute: Compute, now: Timestamp, leaseUntil: Timestamp, limit: Int) async throws -> [OutboxItem] {
        let items = try await inner.claim(compute, now: now, leaseUntil: leaseUntil, limit: limit)
        counts.withLock { $0[compute, default: 0] += 1 }
        continuation.yield(compute)
        return items
    }

    func recordSubmission(_ runID: UUID, _ submission: Submission, at now: Timestamp) async throws {
        try await inner.recordSubmission(runID, submission, at: now)
    }

    func postpone(_ item: OutboxItem, attempt: Int, until at: Timestamp, error: String) async throws {
        try await inner.postpone(item, attempt: attempt, until: at, error: error)
    }

    func complete(_ item: OutboxItem, error: String?) async throws {
        try await inner.complete(item, error: error)
    }

    func liveRuns(_ compute: Compute, limit: Int) async throws -> [RunRef] {
        try await inner.liveRuns(compute, limit: limit)
    }

    func run(_ runID: UUID) async throws -> RunRecord? { try await inner.run(runID) }

    func run(_ compute: Compute, externalID: String) async throws -> RunRecord? {
        try await inner.run(compute, externalID: externalID)
    }

    func runs(_ datasetID: UUID, _ dataProductID: UUID) async throws -> [RunRecord] {
        try await inner.runs(datasetID, dataProductID)
    }

    func latestRuns(_ datasetID: UUID) async throws -> [RunRecord] { try await inner.latestRuns(datasetID) }

    func queueStats() async throws -> [Compute: QueueStats] { try await inner.queueStats() }

    func callbackSeen(_ compute: Compute, deliveryID: String) async throws -> Bool {
        try await inner.callbackSeen(compute, deliveryID: deliveryID)
    }

    func rememberCallback(_ compute: Compute, deliveryID: String, at now: Timestamp, forgetBefore: Timestamp)
        async throws
    {
        try await inner.rememberCallback(compute, deliveryID: deliveryID, at: now, forgetBefore: forgetBefore)
    }
}
