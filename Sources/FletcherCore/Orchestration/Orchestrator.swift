import Foundation
import Synchronization
import Tracing

/// The one path for every change to a plan (`docs/architecture.md`): lock the dataset, take its plan
/// from the cache when the stored version matches (else load it), run the engine, write only the
/// delta, commit, then keep the updated plan cached.
public final class Orchestrator: Sendable {
    public let store: any PlanStore
    let clock: any WallClock
    /// The registered platforms and the ones this deployment dispatches to.
    public let platforms: PlatformCatalog
    let newRunID: @Sendable () -> UUID
    let cache: PlanCache
    let gate = DatasetGate()
    /// Reports waiting for the dataset's turn, by dataset (see `ReportBatch.swift`).
    let pendingReports = Mutex([UUID: [PendingReport]]())
    /// Signalled after a commit that gave the dispatcher work (new attempts or cancels), with the
    /// compute types it is for.
    public let dispatchWork = Wakeup<DispatchScope>()
    /// Every committed change, for the events streams: published here after each commit, or by
    /// the store when it `deliversChanges` (then including other instances' commits).
    public let changes = ChangeFeed()

    public init(
        store: any PlanStore, platforms: PlatformCatalog, clock: any WallClock = SystemWallClock(),
        cache: PlanCache = PlanCache(capacity: 50_000), newRunID: @escaping @Sendable () -> UUID = { UUID() }
    ) {
        self.store = store
        self.clock = clock
        self.platforms = platforms
        self.cache = cache
        self.newRunID = newRunID
    }

    /// Posts (creates or merges) a plan (`docs/concepts.md` §3.2).
    public func post(_ param: PlanParam, by actor: String) async throws -> CommandOutcome {
        try await execute(.post(param), on: param.dataset.id, by: actor)
    }

    /// Applies `command` to the plan of `datasetID` atomically. Throws `CommandError` when the
    /// command is refused (nothing is written), or the store's error when it fails.
    public func execute(_ command: Command, on datasetID: UUID, by actor: String) async throws -> CommandOutcome {
        try await traced(command.name, datasetID) { try await self.locked(command, on: datasetID, by: actor) }
    }

    /// `execute` once in its span: waits for the dataset's turn, then runs the transaction.
    private func locked(_ command: Command, on datasetID: UUID, by actor: String) async throws -> CommandOutcome {
        await gate.enter(datasetID)
        defer { gate.leave(datasetID) }
        let context = EngineContext(actor: actor, now: clock.now(), platforms: platforms, newRunID: newRunID)
        let cache = self.cache
        let dispatching = platforms.dispatching
        let written = try await store.withLockedDataset(datasetID) { transaction -> Written in
            let stored = try Self.currentPlan(datasetID, in: transaction, cache: cache)
            let delta: PlanDelta
            do {
                delta = try Engine.execute(command, datasetID: datasetID, on: stored, context: context)
            } catch {
                if let stored { cache.put(datasetID, stored) }
                throw error
            }
            guard !delta.isEmpty else {
                guard let stored else { throw CommandError.datasetNotFound(datasetID) }
                cache.put(datasetID, stored)
                return Written(
                    Committed(state: stored, delta: delta, dispatchTo: [], transitions: StateTransitions()))
            }
            let runs = RunLedger.changes(of: command, from: stored, to: delta, dispatching: dispatching)
            let transitions = StateTransitions(from: stored, delta)
            let storedVersion = stored?.version ?? 0
            // The plan's storage must be referenced once when the delta is applied, or applying
            // copies every product: the stored plan is consumed into the new one.
            return try Self.write(
                delta, runs: runs, transitions: transitions,
                applyingTo: (consume stored) ?? PlanState.empty(delta.dataset!), over: storedVersion,
                datasetID: datasetID, at: context.now, in: transaction)
        }
        let result = await written.committed()
        committed(result, on: datasetID)
        return CommandOutcome(result)
    }

    /// What `command` would change on the plan as stored now, computed by the engine and written
    /// nowhere (the web UI's confirmation pages). Throws the refusal the command would meet, or
    /// `datasetNotFound`. Another command may commit before this one runs; it is a preview.
    public func preview(_ command: Command, on datasetID: UUID, by actor: String) async throws
        -> (before: PlanState, delta: PlanDelta)
    {
        guard let current = try await currentPlan(datasetID) else { throw CommandError.datasetNotFound(datasetID) }
        let context = EngineContext(actor: actor, now: clock.now(), platforms: platforms, newRunID: newRunID)
        return (current, try Engine.execute(command, datasetID: datasetID, on: current, context: context))
    }

    /// Writes the changes of one commit, the plan rows and then what they did to attempts, and
    /// stamps `state` (the plan with `delta` applied) with the version it commits as.
    static func write(
        _ delta: PlanDelta, runs: RunChanges, transitions: StateTransitions, producing state: PlanState,
        over storedVersion: Int64, datasetID: UUID, at now: Timestamp, in transaction: any PlanTransaction
    ) throws -> Committed {
        let version = storedVersion + 1
        try write(
            delta, runs: runs, version: version, counts: state.counts, datasetID: datasetID, at: now, in: transaction)
        var state = state
        state.apply(PlanDelta(), version: version)
        return Committed(state: state, delta: delta, dispatchTo: runs.dispatchComputes, transitions: transitions)
    }

    static func write(
        _ delta: PlanDelta, runs: RunChanges, version: Int64, counts: [State: Int], datasetID: UUID,
        at now: Timestamp, in transaction: any PlanTransaction
    ) throws {
        try transaction.write(delta, datasetID: datasetID, version: version, counts: counts, at: now)
        if !runs.isEmpty { try transaction.record(runs, datasetID: datasetID, at: now) }
    }

    /// Runs `body`, a command's turn on the dataset and its transaction, as one span of the current
    /// trace (the request's, or the dispatcher's).
    func traced<T>(_ command: String, _ datasetID: UUID, _ body: () async throws -> T) async throws -> T {
        try await withSpan("orchestrator \(command)") { span in
            span.attributes["fletcher.dataset_id"] = datasetID.lowercasedString
            return try await body()
        }
    }

    /// After a commit: cache the plan (only now: a failed commit leaves the cache without the
    /// dataset), wake the dispatcher for new work, tell the events streams.
    func committed(_ result: Committed, on datasetID: UUID) {
        cache.put(datasetID, result.state)
        if !result.dispatchTo.isEmpty { dispatchWork.signal(.only(result.dispatchTo)) }
        result.transitions.count()
        if !result.delta.isEmpty && !store.deliversChanges {
            changes.publish(
                FeedChange(PlanChange(datasetID: datasetID, delta: result.delta, version: result.state.version)))
        }
    }

    /// Applies a compute platform's report (`docs/concepts.md` §3.8). A report that no longer applies,
    /// including one about a dataset or product that is gone, is ignored.
    ///
    /// Platforms repeat themselves (every poll, every webhook that only says "look again"): a
    /// report the cached plan shows to be stale or to change nothing is answered without taking the
    /// dataset's lock, once one read shows the cached plan to be the stored one. Without that
    /// read another instance's commit (a clear that started a new attempt) would go unseen and its
    /// reports be dropped. With it the answer is exact: the report arrived before the read, so the
    /// commit that started its attempt is visible to the read. Reports that do need the lock are
    /// applied in batches, one transaction for all that arrived while the dataset was busy
    /// (`ReportBatch.swift`).
    public func report(_ report: RunReport, on datasetID: UUID, by actor: String) async throws -> ReportResult {
        try await traced("report", datasetID) {
            if let (cached, version) = cache.product(datasetID, report.dataProductID),
                let answer = Self.answerWithoutLock(report, cached),
                try await store.version(of: datasetID) == version
            {
                return answer
            }
            return try await batched(report, on: datasetID, by: actor)
        }
    }

    /// What `report` comes to when `product` is the stored one, if that needs no write.
    static func answerWithoutLock(_ report: RunReport, _ product: DataProduct) -> ReportResult? {
        guard product.isLive(report.runID) else { return .stale }
        return product.state == report.state ? .unchanged : nil
    }

    /// The plan as stored now: from the cache when it holds the stored version (one version read),
    /// else read in one snapshot and cached for the next reader.
    public func currentPlan(_ datasetID: UUID) async throws -> PlanState? {
        guard let version = try await store.version(of: datasetID) else { return nil }
        if let cached = cache.peek(datasetID, version: version) { return cached }
        guard let stored = try await store.storedPlan(datasetID) else { return nil }
        cache.put(datasetID, stored)
        return stored
    }

    public func plan(_ datasetID: UUID) async throws -> Plan? {
        try await currentPlan(datasetID)?.plan
    }

    public func version(of datasetID: UUID) async throws -> Int64? {
        try await store.version(of: datasetID)
    }

    public func dataProduct(_ datasetID: UUID, _ dataProductID: UUID) async throws -> DataProduct? {
        try await store.dataProduct(datasetID, dataProductID)
    }

    public func search(_ term: String, state: State? = nil, page: Int) async throws -> SearchPage {
        try await store.search(term, state: state, page: page)
    }

    static func currentPlan(_ id: UUID, in transaction: any PlanTransaction, cache: PlanCache) throws
        -> PlanState?
    {
        guard let version = transaction.storedVersion else { return nil }
        return try cache.take(id, version: version) ?? transaction.loadPlan()
    }

    struct Committed: Sendable {
        var state: PlanState
        var delta: PlanDelta
        /// The compute types whose outbox the commit added to.
        var dispatchTo: Set<Compute>
        var transitions: StateTransitions
    }
}

/// What became of a platform's report.
public enum ReportResult: String, Sendable, Hashable {
    /// It moved the product.
    case applied
    /// The product was already where the report says.
    case unchanged
    /// It was about an attempt that is no longer live (or a product that is gone): ignored.
    case stale
}

/// What a command did: the plan after it, and the rows it changed.
public struct CommandOutcome: Sendable {
    /// The whole plan after the command, with its JSON.
    public var state: PlanState
    public var plan: Plan { state.plan }
    /// The dataset's version after the command (unchanged when nothing changed).
    public var version: Int64
    /// The product rows the command changed, in plan order.
    public var changes: [DataProduct]
    /// The products the command moved into `queued`, in plan order.
    public var queued: [DataProduct]
    /// True for an adapter report that no longer applied and was ignored.
    public var stale: Bool

    fileprivate init(_ committed: Orchestrator.Committed) {
        state = committed.state
        version = committed.state.version
        changes = committed.delta.changedProducts.map(\.product)
        queued = committed.delta.queued.map { committed.state.products[$0] }
        stale = committed.delta.stale
    }
}

extension PlanState {
    static func empty(_ dataset: Dataset) -> PlanState {
        PlanState(plan: Plan(dataset: dataset, dataProducts: [], dependencies: []), version: 0)
    }
}
