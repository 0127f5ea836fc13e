import Foundation

/// The body of `POST /api/plan` (`docs/concepts.md` §3.2). Unknown fields are ignored (**compat**).
public struct PlanParam: Codable, Hashable, Sendable {
    public var dataset: DatasetParam
    public var dataProducts: [DataProductParam]
    public var dependencies: [DependencyParam]

    public init(dataset: DatasetParam, dataProducts: [DataProductParam], dependencies: [DependencyParam]) {
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

public struct DatasetParam: Codable, Hashable, Sendable {
    public var id: UUID
    public var extra: JSONValue?

    public init(id: UUID, extra: JSONValue? = nil) {
        self.id = id
        self.extra = extra
    }
}

public struct DataProductParam: Codable, Hashable, Sendable {
    public var id: UUID
    public var compute: Compute
    public var name: String
    public var version: String
    public var eager: Bool
    public var passthrough: JSONValue?
    public var extra: JSONValue?

    public init(
        id: UUID, compute: Compute, name: String, version: String, eager: Bool,
        passthrough: JSONValue? = nil, extra: JSONValue? = nil
    ) {
        self.id = id
        self.compute = compute
        self.name = name
        self.version = version
        self.eager = eager
        self.passthrough = passthrough
        self.extra = extra
    }
}

public struct DependencyParam: Codable, Hashable, Sendable {
    public var parentID: UUID
    public var childID: UUID
    public var extra: JSONValue?

    public init(parentID: UUID, childID: UUID, extra: JSONValue? = nil) {
        self.parentID = parentID
        self.childID = childID
        self.extra = extra
    }

    public var edge: Edge { Edge(parent: parentID, child: childID) }

    enum CodingKeys: String, CodingKey {
        case parentID = "parent_id"
        case childID = "child_id"
        case extra
    }
}

/// One entry of a state update (`docs/concepts.md` §3.3). Omitted run fields become null (**compat**).
public struct StateParam: Codable, Hashable, Sendable {
    public var id: UUID
    public var state: State
    public var runID: UUID?
    public var link: String?
    public var passback: JSONValue?

    public init(id: UUID, state: State, runID: UUID? = nil, link: String? = nil, passback: JSONValue? = nil) {
        self.id = id
        self.state = state
        self.runID = runID
        self.link = link
        self.passback = passback
    }

    enum CodingKeys: String, CodingKey {
        case id, state
        case runID = "run_id"
        case link, passback
    }
}

/// What a compute platform reported about one run (`docs/concepts.md` §3.8), from a callback or a poll.
public struct RunReport: Hashable, Sendable {
    public var dataProductID: UUID
    public var runID: UUID
    public var state: State
    public var link: String?
    public var passback: JSONValue?
    /// Set by the dispatcher when it gives the attempt up: recorded on the run in the same
    /// transaction as the product's failure.
    public var dispatchFailure: DispatchFailure?

    public init(
        dataProductID: UUID, runID: UUID, state: State, link: String? = nil, passback: JSONValue? = nil,
        dispatchFailure: DispatchFailure? = nil
    ) {
        self.dataProductID = dataProductID
        self.runID = runID
        self.state = state
        self.link = link
        self.passback = passback
        self.dispatchFailure = dispatchFailure
    }
}

/// Why the dispatcher gave an attempt up, how many submits it made, and the last one's error.
public struct DispatchFailure: Hashable, Sendable {
    public enum Kind: String, Sendable {
        /// The platform refused the job.
        case permanent
        /// Every retry failed.
        case attemptsExhausted = "attempts_exhausted"
    }

    public var kind: Kind
    public var attempts: Int
    public var message: String

    public init(kind: Kind, attempts: Int, message: String) {
        self.kind = kind
        self.attempts = attempts
        self.message = message
    }

    /// The failed product's passback (`docs/decisions.md`, Dispatch).
    public var passback: JSONValue {
        [
            "fletcher_error": [
                "kind": .string(kind.rawValue), "message": .string(message), "attempts": .int(Int64(attempts)),
            ]
        ]
    }
}
