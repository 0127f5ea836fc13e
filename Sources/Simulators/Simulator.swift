import Hummingbird

/// What every simulator shares: their jobs, injected faults, and the bearer token they require.
public final class SimulatorCore: Sendable {
    let token: String?
    public let book = JobBook()
    public let faults: FaultPlan

    public init(settings: SimulatorSettings, token: String?) {
        self.token = token
        self.faults = FaultPlan(settings: settings)
    }

    public func authorize(_ request: Request) throws {
        guard let token else { return }
        guard request.headers[.authorization] == "Bearer \(token)" else {
            throw HTTPError(.unauthorized, message: "wrong or missing bearer token")
        }
    }
}

/// A simulated platform: its HTTP API, and, seen from tests, what it was asked and faults to inject.
public protocol Simulator: Sendable {
    var core: SimulatorCore { get }
    func router() -> Router<BasicRequestContext>
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
