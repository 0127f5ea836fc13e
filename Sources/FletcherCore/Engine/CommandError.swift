import Foundation

/// A command Fletcher refuses, with the HTTP status and the exact `detail` message of the spec.
///
/// Clients grep these messages (**compat**), so they are built in one place.
public struct CommandError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Int, Sendable {
        case badRequest = 400
        case forbidden = 403
        case notFound = 404
        case conflict = 409
        case unprocessable = 422
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var status: Int { kind.rawValue }
    public var description: String { message }
}

extension CommandError {
    public static func datasetNotFound(_ id: UUID) -> Self {
        .init(.notFound, "Dataset not found: '\(id.lowercasedString)'")
    }
    public static func productNotFound(_ id: UUID) -> Self {
        .init(.notFound, "Data product not found for: '\(id.lowercasedString)'")
    }
    public static func locked(_ id: UUID) -> Self {
        .init(.forbidden, "Data product is locked: '\(id.lowercasedString)'")
    }
    public static func duplicateProduct(_ id: UUID) -> Self {
        .init(.badRequest, "Duplicate data-product id in parameter: '\(id.lowercasedString)'")
    }
    public static func duplicateDependency(_ edge: Edge) -> Self {
        .init(
            .badRequest,
            "Duplicate dependency in parameter: '\(edge.parent.lowercasedString)' -> '\(edge.child.lowercasedString)'")
    }
    public static let cyclical = Self(.unprocessable, "Graph is cyclical")
    public static func invalidRequestedState(_ id: UUID, _ state: State) -> Self {
        .init(.badRequest, "The requested state for '\(id.lowercasedString)' is invalid: '\(state.rawValue)'")
    }
    public static func pauseAlreadySet(_ id: UUID, _ paused: Bool) -> Self {
        .init(.badRequest, "Dataset '\(id.lowercasedString)' pause state is already set to: '\(paused)'")
    }
    public static func triggerWhilePaused(_ id: UUID) -> Self {
        .init(.conflict, "Dataset '\(id.lowercasedString)' is paused: nothing can be triggered until it is unpaused")
    }
    public static func notTriggerable(_ id: UUID, state: State) -> Self {
        .init(
            .conflict,
            "Data product '\(id.lowercasedString)' cannot be triggered: its state is '\(state.rawValue)', not 'waiting'"
        )
    }
    public static func parentsNotSucceeded(_ id: UUID) -> Self {
        .init(
            .conflict,
            "Data product '\(id.lowercasedString)' cannot be triggered: not all of its parents are in state 'success'")
    }
    public static func invalidValue(_ field: String, _ problem: String) -> Self {
        .init(.badRequest, "Invalid value for '\(field)': \(problem)")
    }
}
