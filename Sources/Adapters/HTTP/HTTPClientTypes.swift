/// An outgoing HTTP request.
public struct HTTPClientRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]?
    /// Overrides the client's total timeout for this request.
    public var timeout: Duration?

    public init(
        method: String = "GET", url: String, headers: [(name: String, value: String)] = [], body: [UInt8]? = nil,
        timeout: Duration? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

/// A complete HTTP response (the body is collected in memory).
public struct HTTPClientResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of a header, matched case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// Settings shared by every request of one client: one platform's timeouts and TLS.
public struct HTTPClientConfiguration: Sendable {
    public var connectTimeout: Duration = .seconds(5)
    public var timeout: Duration = .seconds(30)
    /// PEM file of the certificate authorities to trust instead of the system's.
    public var caFile: String?
    /// PEM client certificate and key for mutual TLS.
    public var clientCertificate: String?
    public var clientKey: String?
    /// Connections kept open per host for reuse.
    public var maxConnectionsPerHost = 16

    public init() {}
}

/// Why a request got no HTTP response. Any HTTP status, 5xx included, is a response, not an error.
public enum HTTPClientError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The connect or total timeout ran out.
    case timedOut(String)
    /// No connection: refused, unreachable host, DNS failure.
    case connectionFailed(String)
    /// TLS handshake or certificate problem.
    case tls(String)
    /// Any other transfer failure (reset connection, malformed response, …).
    case transport(code: Int, message: String)
    /// The client was shut down before the request completed.
    case shutDown

    public var description: String {
        switch self {
        case .timedOut(let message): "timed out: \(message)"
        case .connectionFailed(let message): "connection failed: \(message)"
        case .tls(let message): "TLS error: \(message)"
        case .transport(let code, let message): "transfer failed (curl \(code)): \(message)"
        case .shutDown: "HTTP client shut down"
        }
    }
}
