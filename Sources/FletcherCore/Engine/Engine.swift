import Foundation

/// The rules of `docs/concepts.md` §3 as a pure function: a plan and a command in, the changed rows out.
///
/// No I/O, no clock, no randomness (the context carries time and run-id generation), so every
/// rule is testable in microseconds and the orchestrator can run it inside a transaction.
public enum Engine {
    /// Applies `command` to the stored plan of `datasetID` (`nil` when no such dataset is stored).
    /// Returns the rows to write, or the spec's error when the command is refused; a refused
    /// command changes nothing.
    public static func execute(
        _ command: Command, datasetID: UUID, on plan: PlanState?, context: EngineContext
    ) throws(CommandError) -> PlanDelta {
        switch command {
        case .post(let param):
            return try PlanMerge.post(param, onto: plan, context: context)
        case .update(let updates):
            try Validation.check(updates)
            return try update(updates, on: existing(plan, datasetID), context: context)
        case .clear(let ids):
            return try clear(ids, on: existing(plan, datasetID), context: context)
        case .disable(let ids):
            return try disable(ids, on: existing(plan, datasetID), context: context)
        case .pause:
            return try setPaused(true, on: existing(plan, datasetID), context: context)
        case .unpause:
            return try setPaused(false, on: existing(plan, datasetID), context: context)
        case .trigger(let ids):
            return try trigger(ids, on: existing(plan, datasetID), context: context)
        case .report(let runReport):
            return apply(runReport, on: plan, context: context)
        }
    }

    private static func existing(_ plan: PlanState?, _ id: UUID) throws(CommandError) -> PlanState {
        guard let plan else { throw .datasetNotFound(id) }
        return plan
    }

    /// `docs/concepts.md` §3.3: set states exactly as sent, reset descendants, trigger.
    static func update(_ updates: [StateParam], on plan: PlanState, context: EngineContext) throws(CommandError)
        -> PlanDelta
    {
        var execution = Execution(plan: plan, context: context)
        var updated: [Int] = []
        for entry in updates {
            let position = try execution.activePosition(of: entry.id)
            execution.modify(position) { product in
                product.state = entry.state
                product.runID = entry.runID
                product.link = entry.link
                product.passback = entry.passback
            }
            updated.append(position)
        }
        execution.resetDescendants(of: updated)
        execution.triggerAffected()
        return execution.delta
    }

    /// `docs/concepts.md` §3.4: listed products back to `waiting`, descendants reset, trigger (an eager root re-queues).
    static func clear(_ ids: [UUID], on plan: PlanState, context: EngineContext) throws(CommandError) -> PlanDelta {
        var execution = Execution(plan: plan, context: context)
        var cleared: [Int] = []
        for id in ids {
            cleared.append(try execution.activePosition(of: id))
        }
        for position in cleared {
            execution.modify(position) { $0.state = .waiting }
        }
        execution.resetDescendants(of: cleared)
        execution.triggerAffected()
        return execution.delta
    }

    /// `docs/concepts.md` §3.5: permanent; no downstream reset; children blocked only by these can become ready.
    static func disable(_ ids: [UUID], on plan: PlanState, context: EngineContext) throws(CommandError) -> PlanDelta {
        var execution = Execution(plan: plan, context: context)
        for id in ids {
            // A product listed twice is disabled by its first mention, so the second is locked.
            let position = try execution.activePosition(of: id)
            execution.modify(position) { $0.state = .disabled }
        }
        execution.triggerAffected()
        return execution.delta
    }

    /// `docs/concepts.md` §3.6: pause changes no product; unpause runs the trigger rule over the whole plan.
    static func setPaused(_ paused: Bool, on plan: PlanState, context: EngineContext) throws(CommandError)
        -> PlanDelta
    {
        guard plan.dataset.paused != paused else { throw .pauseAlreadySet(plan.dataset.id, paused) }
        var execution = Execution(plan: plan, context: context)
        execution.setDataset { $0.paused = paused }
        if !paused { execution.triggerAll() }
        return execution.delta
    }

    /// `docs/concepts.md` §3.7: queue named waiting products whose parents all succeeded, eager or not.
    static func trigger(_ ids: [UUID], on plan: PlanState, context: EngineContext) throws(CommandError) -> PlanDelta {
        var execution = Execution(plan: plan, context: context)
        var positions: [Int] = []
        for id in ids {
            positions.append(try execution.activePosition(of: id))
        }
        guard !plan.dataset.paused else { throw .triggerWhilePaused(plan.dataset.id) }
        var queued: [Int] = []
        for position in positions {
            let product = execution.product(position)
            guard product.state == .waiting else { throw .notTriggerable(product.id, state: product.state) }
            guard execution.parentsSucceeded(position) else { throw .parentsNotSucceeded(product.id) }
            execution.queue(position)
            queued.append(position)
        }
        var delta = execution.delta
        delta.queued = queued.sorted()
        return delta
    }

    /// `docs/concepts.md` §3.8: a platform's report applies only to the attempt it is about, while that attempt is
    /// live; anything else is stale and ignored without error.
    static func apply(_ report: RunReport, on plan: PlanState?, context: EngineContext) -> PlanDelta {
        var stale = PlanDelta()
        stale.stale = true
        guard [.queued, .running, .success, .failed].contains(report.state), let plan,
            let position = plan.graph.position(of: report.dataProductID)
        else { return stale }
        let current = plan.products[position]
        guard current.isLive(report.runID) else { return stale }
        guard current.state != report.state else { return PlanDelta() }
        var execution = Execution(plan: plan, context: context)
        execution.modify(position) { product in
            product.state = report.state
            if let link = report.link { product.link = link }
            if let passback = report.passback { product.passback = passback }
        }
        execution.resetDescendants(of: [position])
        execution.triggerAffected()
        return execution.delta
    }
}

extension DataProduct {
    /// An attempt is live while its product is queued or running with the attempt's run
    /// id; only a live attempt's reports apply, and only it is submitted, polled or followed.
    public func isLive(_ runID: UUID?) -> Bool {
        State.live.contains(state) && runID != nil && self.runID == runID
    }
}

extension State {
    /// The states in which a product's attempt is live (see `DataProduct.isLive`).
    public static let live: Set<State> = [.queued, .running]
}
