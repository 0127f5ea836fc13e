/// Which outboxes the dispatcher looks at when it wakes: those of the compute types a commit gave
/// work, or all. With many platforms a commit that queues one product then costs one claim, not
/// one per platform.
public enum DispatchScope: Sendable, Hashable {
    /// Every compute type: another instance's commit, a retry falling due, the idle look.
    case all
    case only(Set<Compute>)

    public func includes(_ compute: Compute) -> Bool {
        guard case .only(let computes) = self else { return true }
        return computes.contains(compute)
    }

    public func merged(with other: DispatchScope) -> DispatchScope {
        guard case .only(let mine) = self, case .only(let theirs) = other else { return .all }
        return .only(mine.union(theirs))
    }
}

extension Wakeup where Reason == DispatchScope {
    /// The dispatcher's wake-up: signals add up their compute types; an unsignalled wake-up
    /// looks at every one.
    public convenience init() {
        self.init(unsignalled: .all, merge: { $0.merged(with: $1) })
    }
}
