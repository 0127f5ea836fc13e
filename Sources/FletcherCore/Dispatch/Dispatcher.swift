import Foundation
import Logging
import Synchronization
import Tracing

/// Hands queued attempts to their platforms (`docs/dispatch.md` §3): claims due outbox items with a
/// lease, submits them with the run id as idempotency key, retries with backoff, fails the
/// product when the platform refuses or the attempts run out, and sends cancels.
public final class Dispatcher: Sendable {
    private let orchestrator: Orchestrator
    private let store: any DispatchStore
    private let platforms: [Compute: ComputePlatform]
    private let poller: Poller
    private let settings: DispatchSettings
    private let clock: any WallClock
    private let random: @Sendable () -> Double
    private let logger: Logger
    private let inFlight = Mutex([Compute: Int]())
    /// When this dispatcher must look again (its retries, rate-limit tokens coming back), so it
    /// wakes for them rather than at the next idle look (retries of other instances are found by
    /// that look).
    private let wakeTimes = Mutex(WakeSchedule())
    /// Compute types whose last claim took all it could, so more may be due: a finished call (a
    /// slot freed) looks again. After a claim that found less than it could take, new work comes
    /// with a signal of its own (a commit, another instance's notification, a retry's wake time).
    private let mayHaveMore = Mutex(Set<Compute>())

    public init(
        orchestrator: Orchestrator, store: any DispatchStore, platforms: [ComputePlatform], poller: Poller,
        settings: DispatchSettings = DispatchSettings(), clock: any WallClock = SystemWallClock(),
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }, logger: Logger
    ) {
        self.orchestrator = orchestrator
        self.store = store
        self.platforms = Dictionary(uniqueKeysWithValues: platforms.map { ($0.compute, $0) })
        self.poller = poller
        self.settings = settings
        self.clock = clock
        self.random = random
        self.logger = logger
    }

    /// Runs until the task is cancelled. Woken by new work and finished calls, it claims from
    /// the outboxes they concern; looks at every outbox at least every `idleSeconds` (work of
    /// other instances, retries falling due).
    public func run() async {
        let wakeup = orchestrator.dispatchWork
        await withDiscardingTaskGroup { group in
            var scope = DispatchScope.all
            while !Task.isCancelled {
                for platform in platforms.values.sorted(by: { $0.compute < $1.compute })
                where scope.includes(platform.compute) {
                    for item in await claim(platform) {
                        group.addTask {
                            await self.process(item, on: platform)
                            self.inFlight.withLock { $0[platform.compute, default: 0] -= 1 }
                            if self.mayHaveMore.withLock({ $0.contains(platform.compute) }) {
                                wakeup.signal(.only([platform.compute]))
                            }
                        }
                    }
                }
                let now = clock.now()
                let pause = wakeTimes.withLock { $0.pause(at: now, idleSeconds: settings.idleSeconds) }
                scope = pause > 0 ? await wakeup.wait(upTo: .seconds(pause)) : .all
            }
        }
    }

    private func claim(_ platform: ComputePlatform) async -> [OutboxItem] {
        let slots = platform.limits.concurrency - inFlight.withLock { $0[platform.compute, default: 0] }
        // Claim only what can go out now: a claim waiting on the rate limit would eat its lease.
        let tokens = platform.bucket.available()
        let now = clock.now()
        if tokens == 0 { schedule(now.adding(seconds: max(platform.bucket.secondsUntilAvailable(), 0.001))) }
        let free = min(slots, tokens)
        var items: [OutboxItem] = []
        var drained = false
        if free > 0 {
            do {
                items = try await store.claim(
                    platform.compute, now: now, leaseUntil: now.adding(seconds: settings.leaseSeconds), limit: free)
                inFlight.withLock { $0[platform.compute, default: 0] += items.count }
                drained = items.count < free
            } catch {
                logger.warning(
                    "cannot read the outbox", metadata: ["compute": "\(platform.compute)", "error": "\(error)"])
            }
        }
        mayHaveMore.withLock {
            if drained { $0.remove(platform.compute) } else { $0.insert(platform.compute) }
        }
        return items
    }

    /// One outbox item, as the root span of its own trace: the platform call and the transaction
    /// that records its outcome are its children.
    private func process(_ item: OutboxItem, on platform: ComputePlatform) async {
        do {
            try await withSpan("\(item.kind) \(platform.compute)") { span in
                span.attributes["fletcher.run_id"] = item.runID.lowercasedString
                span.attributes["fletcher.dataset_id"] = item.datasetID.lowercasedString
                span.attributes["fletcher.data_product_id"] = item.dataProductID.lowercasedString
                switch item.kind {
                case .dispatch: try await dispatch(item, on: platform)
                case .cancel: try await cancel(item, on: platform)
                }
            }
        } catch {
            // A store failure: the item keeps its lease and is taken again when that runs out.
            logger.warning(
                "outbox item left to its lease",
                metadata: ["run_id": "\(item.runID.lowercasedString)", "kind": "\(item.kind)", "error": "\(error)"])
        }
    }

    private func dispatch(_ item: OutboxItem, on platform: ComputePlatform) async throws {
        guard item.isCurrent, let product = item.product else {
            // Superseded (cleared, disabled, overridden) or gone: nothing to send.
            try await store.complete(item, error: nil)
            DispatchMetrics.attempt(item.compute, "dropped")
            return
        }
        let attempt = Attempt(
            runID: item.runID, datasetID: item.datasetID, dataProductID: item.dataProductID, name: product.name,
            version: product.version, passthrough: product.passthrough, number: item.attempt)
        let submission: Submission
        do {
            try await platform.bucket.acquire()
            submission = try await platform.adapter.submit(attempt)
        } catch let error as AdapterError {
            try await failed(item, error)
            return
        }
        try await store.recordSubmission(item.runID, submission, at: clock.now())
        DispatchMetrics.attempt(item.compute, "submitted")
        logger.debug(
            "submitted",
            metadata: ["run_id": "\(item.runID.lowercasedString)", "external_id": "\(submission.externalID)"])
        let ref = item.ref(submission.externalID)
        if let state = submission.state {
            if state != .queued {
                await poller.apply(RunStatus(state: state, link: submission.link), of: ref, on: platform.compute)
            }
        } else {
            // The platform did not say; ask now rather than at the next poll, so a run that
            // finished before its callback could be matched is not missed.
            if await !poller.poll(ref, on: platform) { poller.followUp(ref, on: platform) }
        }
    }

    private func cancel(_ item: OutboxItem, on platform: ComputePlatform) async throws {
        if item.dispatchPending {
            // The submit may be in flight: cancel once its outcome is recorded.
            guard item.attempt < settings.maxAttempts else { return try await store.complete(item, error: nil) }
            let message = "waiting for the submit in flight"
            return try await store.postpone(item, attempt: item.attempt + 1, until: retryTime(item), error: message)
        }
        guard let externalID = item.externalID else { return try await store.complete(item, error: nil) }
        let ref = item.ref(externalID)
        do {
            try await platform.bucket.acquire()
            try await platform.adapter.cancel(ref)
            try await store.complete(item, error: nil)
            DispatchMetrics.attempt(item.compute, "cancelled")
        } catch let error as AdapterError {
            if error.kind == .retryable, item.attempt < settings.maxAttempts {
                try await store.postpone(
                    item, attempt: item.attempt + 1, until: retryTime(item, error), error: error.message)
            } else {
                logger.notice("cancel not delivered", metadata: ["run_id": "\(item.runID)", "error": "\(error)"])
                DispatchMetrics.attempt(item.compute, "cancel_failed")
                try await store.complete(item, error: "cancel: \(error.message)")
            }
        }
    }

    /// A submit failed: retry later while that can help, else the product fails through the
    /// normal update path with the reason in its passback.
    private func failed(_ item: OutboxItem, _ error: AdapterError) async throws {
        if error.kind == .retryable, item.attempt < settings.maxAttempts {
            logger.info(
                "submit failed; retrying",
                metadata: [
                    "run_id": "\(item.runID.lowercasedString)", "attempt": "\(item.attempt)", "error": "\(error)",
                ])
            try await store.postpone(
                item, attempt: item.attempt + 1, until: retryTime(item, error), error: error.message)
            DispatchMetrics.attempt(item.compute, "retried")
            return
        }
        let failure = DispatchFailure(
            kind: error.kind == .permanent ? .permanent : .attemptsExhausted, attempts: item.attempt,
            message: error.message)
        logger.warning(
            "dispatch failed",
            metadata: [
                "run_id": "\(item.runID.lowercasedString)", "kind": "\(failure.kind.rawValue)", "error": "\(error)",
            ])
        let report = RunReport(
            dataProductID: item.dataProductID, runID: item.runID, state: .failed, passback: failure.passback,
            dispatchFailure: failure)
        _ = try await orchestrator.report(report, on: item.datasetID, by: item.compute.actor)
        try await store.complete(item, error: error.message)
        DispatchMetrics.attempt(item.compute, "failed")
    }

    private func retryTime(_ item: OutboxItem, _ error: AdapterError? = nil) -> Timestamp {
        let delay = settings.backoff.delay(after: item.attempt, retryAfter: error?.retryAfter, unit: random())
        let due = clock.now().adding(seconds: delay)
        schedule(due)
        return due
    }

    /// Adds a wake time. The loop may be waiting for a later one (a finished call wakes it only
    /// when more may be due), so it is told to look at its wake times again, claiming nothing.
    private func schedule(_ due: Timestamp) {
        wakeTimes.withLock { $0.add(due) }
        orchestrator.dispatchWork.signal(.only([]))
    }
}
