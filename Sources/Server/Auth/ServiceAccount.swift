import FletcherCore
import Foundation
import HummingbirdBcrypt

/// What a service may do (`docs/api.md` §3). Reads are public.
public enum Role: String, Codable, Sendable, CaseIterable, Comparable {
    case publish, pause, update, disable

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One entry of `REMOTE_APIS`: a service, the bcrypt hash of its key, and its roles.
public struct ServiceAccount: Codable, Hashable, Sendable {
    public var service: String
    public var hash: String
    public var roles: Set<Role>

    public init(service: String, hash: String, roles: Set<Role>) {
        self.service = service
        self.hash = hash
        self.roles = roles
    }

    /// An account whose key is `key`, hashed here (tests, the generated `local` service).
    public static func hashing(service: String, key: String, roles: Set<Role>, cost: UInt8) -> ServiceAccount {
        ServiceAccount(service: service, hash: Bcrypt.hash(key, cost: cost), roles: roles)
    }

    /// Parses `REMOTE_APIS`. An unknown role, a duplicate service or malformed JSON is a start-up
    /// error naming what is wrong.
    static func parseList(_ text: String) throws(ConfigurationError) -> [ServiceAccount] {
        struct Entry: Decodable {
            var service: String
            var hash: String
            var roles: [String]
        }
        let entries: [Entry]
        do {
            entries = try JSONDecoder().decode([Entry].self, from: Data(text.utf8))
        } catch {
            throw ConfigurationError(
                "REMOTE_APIS must be a JSON array of {\"service\", \"hash\", \"roles\"}: "
                    + ((error as? DecodingError).map(describe) ?? "not JSON"))
        }
        var seen = Set<String>()
        var accounts: [ServiceAccount] = []
        for entry in entries {
            guard !entry.service.isEmpty else { throw ConfigurationError("REMOTE_APIS: a service has an empty name") }
            guard seen.insert(entry.service).inserted else {
                throw ConfigurationError("REMOTE_APIS: service '\(entry.service)' is listed twice")
            }
            guard entry.hash.hasPrefix("$2") else {
                throw ConfigurationError(
                    "REMOTE_APIS: service '\(entry.service)' has no bcrypt hash (make one with `fletcher hash-key`)")
            }
            var roles = Set<Role>()
            for name in entry.roles {
                guard let role = Role(rawValue: name) else {
                    let known = Role.allCases.map(\.rawValue).joined(separator: ", ")
                    throw ConfigurationError(
                        "REMOTE_APIS: service '\(entry.service)' has an unknown role '\(name)' (known: \(known))")
                }
                roles.insert(role)
            }
            accounts.append(ServiceAccount(service: entry.service, hash: entry.hash, roles: roles))
        }
        return accounts
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            "missing \"\(key.stringValue)\" in entry \(context.codingPath.first?.intValue.map(String.init) ?? "?")"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            "wrong type at \(context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: "."))"
        case .dataCorrupted: "not valid JSON"
        @unknown default: "not valid JSON"
        }
    }
}
