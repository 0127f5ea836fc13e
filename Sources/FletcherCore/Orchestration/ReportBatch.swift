import Foundation
import Synchronization

/// A platform report waiting for its dataset's turn.
struct PendingReport: Sendable {
    let report: RunReport
    let actor: String
    let continuation: CheckedContinuation<ReportTurn, Never>
}

/// What a waiting report is told: lead the batch, or here is your result.
enum ReportTurn: Sendable {
    case lead
    case done(Result<ReportResult, any Error>)
}

/// Group commit for platform reports. Reports about one plan arrive in bursts (a level of
/// products finishing together), and each would otherwise be a transaction of its own on the one
/// dataset lock. The first report of a burst leads: it waits for the dataset's turn, then applies
/// every report that queued up behind it, in arrival order, through the same engine rule each
/// would have gone through alone, and commits them as one change. The result is the serial
/// order of those reports, as docs/concepts.md §4 requires.
extension Orchestrator {
    func batched(_ report: RunReport, on datasetID: UUID, by actor: String) async throws -> ReportResult {
        let turn: ReportTurn = await withCheckedContinuation { continuation in
            let leads = pendingReports.withLock { pending -> Bool in
                guard pending[datasetID] != nil else {
                    pending[datasetID] = []
                    return true
                }
                pending[datasetID]!.append(
                    PendingReport(report: report, actor: actor, continuation: continuation))
                return false
            }
            if leads { continuation.resume(returning: .lead) }
        }
        guard case .lead = turn else {
            guard case .done(let result) = turn else { preconditionFailure("a follower is resumed with its result") }
            return try result.get()
        }
        await gate.enter(datasetID)
        defer { gate.leave(datasetID) }
        let followers = pendingReports.withLock { $0.removeValue(forKey: datasetID) ?? [] }
        do {
            let results = try await apply([(report, actor)] + followers.map { ($0.report, $0.actor) }, on: datasetID)
            for (follower, result) in zip(followers, results.dropFirst()) {
                follower.continuation.resume(returning: .done(.success(result)))
            }
            return results[0]
        } catch {
            for follower in followers { follower.continuation.resume(returning: .done(.failure(error))) }
            throw error
        }
    }

    /// Applies `reports` in order in one transaction; returns what became of each.
    private func apply(_ reports: [(RunReport, String)], on datasetID: UUID) async throws -> [ReportResult] {
        let now = clock.now()
        let (cache, platforms, newRunID) = (self.cache, self.platforms, self.newRunID)
        let (committed, results) = try await store.withLockedDataset(datasetID) {
            transaction -> (Committed?, [ReportResult]) in
            guard var state = try Self.currentPlan(datasetID, in: transaction, cache: cache) else {
                return (nil, reports.map { _ in .stale })
            }
            var combined = PlanDelta()
            var runs = RunChanges()
            var transitions = StateTransitions()
            var results: [ReportResult] = []
            for (report, actor) in reports {
                let context = EngineContext(actor: actor, now: now, platforms: platforms, newRunID: newRunID)
                let delta = Engine.apply(report, on: state, context: context)
                guard !delta.stale else {
                    results.append(.stale)
                    continue
                }
                guard !delta.isEmpty else {
                    results.append(.unchanged)
                    continue
                }
                runs.append(
                    RunLedger.changes(of: .report(report), from: state, to: delta, dispatching: platforms.dispatching))
                transitions.append(StateTransitions(from: state, delta))
                state.apply(delta, version: state.version)
                combined.merge(delta)
                results.append(.applied)
            }
            guard !combined.isEmpty else {
                cache.put(datasetID, state)
                return (nil, results)
            }
            let committed = try Self.write(
                combined, runs: runs, transitions: transitions, producing: state, over: state.version,
                datasetID: datasetID, at: now, in: transaction)
            return (committed, results)
        }
        if let committed { self.committed(committed, on: datasetID) }
        return results
    }
}
