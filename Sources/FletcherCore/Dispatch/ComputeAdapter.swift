import Foundation

/// One compute platform, as the dispatcher, the poller and the callback route see it
/// (`docs/dispatch.md` §1). Implementations live in their own modules and speak HTTP; nothing here does.
public protocol ComputeAdapter: Sendable {
    var compute: Compute { get }

    /// Starts the run of one attempt. `attempt.runID` is the platform's idempotency key, so a
    /// repeated submit of one attempt must return the run the first one started.
    func submit(_ attempt: Attempt) async throws(AdapterError) -> Submission

    /// Asks the platform where a run is.
    func status(_ run: RunRef) async throws(AdapterError) -> RunStatus

    /// Asks the platform to stop a run (best effort).
    func cancel(_ run: RunRef) async throws(AdapterError)

    /// Authenticates and decodes a callback from the platform.
    func verifyCallback(headers: [String: String], body: [UInt8], now: Timestamp) throws(CallbackRejection)
        -> CallbackEvent

    /// Follows the platform where its events are pulled rather than pushed (a watch stream):
    /// runs until the task is cancelled, handing each event to `deliver` as a callback would.
    /// A platform that calls back, or is only polled, has nothing to follow.
    func follow(_ deliver: @escaping @Sendable (CallbackEvent) async -> Void) async
}

extension ComputeAdapter {
    public func follow(_ deliver: @escaping @Sendable (CallbackEvent) async -> Void) async {}
}

/// What a platform needs to start one attempt of a product.
public struct Attempt: Sendable, Hashable {
    public var runID: UUID
    public var datasetID: UUID
    public var dataProductID: UUID
    public var name: String
    public var version: String
    public var passthrough: JSONValue?
    /// 1 for the first submit of this attempt, counting retries.
    public var number: Int

    public init(
        runID: UUID, datasetID: UUID, dataProductID: UUID, name: String, version: String, passthrough: JSONValue?,
        number: Int
    ) {
        self.runID = runID
        self.datasetID = datasetID
        self.dataProductID = dataProductID
        self.name = name
        self.version = version
        self.passthrough = passthrough
        self.number = number
    }
}

/// The platform's answer to a submit.
public struct Submission: Sendable, Hashable {
    public var externalID: String
    public var link: String?
    /// The run's state when the platform says it; nil makes the dispatcher ask at once.
    public var state: State?

    public init(externalID: String, link: String? = nil, state: State? = nil) {
        self.externalID = externalID
        self.link = link
        self.state = state
    }
}

/// A run that the platform knows (it has an external id).
public struct RunRef: Sendable, Hashable {
    public var runID: UUID
    public var datasetID: UUID
    public var dataProductID: UUID
    public var externalID: String

    public init(runID: UUID, datasetID: UUID, dataProductID: UUID, externalID: String) {
        self.runID = runID
        self.datasetID = datasetID
        self.dataProductID = dataProductID
        self.externalID = externalID
    }
}

/// Where a platform says a run is, mapped to Fletcher's states (queued, running, success, failed).
public struct RunStatus: Sendable, Hashable {
    public var state: State
    public var link: String?
    public var passback: JSONValue?

    public init(state: State, link: String? = nil, passback: JSONValue? = nil) {
        self.state = state
        self.link = link
        self.passback = passback
    }
}

/// A verified callback.
public enum CallbackEvent: Sendable, Hashable {
    /// The platform says where the run `runID` is. `deliveryID` identifies the delivery, so a
    /// replayed one is applied once.
    case report(runID: UUID, status: RunStatus, deliveryID: String?)
    /// The platform says something happened to its run `externalID`; ask it.
    case poll(externalID: String)
}

/// A callback refused before anything was applied.
public enum CallbackRejection: Error, Sendable, Hashable {
    /// Missing or wrong credentials or signature, or a timestamp outside the window (401).
    case unauthorized(String)
    /// The body does not parse (400).
    case malformed(String)
}

/// A failed call to a platform, classified for the dispatcher (`docs/dispatch.md` §1).
public struct AdapterError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// Network, timeout, 429, 5xx: try again later.
        case retryable
        /// Any other refusal or a response that makes no sense: trying again will not help.
        case permanent
    }

    public var kind: Kind
    public var message: String
    /// Seconds the platform asked us to wait (Retry-After).
    public var retryAfter: Double?

    public init(_ kind: Kind, _ message: String, retryAfter: Double? = nil) {
        self.kind = kind
        self.message = message
        self.retryAfter = retryAfter
    }

    public var description: String { "\(kind.rawValue): \(message)" }
}
