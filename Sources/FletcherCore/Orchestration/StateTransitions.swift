import Metrics

/// The state changes one commit made, counted as `fletcher_state_transitions_total{compute,from,to}`
/// (`docs/api.md` §6); a new product counts as coming `from` `none`.
struct StateTransitions: Sendable {
    private var changes: [(compute: Compute, from: String, to: State)] = []

    init() {}

    init(from stored: PlanState?, _ delta: PlanDelta) {
        let products = stored?.products ?? []
        for (position, product) in delta.changedProducts {
            let from = position < products.count ? products[position].state.rawValue : "none"
            if from != product.state.rawValue { changes.append((product.compute, from, product.state)) }
        }
    }

    /// Adds the transitions of a later command of the same commit (a batch counts as its reports would).
    mutating func append(_ later: StateTransitions) {
        changes += later.changes
    }

    func count() {
        for change in changes {
            Counter(
                label: "fletcher_state_transitions_total",
                dimensions: [("compute", change.compute.rawValue), ("from", change.from), ("to", change.to.rawValue)]
            ).increment()
        }
    }
}
