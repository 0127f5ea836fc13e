import Foundation

/// One committed change of a plan as the events stream sends it (`docs/api.md` §5):
/// `{version, changes: [{id, state, run_id, link, modified_date}], paused?}`.
public struct PlanChange: Codable, Sendable, Hashable {
    public struct Product: Codable, Sendable, Hashable {
        public var id: UUID
        public var state: State
        public var runID: UUID?
        public var link: String?
        public var modifiedDate: Timestamp

        /// The fields of `product` a change carries.
        public init(_ product: DataProduct) {
            self.init(
                id: product.id, state: product.state, runID: product.runID, link: product.link,
                modifiedDate: product.modifiedDate)
        }

        public init(id: UUID, state: State, runID: UUID?, link: String?, modifiedDate: Timestamp) {
            self.id = id
            self.state = state
            self.runID = runID
            self.link = link
            self.modifiedDate = modifiedDate
        }

        enum CodingKeys: String, CodingKey {
            case id, state
            case runID = "run_id"
            case link
            case modifiedDate = "modified_date"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id.lowercasedString, forKey: .id)
            try container.encode(state, forKey: .state)
            try container.encode(runID?.lowercasedString, forKey: .runID)
            try container.encode(link, forKey: .link)
            try container.encode(modifiedDate, forKey: .modifiedDate)
        }
    }

    public var datasetID: UUID
    public var version: Int64
    public var changes: [Product]
    /// Present when the change paused or unpaused the dataset.
    public var paused: Bool?

    public init(datasetID: UUID, version: Int64, changes: [Product], paused: Bool?) {
        self.datasetID = datasetID
        self.version = version
        self.changes = changes
        self.paused = paused
    }

    /// The change a committed delta made, at the version it committed as.
    public init(datasetID: UUID, delta: PlanDelta, version: Int64) {
        self.datasetID = datasetID
        self.version = version
        self.changes = delta.changedProducts.map { Product($0.product) }
        self.paused = delta.dataset?.paused
    }

    enum CodingKeys: String, CodingKey {
        case datasetID = "dataset_id"
        case version, changes, paused
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(datasetID.lowercasedString, forKey: .datasetID)
        try container.encode(version, forKey: .version)
        try container.encode(changes, forKey: .changes)
        try container.encodeIfPresent(paused, forKey: .paused)
    }

    /// Compact JSON with sorted keys (one SSE `data:` line, one change log row), the encoder's
    /// bytes written by `JSONWriter`: it runs for every committed change (for a first post, one
    /// entry per product), and `JSONEncoder` costs several times more.
    public var json: String {
        var writer = JSONWriter(capacity: 120 + changes.count * 190)
        writer.raw("{")
        writer.key("changes")
        writer.raw("[")
        for (offset, product) in changes.enumerated() {
            if offset > 0 { writer.raw(",") }
            writer.raw("{")
            writer.key("id")
            writer.uuid(product.id)
            writer.raw(",")
            writer.key("link")
            writer.string(product.link)
            writer.raw(",")
            writer.key("modified_date")
            writer.timestamp(product.modifiedDate)
            writer.raw(",")
            writer.key("run_id")
            writer.uuid(product.runID)
            writer.raw(",")
            writer.key("state")
            writer.string(product.state.rawValue)
            writer.raw("}")
        }
        writer.raw("],")
        writer.key("dataset_id")
        writer.uuid(datasetID)
        if let paused {
            writer.raw(",")
            writer.key("paused")
            writer.bool(paused)
        }
        writer.raw(",")
        writer.key("version")
        writer.int(version)
        writer.raw("}")
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}

/// A committed change as the feed hands it out: its plan, its version and its JSON, encoded once
/// however many streams send it.
public struct FeedChange: Sendable, Hashable {
    public let datasetID: UUID
    public let version: Int64
    public let json: String

    public init(datasetID: UUID, version: Int64, json: String) {
        self.datasetID = datasetID
        self.version = version
        self.json = json
    }

    public init(_ change: PlanChange) {
        self.init(datasetID: change.datasetID, version: change.version, json: change.json)
    }
}
