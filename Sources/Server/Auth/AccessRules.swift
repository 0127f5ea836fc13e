import Foundation

/// Who may call which API operation, declared once in `openapi.yaml`: `x-fletcher-role: <role>`
/// on every operation that changes state, `x-fletcher-public: true` on one that authenticates
/// itself (the login). A state-changing operation with neither stops the server at start, and an
/// operation this table does not know is refused: authorization fails closed.
struct AccessRules: Sendable {
    enum Access: Sendable, Hashable {
        case `public`
        case role(Role)
    }

    struct Operation: Sendable, Hashable {
        let method: String
        let path: String
        let access: Access
    }

    let operations: [String: Operation]

    /// The rules of an OpenAPI document (parsed YAML); refuses a document that leaves a
    /// state-changing operation without a rule, or names a role that does not exist.
    init(document: [String: Any]) throws(ConfigurationError) {
        var operations: [String: Operation] = [:]
        let paths = document["paths"] as? [String: [String: Any]] ?? [:]
        for (path, methods) in paths {
            for (method, value) in methods where RouteTable.methods.contains(method) {
                let operation = value as? [String: Any] ?? [:]
                let name = "\(method.uppercased()) \(path)"
                guard let id = operation["operationId"] as? String else {
                    throw ConfigurationError("openapi.yaml: \(name) has no operationId")
                }
                let access: Access
                if let declared = operation["x-fletcher-role"] {
                    guard let text = declared as? String, let role = Role(rawValue: text) else {
                        throw ConfigurationError(
                            "openapi.yaml: operation \(id) declares x-fletcher-role '\(declared)', which is not a role "
                                + "(\(Role.allCases.map(\.rawValue).joined(separator: ", ")))")
                    }
                    guard operation["security"] != nil else {
                        throw ConfigurationError("openapi.yaml: operation \(id) needs a role but declares no security")
                    }
                    access = .role(role)
                } else if operation["x-fletcher-public"] as? Bool == true || method == "get" {
                    access = .public
                } else {
                    throw ConfigurationError(
                        "openapi.yaml: operation \(id) (\(name)) changes state but declares no x-fletcher-role "
                            + "(or x-fletcher-public: true); refusing to start rather than leave it open")
                }
                operations[id] = Operation(method: method.uppercased(), path: path, access: access)
            }
        }
        self.operations = operations
    }

    /// The rule of `operationID`; one the document does not declare is refused.
    func access(_ operationID: String) throws(APIError) -> Access {
        guard let operation = operations[operationID] else {
            throw .forbidden("Operation '\(operationID)' has no access rule, so nobody may call it")
        }
        return operation.access
    }
}
