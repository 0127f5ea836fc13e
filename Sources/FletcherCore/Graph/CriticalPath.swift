/// When one product's attempt waited and ran: what the plan's timeline draws.
public struct AttemptSpan: Sendable, Hashable {
    public var queued: Timestamp
    public var started: Timestamp?
    /// Nil while the attempt is live.
    public var finished: Timestamp?

    public init(queued: Timestamp, started: Timestamp?, finished: Timestamp?) {
        self.queued = queued
        self.started = started
        self.finished = finished
    }

    /// Where the attempt ends on a timeline drawn at `now`: a live one reaches `now`.
    public func end(at now: Timestamp) -> Timestamp {
        finished ?? max(now, started ?? queued)
    }
}

extension PlanGraph {
    /// The chain of attempts that decided when the last one ended, first to last (positions).
    /// It starts from the attempt that ends last and steps back to the parent whose attempt
    /// finished last before that one was queued: the parent it waited for. Ties go to the
    /// earlier position, so the answer does not depend on dictionary order.
    public func criticalPath(_ spans: [Int: AttemptSpan], now: Timestamp) -> [Int] {
        func later(_ a: (Int, Timestamp), _ b: (Int, Timestamp)) -> Bool {
            a.1 != b.1 ? a.1 > b.1 : a.0 < b.0
        }
        guard
            var current = spans.map({ ($0.key, $0.value.end(at: now)) }).min(by: later)?.0
        else { return [] }
        var path = [current]
        while let queued = spans[current]?.queued {
            let waitedFor = parents(of: current).compactMap { parent -> (Int, Timestamp)? in
                guard let finished = spans[Int(parent)]?.finished, finished <= queued else { return nil }
                return (Int(parent), finished)
            }.min(by: later)
            guard let (parent, _) = waitedFor else { break }
            path.append(parent)
            current = parent
        }
        return path.reversed()
    }
}
