import FletcherHTTP
import Foundation
import Synchronization

/// A client of a running Fletcher server's HTTP API, over the project's libcurl client. It logs
/// in on the first call that sends credentials and keeps the token for the calls after it.
public final class FletcherClient: Sendable {
    public let baseURL: String
    private let credentials: Credentials
    private let http: HTTPClient
    private let token = Mutex<String?>(nil)

    public init(baseURL: String, credentials: Credentials, timeout: Duration = .seconds(30)) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.credentials = credentials
        var configuration = HTTPClientConfiguration()
        configuration.timeout = timeout
        http = HTTPClient(configuration: configuration)
    }

    /// Sends one request and returns the answer's body when its status is 2xx.
    /// `minimal` asks a mutation for `{version, changes}` instead of the whole plan.
    public func send(
        _ method: String, _ path: String, json body: [UInt8]? = nil, minimal: Bool = false,
        accept: String = "application/json"
    ) async throws(ClientError) -> [UInt8] {
        var headers: [(name: String, value: String)] = [("Accept", accept)]
        if let authorization = try await authorization() { headers.append(("Authorization", authorization)) }
        if body != nil { headers.append(("Content-Type", "application/json")) }
        if minimal { headers.append(("Prefer", "return=minimal")) }
        let response = try await execute(
            HTTPClientRequest(method: method, url: baseURL + path, headers: headers, body: body))
        guard (200..<300).contains(response.status) else { throw Self.refusal(response) }
        return response.body
    }

    /// Sends one request and decodes its JSON answer.
    public func send<T: Decodable>(
        _ type: T.Type, _ method: String, _ path: String, json body: [UInt8]? = nil, minimal: Bool = false
    ) async throws(ClientError) -> T {
        let answer = try await send(method, path, json: body, minimal: minimal)
        do {
            return try JSONDecoder().decode(type, from: Data(answer))
        } catch {
            throw .unreadable("\(method) \(path): \(error)")
        }
    }

    /// Streams the body of a long answer (the events stream) to `receive`; returns when the
    /// server ends it. A refusal is thrown before anything is received.
    public func stream(
        _ path: String, headers extra: [(name: String, value: String)] = [],
        receive: @escaping @Sendable ([UInt8]) -> Void
    ) async throws(ClientError) {
        var headers: [(name: String, value: String)] = [("Accept", "text/event-stream")] + extra
        if let authorization = try await authorization() { headers.append(("Authorization", authorization)) }
        // An error answer is collected whole, to read its problem. The stream is cut after a day
        // at the latest; a watcher reconnects where it was.
        let refusal = Mutex<(status: Int, body: [UInt8])?>(nil)
        let request = HTTPClientRequest(method: "GET", url: baseURL + path, headers: headers, timeout: .seconds(86_400))
        do {
            _ = try await http.stream(request) { status, chunk in
                if (200..<300).contains(status) {
                    receive(chunk)
                } else {
                    refusal.withLock { $0 = (status, ($0?.body ?? []) + chunk) }
                }
            }
        } catch let error as HTTPClientError {
            throw .unreachable(error.description)
        } catch {
            throw .unreachable("\(error)")
        }
        if let (status, body) = refusal.withLock({ $0 }) {
            throw Self.refusal(HTTPClientResponse(status: status, headers: [], body: body))
        }
    }

    private func execute(_ request: HTTPClientRequest) async throws(ClientError) -> HTTPClientResponse {
        do {
            return try await http.execute(request)
        } catch let error as HTTPClientError {
            throw .unreachable(error.description)
        } catch {
            throw .unreachable("\(error)")
        }
    }

    private func authorization() async throws(ClientError) -> String? {
        switch credentials {
        case .none: return nil
        case .token(let token): return "Bearer \(token)"
        case .login(let service, let key):
            if let token = token.withLock({ $0 }) { return "Bearer \(token)" }
            let body = (try? JSONEncoder().encode(["service": service, "key": key])) ?? Data()
            let response = try await execute(
                HTTPClientRequest(
                    method: "POST", url: baseURL + "/api/authenticate", headers: [("Content-Type", "application/json")],
                    body: Array(body)))
            guard response.status == 200 else { throw Self.refusal(response) }
            struct Login: Decodable { let access_token: String }
            guard let login = try? JSONDecoder().decode(Login.self, from: Data(response.body)) else {
                throw .unreadable("the login answer has no access_token")
            }
            token.withLock { $0 = login.access_token }
            return "Bearer \(login.access_token)"
        }
    }

    /// The problem's `detail` of an error answer (RFC 9457), else its status line.
    static func refusal(_ response: HTTPClientResponse) -> ClientError {
        struct Problem: Decodable { let detail: String? }
        let detail = (try? JSONDecoder().decode(Problem.self, from: Data(response.body)))?.detail
        return .refused(status: response.status, detail: detail ?? "the server answered HTTP \(response.status)")
    }
}
