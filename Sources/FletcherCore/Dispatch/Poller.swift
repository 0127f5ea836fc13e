import Foundation
import Logging
import Tracing

/// Asks platforms about their live runs every `pollSeconds` and feeds the answers to the core
/// (`docs/dispatch.md` §3 step 4); also polls single runs at once when a callback or a submit hints.
public final class Poller: Sendable {
    private let orchestrator: Orchestrator
    private let store: any DispatchStore
    private let platforms: [ComputePlatform]
    private let settings: DispatchSettings
    private let logger: Logger
    /// Single runs to poll until their answer is applied (`followUp`), taken by `run`.
    private let followUps: AsyncStream<(RunRef, ComputePlatform)>
    private let followUpQueue: AsyncStream<(RunRef, ComputePlatform)>.Continuation
    /// Live runs asked about per sweep at most; the oldest first, the rest at the next sweep.
    private static let sweepSize = 1_000

    public init(
        orchestrator: Orchestrator, store: any DispatchStore, platforms: [ComputePlatform],
        settings: DispatchSettings = DispatchSettings(), logger: Logger
    ) {
        self.orchestrator = orchestrator
        self.store = store
        self.platforms = platforms
        self.settings = settings
        self.logger = logger
        (followUps, followUpQueue) = AsyncStream.makeStream(of: (RunRef, ComputePlatform).self)
    }

    /// Runs until the task is cancelled: one loop per platform that polls, and the follow-ups.
    public func run() async {
        await withDiscardingTaskGroup { group in
            for platform in platforms where platform.limits.pollSeconds > 0 {
                group.addTask {
                    while !Task.isCancelled {
                        await self.sweep(platform)
                        try? await Task.sleep(for: .seconds(platform.limits.pollSeconds))
                    }
                }
            }
            // Ends when the task is cancelled.
            for await (run, platform) in followUps {
                group.addTask { await self.pollUntilApplied(run, on: platform) }
            }
        }
    }

    /// Polls `run` now and until its answer is applied, retrying with the dispatch backoff up to
    /// `DISPATCH_MAX_ATTEMPTS` times; returns at once. For the polls that stand in for a report
    /// (after a submit, on a platform's "look at run X" hint): were one lost to a timeout, the run
    /// would wait for the next sweep, or for ever where polling is switched off.
    public func followUp(_ run: RunRef, on platform: ComputePlatform) {
        followUpQueue.yield((run, platform))
    }

    /// Polls every live run of `platform` once, `concurrency` at a time.
    public func sweep(_ platform: ComputePlatform) async {
        let runs: [RunRef]
        do {
            runs = try await store.liveRuns(platform.compute, limit: Self.sweepSize)
        } catch {
            logger.warning("cannot list live runs", metadata: ["compute": "\(platform.compute)", "error": "\(error)"])
            return
        }
        await withTaskGroup(of: Void.self) { group in
            var next = runs.makeIterator()
            for _ in 0..<max(platform.limits.concurrency, 1) {
                guard let run = next.next() else { break }
                group.addTask { await self.poll(run, on: platform) }
            }
            while await group.next() != nil {
                guard let run = next.next() else { continue }
                group.addTask { await self.poll(run, on: platform) }
            }
        }
    }

    /// Asks the platform about one run and applies the answer; true when it was applied.
    @discardableResult
    public func poll(_ run: RunRef, on platform: ComputePlatform) async -> Bool {
        do {
            return try await withSpan("poll \(platform.compute)") { span in
                span.attributes["fletcher.run_id"] = run.runID.lowercasedString
                try await platform.bucket.acquire()
                let status = try await platform.adapter.status(run)
                return await apply(status, of: run, on: platform.compute) != nil
            }
        } catch {
            logger.notice(
                "poll failed",
                metadata: [
                    "run_id": "\(run.runID.lowercasedString)", "external_id": "\(run.externalID)", "error": "\(error)",
                ])
            return false
        }
    }

    private func pollUntilApplied(_ run: RunRef, on platform: ComputePlatform) async {
        for attempt in 1...max(settings.maxAttempts, 1) {
            if await poll(run, on: platform) || Task.isCancelled { return }
            let delay = settings.backoff.delay(after: attempt, retryAfter: nil, unit: Double.random(in: 0.5..<1))
            try? await Task.sleep(for: .seconds(delay))
        }
        logger.warning("run left to the next sweep", metadata: ["run_id": "\(run.runID.lowercasedString)"])
    }

    /// Applies a platform's word on a run through the guarded update path (`docs/concepts.md` §3.8).
    @discardableResult
    public func apply(_ status: RunStatus, of run: RunRef, on compute: Compute) async -> ReportResult? {
        await apply(status, runID: run.runID, datasetID: run.datasetID, dataProductID: run.dataProductID, on: compute)
    }

    /// The same, for a run known by its ids alone (a callback can overtake the record of its submit).
    @discardableResult
    public func apply(_ status: RunStatus, runID: UUID, datasetID: UUID, dataProductID: UUID, on compute: Compute)
        async -> ReportResult?
    {
        let report = RunReport(
            dataProductID: dataProductID, runID: runID, state: status.state, link: status.link,
            passback: status.passback)
        do {
            let result = try await orchestrator.report(report, on: datasetID, by: compute.actor)
            DispatchMetrics.report(compute, result)
            if result == .stale {
                logger.debug("stale report ignored", metadata: ["run_id": "\(runID.lowercasedString)"])
            }
            return result
        } catch {
            logger.warning(
                "report not applied", metadata: ["run_id": "\(runID.lowercasedString)", "error": "\(error)"])
            return nil
        }
    }
}
