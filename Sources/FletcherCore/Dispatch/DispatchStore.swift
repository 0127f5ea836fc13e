import Foundation

/// The outbox and run history (`docs/dispatch.md` §3, §6), beside `PlanStore` in the same database.
/// Plan rows still change only through the orchestrator; these calls touch only `outbox`, `run`
/// and `callback_seen`.
public protocol DispatchStore: Sendable {
    /// Leases up to `limit` due outbox items of `compute` until `leaseUntil`: items whose
    /// `next_attempt_at` has come and whose lease is free or ran out. `dispatch` items of paused
    /// datasets stay where they are. Concurrent claimers (other instances) never get the same item.
    func claim(_ compute: Compute, now: Timestamp, leaseUntil: Timestamp, limit: Int) async throws -> [OutboxItem]

    /// The platform accepted the attempt: records its id and link on the run and removes the
    /// `dispatch` item, in one transaction.
    func recordSubmission(_ runID: UUID, _ submission: Submission, at now: Timestamp) async throws

    /// Puts a claimed item back for another try at `at`, as attempt `attempt`.
    func postpone(_ item: OutboxItem, attempt: Int, until at: Timestamp, error: String) async throws

    /// Removes a claimed item for good, keeping `error` (when given) on the run.
    func complete(_ item: OutboxItem, error: String?) async throws

    /// Submitted runs still `queued` or `running`, oldest first: what the poller asks about.
    func liveRuns(_ compute: Compute, limit: Int) async throws -> [RunRef]

    func run(_ runID: UUID) async throws -> RunRecord?

    /// The run a platform knows by `externalID`.
    func run(_ compute: Compute, externalID: String) async throws -> RunRecord?

    /// Every attempt of one product, newest first.
    func runs(_ datasetID: UUID, _ dataProductID: UUID) async throws -> [RunRecord]

    /// The latest attempt of each product of a dataset that has one (the plan's timeline).
    func latestRuns(_ datasetID: UUID) async throws -> [RunRecord]

    /// Per compute type: attempts waiting to be submitted, and when the oldest attempt still
    /// `queued` (submitted or not) was queued.
    func queueStats() async throws -> [Compute: QueueStats]

    /// Whether a callback delivery was applied before.
    func callbackSeen(_ compute: Compute, deliveryID: String) async throws -> Bool

    /// Remembers an applied delivery (and forgets those older than `forgetBefore`).
    func rememberCallback(_ compute: Compute, deliveryID: String, at now: Timestamp, forgetBefore: Timestamp)
        async throws
}

public struct QueueStats: Sendable, Hashable {
    public var waiting: Int
    public var oldestQueuedAt: Timestamp?

    public init(waiting: Int, oldestQueuedAt: Timestamp?) {
        self.waiting = waiting
        self.oldestQueuedAt = oldestQueuedAt
    }
}

public enum OutboxKind: String, Sendable, Hashable, CaseIterable {
    case dispatch, cancel
}

/// A leased outbox item with what processing it needs: the attempt's product as it is now (to
/// drop superseded attempts) and the run's external id (to cancel).
public struct OutboxItem: Sendable, Hashable {
    public var runID: UUID
    public var kind: OutboxKind
    public var compute: Compute
    public var datasetID: UUID
    public var dataProductID: UUID
    /// The number of the submit (or cancel) this claim makes, from 1.
    public var attempt: Int
    /// The product now; nil when it is gone.
    public var product: DataProduct?
    public var externalID: String?
    /// For a `cancel`: the attempt's `dispatch` item still exists (its submit may be in flight).
    public var dispatchPending: Bool

    public init(
        runID: UUID, kind: OutboxKind, compute: Compute, datasetID: UUID, dataProductID: UUID, attempt: Int,
        product: DataProduct?, externalID: String?, dispatchPending: Bool
    ) {
        self.runID = runID
        self.kind = kind
        self.compute = compute
        self.datasetID = datasetID
        self.dataProductID = dataProductID
        self.attempt = attempt
        self.product = product
        self.externalID = externalID
        self.dispatchPending = dispatchPending
    }

    /// The attempt as the platform knows it, once it has the platform's id.
    public func ref(_ externalID: String) -> RunRef {
        RunRef(runID: runID, datasetID: datasetID, dataProductID: dataProductID, externalID: externalID)
    }

    /// True while this attempt is the product's live one. `running` counts: a callback can move
    /// the product before its submit is recorded (or before a crash lost the record), and only a
    /// resubmit with the same idempotency key tells Fletcher the platform's id of the run.
    public var isCurrent: Bool {
        product?.isLive(runID) ?? false
    }
}

/// A database Fletcher runs on: plans and dispatch state side by side.
public typealias FletcherStore = DispatchStore & PlanStore & RevocationStore
