import Synchronization

/// How a simulated platform behaves (`docs/dispatch.md` §8).
public struct SimulatorSettings: Sendable, Hashable {
    /// Seconds from submit to the end of a run (half queued, half running); 0 = at once.
    public var runSeconds: Double = 0
    /// Share of runs that end failed.
    public var failureRatio: Double = 0
    /// Share of requests answered 503, 429, with a stall past the client's timeout, or with garbage.
    public var serverErrorRatio: Double = 0
    public var throttleRatio: Double = 0
    public var timeoutRatio: Double = 0
    public var garbageRatio: Double = 0
    /// Whether the platform calls back on every state change.
    public var callbacks = true
    /// How long a `timeout` fault holds its answer.
    public var stallSeconds: Double = 35

    public init() {}
}

/// One injected misbehaviour of the next request of an operation.
public enum SimulatorFault: Sendable, Hashable {
    /// 503 without doing anything.
    case serverError
    /// 429 with `Retry-After: seconds`.
    case throttle(retryAfter: Int)
    /// Does the work, then answers only after `stallSeconds` (the client has given up by then).
    case timeout
    /// Does the work, then answers 500: the caller cannot know it worked.
    case acceptThenFail
    /// 200 with a body that is not JSON.
    case garbage
    /// 400 with this message.
    case badRequest(String)
}

public enum SimulatorOperation: String, Sendable, Hashable, CaseIterable {
    case submit, status, cancel
}

/// Faults to inject: scripted ones first (in order, per operation), then at random by the ratios.
public final class FaultPlan: Sendable {
    private let scripted = Mutex([SimulatorOperation: [SimulatorFault]]())
    private let settings: Mutex<SimulatorSettings>

    init(settings: SimulatorSettings) {
        self.settings = Mutex(settings)
    }

    public var current: SimulatorSettings { settings.withLock { $0 } }

    func update(_ change: (inout SimulatorSettings) -> Void) {
        settings.withLock { change(&$0) }
    }

    func script(_ faults: [SimulatorFault], on operation: SimulatorOperation) {
        scripted.withLock { $0[operation, default: []].append(contentsOf: faults) }
    }

    public func next(for operation: SimulatorOperation) -> SimulatorFault? {
        if let fault = scripted.withLock({ $0[operation]?.isEmpty == false ? $0[operation]!.removeFirst() : nil }) {
            return fault
        }
        let settings = current
        var draw = Double.random(in: 0..<1)
        for (ratio, fault) in [
            (settings.serverErrorRatio, SimulatorFault.serverError), (settings.throttleRatio, .throttle(retryAfter: 1)),
            (settings.timeoutRatio, .timeout), (settings.garbageRatio, .garbage),
        ] {
            if draw < ratio { return fault }
            draw -= ratio
        }
        return nil
    }
}
