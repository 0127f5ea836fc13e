import Foundation

/// What one command does to the attempts of dispatching compute types (`docs/dispatch.md` §3), written
/// in the same transaction as the plan rows: new attempts go to the outbox, reports move their
/// run, superseded runs are cancelled.
public struct RunChanges: Sendable, Hashable {
    /// Attempts the command created: a run row and a `dispatch` outbox row each.
    public var started: [StartedRun] = []
    /// Runs whose platform report (or dispatch failure) the command applied.
    public var progressed: [RunProgress] = []
    /// Runs no longer wanted (cleared, disabled, reset, overridden): cancelled best effort.
    public var superseded: [UUID] = []
    /// The compute types dispatchers now have something to do for: attempts to start or runs
    /// to cancel.
    public var dispatchComputes: Set<Compute> = []

    public init() {}

    public var isEmpty: Bool { started.isEmpty && progressed.isEmpty && superseded.isEmpty }

    /// Adds the changes of a later command, keeping the order they happened in.
    public mutating func append(_ later: RunChanges) {
        started += later.started
        progressed += later.progressed
        superseded += later.superseded
        dispatchComputes.formUnion(later.dispatchComputes)
    }
}

public struct StartedRun: Sendable, Hashable {
    public var runID: UUID
    public var dataProductID: UUID
    public var compute: Compute
}

public struct RunProgress: Sendable, Hashable {
    public var runID: UUID
    public var state: State
    public var link: String?
    public var passback: JSONValue?
    /// The dispatcher gave the attempt up: its submits and last error go on the run.
    public var failure: DispatchFailure?
}

public enum RunLedger {
    /// Compares each changed product with its stored row. A product holds a live run while it is
    /// `queued` or `running` with a `run_id` on a dispatching compute type.
    public static func changes(
        of command: Command, from base: PlanState?, to delta: PlanDelta, dispatching: Set<Compute>
    ) -> RunChanges {
        var changes = RunChanges()
        guard !dispatching.isEmpty else { return changes }
        let report: RunReport? = if case .report(let report) = command { report } else { nil }
        let queued = Set(delta.queued)
        let stored = base?.products ?? []
        for (position, product) in delta.changedProducts {
            let before = position < stored.count ? liveRun(stored[position], dispatching) : nil
            let after = liveRun(product, dispatching)
            if let before, let report, before == report.runID {
                changes.progressed.append(
                    RunProgress(
                        runID: before, state: product.state, link: product.link, passback: product.passback,
                        failure: report.dispatchFailure))
            } else if let before, before != after {
                changes.superseded.append(before)
                changes.dispatchComputes.insert(stored[position].compute)
            }
            if let after, after != before, queued.contains(position) {
                changes.started.append(StartedRun(runID: after, dataProductID: product.id, compute: product.compute))
                changes.dispatchComputes.insert(product.compute)
            }
        }
        return changes
    }

    private static func liveRun(_ product: DataProduct, _ dispatching: Set<Compute>) -> UUID? {
        guard dispatching.contains(product.compute), product.isLive(product.runID) else { return nil }
        return product.runID
    }
}
