import Foundation

/// A command's changes handed to the store, with the plan after them: applied already, or, for a
/// big delta, being applied beside the database's write.
///
/// A 50,000-product post keeps PostgreSQL busy for about a second after its rows are sent, while
/// applying the same delta to the cached plan (rows, counts, each row's JSON) takes the server a
/// quarter of that. Done one after the other they added up; now the plan is applied on another
/// thread while the transaction commits, and awaited after it.
struct Written: Sendable {
    private enum State: Sendable {
        case applied(Orchestrator.Committed)
        case applying(Task<PlanState, Never>, PlanDelta, dispatchTo: Set<Compute>, StateTransitions)
    }

    private let state: State

    init(_ committed: Orchestrator.Committed) { state = .applied(committed) }

    fileprivate init(
        applying: Task<PlanState, Never>, _ delta: PlanDelta, dispatchTo: Set<Compute>, _ transitions: StateTransitions
    ) {
        state = .applying(applying, delta, dispatchTo: dispatchTo, transitions)
    }

    /// The commit with the plan after it, once the plan is applied.
    func committed() async -> Orchestrator.Committed {
        switch state {
        case .applied(let committed):
            return committed
        case .applying(let task, let delta, let dispatchTo, let transitions):
            return Orchestrator.Committed(
                state: await task.value, delta: delta, dispatchTo: dispatchTo, transitions: transitions)
        }
    }
}

extension Orchestrator {
    /// Deltas of at least this many rows are applied beside the write; a small one costs less to
    /// apply than to hand to another thread.
    static let applyBesideRows = 1_000

    /// Writes the changes of one commit and applies `delta` to `state` (the plan before it), stamped
    /// with the version the commit writes.
    static func write(
        _ delta: PlanDelta, runs: RunChanges, transitions: StateTransitions, applyingTo state: consuming PlanState,
        over storedVersion: Int64, datasetID: UUID, at now: Timestamp, in transaction: any PlanTransaction
    ) throws -> Written {
        let version = storedVersion + 1
        try write(
            delta, runs: runs, version: version, counts: state.counts(after: delta), datasetID: datasetID, at: now,
            in: transaction)
        guard delta.products.count + delta.dependencies.count >= applyBesideRows else {
            var state = consume state
            state.apply(delta, version: version)
            return Written(
                Committed(state: state, delta: delta, dispatchTo: runs.dispatchComputes, transitions: transitions))
        }
        let handoff = Handoff(consume state)
        let applying = Task.detached {
            var state = handoff.take()
            state.apply(delta, version: version)
            return state
        }
        return Written(applying: applying, delta, dispatchTo: runs.dispatchComputes, transitions)
    }
}

/// Moves a plan into the task that applies a delta to it, so the task holds its storage's only
/// reference: a second one would make applying copy every row.
private final class Handoff: @unchecked Sendable {
    // Safety: written once here, taken once by the one task it is handed to.
    private var state: PlanState?

    init(_ state: consuming PlanState) { self.state = state }

    func take() -> PlanState {
        defer { state = nil }
        return state!
    }
}
