import Foundation

/// The platform a data product runs on, by the wire name of its plugin (`nomad`, `k8s_batch`, …):
/// lowercase `[a-z][a-z0-9_]*`, at most 63 characters. The set of names is open; which ones a
/// deployment knows is the plugin registry's business (`PlatformCatalog`), not the model's.
public struct Compute: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init?(rawValue: String) {
        guard Self.isValid(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    public static func isValid(_ name: String) -> Bool {
        guard let first = name.utf8.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first),
            name.utf8.count <= 63
        else { return false }
        return name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "_")
        }
    }

    public var description: String { rawValue }

    public static func < (lhs: Compute, rhs: Compute) -> Bool { lhs.rawValue < rhs.rawValue }
}

extension Compute: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let compute = Compute(rawValue: name) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "'\(name)' is not a compute name (lowercase letters, digits and _)")
        }
        self = compute
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// The life cycle of a data product (`docs/concepts.md` §2).
public enum State: String, Codable, Sendable, CaseIterable {
    case waiting
    case queued
    case running
    case success
    case failed
    case disabled
}

public struct Dataset: Codable, Hashable, Sendable {
    public var id: UUID
    public var paused: Bool
    public var extra: JSONValue?
    public var modifiedBy: String
    public var modifiedDate: Timestamp

    public init(id: UUID, paused: Bool, extra: JSONValue?, modifiedBy: String, modifiedDate: Timestamp) {
        self.id = id
        self.paused = paused
        self.extra = extra
        self.modifiedBy = modifiedBy
        self.modifiedDate = modifiedDate
    }

    enum CodingKeys: String, CodingKey {
        case id, paused, extra
        case modifiedBy = "modified_by"
        case modifiedDate = "modified_date"
    }
}

public struct DataProduct: Codable, Hashable, Sendable {
    public var id: UUID
    public var compute: Compute
    public var name: String
    public var version: String
    public var eager: Bool
    public var passthrough: JSONValue?
    public var state: State
    public var runID: UUID?
    public var link: String?
    public var passback: JSONValue?
    public var extra: JSONValue?
    public var modifiedBy: String
    public var modifiedDate: Timestamp

    public init(
        id: UUID, compute: Compute, name: String, version: String, eager: Bool, passthrough: JSONValue?,
        state: State, runID: UUID?, link: String?, passback: JSONValue?, extra: JSONValue?,
        modifiedBy: String, modifiedDate: Timestamp
    ) {
        self.id = id
        self.compute = compute
        self.name = name
        self.version = version
        self.eager = eager
        self.passthrough = passthrough
        self.state = state
        self.runID = runID
        self.link = link
        self.passback = passback
        self.extra = extra
        self.modifiedBy = modifiedBy
        self.modifiedDate = modifiedDate
    }

    enum CodingKeys: String, CodingKey {
        case id, compute, name, version, eager, passthrough, state
        case runID = "run_id"
        case link, passback, extra
        case modifiedBy = "modified_by"
        case modifiedDate = "modified_date"
    }

    // Optional fields are always emitted, as `null` when empty (docs/api.md §1).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id.lowercasedString, forKey: .id)
        try container.encode(compute, forKey: .compute)
        try container.encode(name, forKey: .name)
        try container.encode(version, forKey: .version)
        try container.encode(eager, forKey: .eager)
        try container.encode(passthrough ?? .null, forKey: .passthrough)
        try container.encode(state, forKey: .state)
        try container.encode(runID?.lowercasedString, forKey: .runID)
        try container.encode(link, forKey: .link)
        try container.encode(passback ?? .null, forKey: .passback)
        try container.encode(extra ?? .null, forKey: .extra)
        try container.encode(modifiedBy, forKey: .modifiedBy)
        try container.encode(modifiedDate, forKey: .modifiedDate)
    }
}

public struct Dependency: Codable, Hashable, Sendable {
    public var parentID: UUID
    public var childID: UUID
    public var extra: JSONValue?
    public var modifiedBy: String
    public var modifiedDate: Timestamp

    public init(parentID: UUID, childID: UUID, extra: JSONValue?, modifiedBy: String, modifiedDate: Timestamp) {
        self.parentID = parentID
        self.childID = childID
        self.extra = extra
        self.modifiedBy = modifiedBy
        self.modifiedDate = modifiedDate
    }

    public var edge: Edge { Edge(parent: parentID, child: childID) }

    enum CodingKeys: String, CodingKey {
        case parentID = "parent_id"
        case childID = "child_id"
        case extra
        case modifiedBy = "modified_by"
        case modifiedDate = "modified_date"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(parentID.lowercasedString, forKey: .parentID)
        try container.encode(childID.lowercasedString, forKey: .childID)
        try container.encode(extra ?? .null, forKey: .extra)
        try container.encode(modifiedBy, forKey: .modifiedBy)
        try container.encode(modifiedDate, forKey: .modifiedDate)
    }
}

extension Dataset {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id.lowercasedString, forKey: .id)
        try container.encode(paused, forKey: .paused)
        try container.encode(extra ?? .null, forKey: .extra)
        try container.encode(modifiedBy, forKey: .modifiedBy)
        try container.encode(modifiedDate, forKey: .modifiedDate)
    }
}

/// A parent → child pair, the identity of a dependency within its dataset.
public struct Edge: Hashable, Sendable {
    public var parent: UUID
    public var child: UUID

    public init(parent: UUID, child: UUID) {
        self.parent = parent
        self.child = child
    }
}

/// Everything stored for one dataset (`docs/concepts.md` §1), in stable (first-posted) order.
public struct Plan: Codable, Hashable, Sendable {
    public var dataset: Dataset
    public var dataProducts: [DataProduct]
    public var dependencies: [Dependency]

    public init(dataset: Dataset, dataProducts: [DataProduct], dependencies: [Dependency]) {
        self.dataset = dataset
        self.dataProducts = dataProducts
        self.dependencies = dependencies
    }

    enum CodingKeys: String, CodingKey {
        case dataset
        case dataProducts = "data_products"
        case dependencies
    }
}

/// One page of search results (`docs/concepts.md` §3.9).
public struct SearchPage: Codable, Hashable, Sendable {
    public struct Row: Codable, Hashable, Sendable {
        public var datasetID: UUID
        public var extra: JSONValue?
        /// The plan's last modification: the latest `modified_date` of its dataset, products and dependencies.
        public var modifiedDate: Timestamp
        public var paused: Bool
        /// Products per state; states without products are absent.
        public var counts: [State: Int]

        public init(datasetID: UUID, extra: JSONValue?, modifiedDate: Timestamp, paused: Bool, counts: [State: Int]) {
            self.datasetID = datasetID
            self.extra = extra
            self.modifiedDate = modifiedDate
            self.paused = paused
            self.counts = counts.filter { $0.value != 0 }
        }

        enum CodingKeys: String, CodingKey {
            case datasetID = "dataset_id"
            case extra
            case modifiedDate = "modified_date"
            case paused, counts
        }

        private struct StateKey: CodingKey {
            let stringValue: String
            init(stringValue: String) { self.stringValue = stringValue }
            var intValue: Int? { nil }
            init?(intValue: Int) { nil }
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            datasetID = try container.decode(UUID.self, forKey: .datasetID)
            extra = try container.decodeIfPresent(JSONValue.self, forKey: .extra)
            modifiedDate = try container.decode(Timestamp.self, forKey: .modifiedDate)
            paused = try container.decodeIfPresent(Bool.self, forKey: .paused) ?? false
            counts = [:]
            if container.contains(.counts) {
                let counted = try container.nestedContainer(keyedBy: StateKey.self, forKey: .counts)
                for key in counted.allKeys {
                    guard let state = State(rawValue: key.stringValue) else { continue }
                    counts[state] = try counted.decode(Int.self, forKey: key)
                }
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(datasetID.lowercasedString, forKey: .datasetID)
            try container.encode(extra ?? .null, forKey: .extra)
            try container.encode(modifiedDate, forKey: .modifiedDate)
            try container.encode(paused, forKey: .paused)
            var counted = container.nestedContainer(keyedBy: StateKey.self, forKey: .counts)
            for state in State.allCases {
                if let count = counts[state], count != 0 {
                    try counted.encode(count, forKey: StateKey(stringValue: state.rawValue))
                }
            }
        }
    }

    public static let pageSize = 50

    public var rows: [Row]
    public var nextPage: Int?

    public init(rows: [Row], nextPage: Int?) {
        self.rows = rows
        self.nextPage = nextPage
    }

    enum CodingKeys: String, CodingKey {
        case rows
        case nextPage = "next_page"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(rows, forKey: .rows)
        try container.encode(nextPage, forKey: .nextPage)
    }
}
