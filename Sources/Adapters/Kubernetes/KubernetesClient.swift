import FletcherCore
import FletcherHTTP
import FletcherPlatform
import Foundation

/// Calls to the Kubernetes API: bearer token read at each call (it may rotate), JSON in and out,
/// and errors classified from the `Status` object the API answers with — 401, 403, 404 and 422
/// are permanent, 409 (other than the idempotent `AlreadyExists`), 429 and 5xx retryable.
struct KubernetesClient: Sendable {
    let baseURL: String
    let client: HTTPClient
    let token: TokenSource?

    struct Failure: Error {
        let status: Int
        let reason: String?
        let error: AdapterError
    }

    func headers(json: Bool) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = [("Accept", "application/json")]
        if json { headers.append(("Content-Type", "application/json")) }
        if let token = token?.current { headers.append(("Authorization", "Bearer \(token)")) }
        return headers
    }

    /// One call; the decoded body of a 2xx answer, or a `Failure` carrying the `Status` reason.
    func call(_ method: String, _ path: String, body: JSONValue? = nil) async throws(Failure) -> JSONValue {
        let request = HTTPClientRequest(
            method: method, url: baseURL + path, headers: headers(json: body != nil),
            body: body.map { Array($0.jsonText.utf8) })
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request)
        } catch {
            throw Failure(
                status: 0, reason: nil, error: AdapterError(.retryable, "Kubernetes \(method) \(path): \(error)"))
        }
        guard (200..<300).contains(response.status) else { throw Self.failure(response, method, path) }
        do {
            return try JSONValue(jsonText: response.text)
        } catch {
            throw Failure(
                status: response.status, reason: nil,
                error: AdapterError(.permanent, "Kubernetes answered \(method) \(path) with a body that is not JSON"))
        }
    }

    static func failure(_ response: HTTPClientResponse, _ method: String, _ path: String) -> Failure {
        let status = try? JSONValue(jsonText: response.text)
        let reason = status?["reason"]?.stringValue
        let message =
            status?["message"]?.stringValue
            ?? (response.text.isEmpty ? "(empty body)" : String(response.text.prefix(200)))
        let retryable = response.status == 409 || response.status == 429 || response.status >= 500
        let retryAfter = PlatformClient.retryAfter(response)
        return Failure(
            status: response.status, reason: reason,
            error: AdapterError(
                retryable ? .retryable : .permanent,
                "Kubernetes answered \(response.status) \(reason ?? "") to \(method) \(path): \(message)",
                retryAfter: retryAfter))
    }
}
