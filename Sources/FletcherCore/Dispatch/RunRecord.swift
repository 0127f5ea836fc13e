import Foundation

/// Where one attempt ended up. `superseded`: the product moved on (cleared, disabled, reset or
/// overridden by an operator) while the run was live.
public enum RunState: String, Codable, Sendable, CaseIterable {
    case queued, running, success, failed, superseded

    /// The run states of a live attempt: the product states of `State.live`, as recorded in the
    /// run history (what the poller asks about).
    public static let live: [RunState] = State.live.compactMap { RunState(rawValue: $0.rawValue) }.sorted {
        $0.rawValue < $1.rawValue
    }
}

/// One attempt in the run history (`docs/dispatch.md` §6), as `GET …/runs` lists it.
public struct RunRecord: Codable, Sendable, Hashable {
    public var runID: UUID
    public var datasetID: UUID
    public var dataProductID: UUID
    public var compute: Compute
    /// Submits made for this attempt so far (retries included).
    public var attempts: Int
    public var externalID: String?
    public var link: String?
    public var state: RunState
    public var queuedAt: Timestamp
    public var submittedAt: Timestamp?
    public var startedAt: Timestamp?
    public var finishedAt: Timestamp?
    public var passback: JSONValue?
    public var lastError: String?

    public init(
        runID: UUID, datasetID: UUID, dataProductID: UUID, compute: Compute, attempts: Int, externalID: String?,
        link: String?, state: RunState, queuedAt: Timestamp, submittedAt: Timestamp?, startedAt: Timestamp?,
        finishedAt: Timestamp?, passback: JSONValue?, lastError: String?
    ) {
        self.runID = runID
        self.datasetID = datasetID
        self.dataProductID = dataProductID
        self.compute = compute
        self.attempts = attempts
        self.externalID = externalID
        self.link = link
        self.state = state
        self.queuedAt = queuedAt
        self.submittedAt = submittedAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.passback = passback
        self.lastError = lastError
    }

    enum CodingKeys: String, CodingKey {
        case runID = "run_id"
        case datasetID = "dataset_id"
        case dataProductID = "data_product_id"
        case compute, attempts
        case externalID = "external_id"
        case link, state
        case queuedAt = "queued_at"
        case submittedAt = "submitted_at"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case passback
        case lastError = "last_error"
    }

    // Optional fields are always emitted, as `null` when empty, like the plan's.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(runID.lowercasedString, forKey: .runID)
        try container.encode(datasetID.lowercasedString, forKey: .datasetID)
        try container.encode(dataProductID.lowercasedString, forKey: .dataProductID)
        try container.encode(compute, forKey: .compute)
        try container.encode(attempts, forKey: .attempts)
        try container.encode(externalID, forKey: .externalID)
        try container.encode(link, forKey: .link)
        try container.encode(state, forKey: .state)
        try container.encode(queuedAt, forKey: .queuedAt)
        try container.encode(submittedAt, forKey: .submittedAt)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(finishedAt, forKey: .finishedAt)
        try container.encode(passback ?? .null, forKey: .passback)
        try container.encode(lastError, forKey: .lastError)
    }

    /// The reference the platform knows this run by, once it was submitted.
    public var ref: RunRef? {
        externalID.map { RunRef(runID: runID, datasetID: datasetID, dataProductID: dataProductID, externalID: $0) }
    }
}
