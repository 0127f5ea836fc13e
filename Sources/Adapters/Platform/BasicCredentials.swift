import Foundation

/// HTTP Basic credentials, checked in constant time.
public struct BasicCredentials: Sendable, Hashable {
    public var user: String
    public var password: String

    public init(user: String, password: String) {
        self.user = user
        self.password = password
    }

    /// The `Authorization` header value that carries these credentials.
    public var header: String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    /// True when `authorization` carries exactly these credentials.
    public func accepts(_ authorization: String?) -> Bool {
        guard let authorization, authorization.lowercased().hasPrefix("basic ") else { return false }
        return WebhookSignature.constantTimeEqual(
            Array(authorization.utf8.dropFirst(6)), Array(header.utf8.dropFirst(6)))
    }
}
