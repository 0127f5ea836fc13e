import FletcherCore
import FletcherHTTP
import Foundation

/// The JSON-over-HTTP calls both adapters make, with the error classification of `docs/dispatch.md` §1:
/// no response, 429 and the statuses `retryable` names → retryable (honouring Retry-After); any
/// other non-2xx → permanent with the platform's message; a 2xx body that is not JSON → permanent.
public struct PlatformClient: Sendable {
    public let baseURL: String
    private let client: HTTPClient
    private let token: String?
    private let platform: String
    private let retryable: @Sendable (Int) -> Bool

    public init(
        platform: String, baseURL: String, token: String?, client: HTTPClient,
        retryable: @escaping @Sendable (Int) -> Bool = { $0 == 429 || $0 >= 500 }
    ) {
        self.platform = platform
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
        self.client = client
        self.retryable = retryable
    }

    /// Sends one request and returns the decoded JSON body of a 2xx answer (null when empty).
    public func call(
        _ method: String, _ path: String, body: JSONValue? = nil, headers: [(name: String, value: String)] = []
    ) async throws(AdapterError) -> JSONValue {
        var allHeaders = headers
        if let token { allHeaders.append(("Authorization", "Bearer \(token)")) }
        if body != nil { allHeaders.append(("Content-Type", "application/json")) }
        allHeaders.append(("Accept", "application/json"))
        let request = HTTPClientRequest(
            method: method, url: baseURL + path, headers: allHeaders, body: body.map { Array($0.jsonText.utf8) })
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request)
        } catch let error as HTTPClientError {
            throw AdapterError(.retryable, "\(platform) \(method) \(path): \(error)")
        } catch {
            throw AdapterError(.retryable, "\(platform) \(method) \(path): \(error)")
        }
        guard (200..<300).contains(response.status) else {
            let kind: AdapterError.Kind = retryable(response.status) ? .retryable : .permanent
            throw AdapterError(
                kind, "\(platform) answered \(response.status) to \(method) \(path): \(Self.message(response))",
                retryAfter: Self.retryAfter(response))
        }
        if response.body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D }) { return .null }
        do {
            return try JSONValue(jsonText: response.text)
        } catch {
            throw AdapterError(
                .permanent,
                "\(platform) answered \(method) \(path) with a body that is not JSON: \(Self.excerpt(response.text))")
        }
    }

    /// The platform's own words: `message`/`error` of a JSON error body, else the start of the body.
    static func message(_ response: HTTPClientResponse) -> String {
        if let body = try? JSONValue(jsonText: response.text) {
            for key in ["message", "error", "detail"] {
                if case .string(let text) = body[key] { return text }
            }
        }
        return response.body.isEmpty ? "(empty body)" : excerpt(response.text)
    }

    /// Retry-After in seconds (the delta form; HTTP dates are honoured too).
    public static func retryAfter(_ response: HTTPClientResponse) -> Double? {
        guard let value = response.header("Retry-After")?.trimmingCharacters(in: .whitespaces) else { return nil }
        if let seconds = Double(value), seconds >= 0 { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: value).map { max($0.timeIntervalSinceNow, 0) }
    }

    public static func excerpt(_ text: String) -> String {
        text.count <= 200 ? text : String(text.prefix(200)) + "…"
    }
}

/// A platform's run page is kept only when it is an absolute http(s) URL of at most 4,096
/// characters, as the API requires of clients (`docs/concepts.md` §5): a platform cannot slip a
/// `javascript:` link into the plan.
public func runPageLink(_ value: JSONValue?) -> String? {
    guard case .string(let text) = value, text.count <= 4_096, let url = URL(string: text),
        let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host?.isEmpty == false
    else { return nil }
    return text
}

extension JSONValue {
    public var stringValue: String? { if case .string(let value) = self { value } else { nil } }
    public var intValue: Int64? { if case .int(let value) = self { value } else { nil } }
}

/// `segment` escaped to stand as one segment of a URL path (a `/` in it is escaped too).
public func pathSegment(_ segment: String) -> String {
    segment.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/")))
        ?? segment
}
