import Hummingbird

/// What both simulators share: their jobs, injected faults, and the bearer token they require.
public final class SimulatorCore: Sendable {
    let token: String?
    let book = JobBook()
    let faults: FaultPlan

    init(settings: SimulatorSettings, token: String?) {
        self.token = token
        self.faults = FaultPlan(settings: settings)
    }

    func authorize(_ request: Request) throws {
        guard let token else { return }
        guard request.headers[.authorization] == "Bearer \(token)" else {
            throw HTTPError(.unauthorized, message: "wrong or missing bearer token")
        }
    }
}

/// A simulated platform, seen from tests: what it was asked, and faults to inject.
public protocol Simulator {
    var core: SimulatorCore { get }
}

extension Simulator {
    /// Every job started, with the submit it was started by.
    public var jobs: [SimulatedJob] { core.book.jobs }
    /// Submit requests received with `key` (refused ones included): more than one is a retry.
    public func submits(forKey key: String) -> Int { core.book.submits(forKey: key) }
    public var submitsByKey: [String: Int] { core.book.submitsByKey }
    /// Faults for the next requests of `operation`, in order, before any random ones.
    public func inject(_ faults: [SimulatorFault], on operation: SimulatorOperation) {
        core.faults.script(faults, on: operation)
    }
    public func update(_ change: (inout SimulatorSettings) -> Void) { core.faults.update(change) }
}
