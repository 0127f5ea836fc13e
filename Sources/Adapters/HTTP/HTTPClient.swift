import Tracing

/// Fletcher's HTTP client over libcurl: what adapters use to talk to compute platforms.
///
/// libcurl brings what operators expect of an outbound client: the standard proxy variables
/// (`HTTPS_PROXY`, `NO_PROXY`, …) are honoured, TLS trust and client certificates are per client,
/// connections are reused, and HTTP/2 is negotiated where offered. Requests are multiplexed on one
/// dedicated thread; awaiting one never blocks a Swift concurrency thread. Each request is a client
/// span of the current trace and carries it to the server in a W3C `traceparent` header
/// (`docs/operations.md`, Tracing); without a tracer configured both cost nothing.
public final class HTTPClient: Sendable {
    public let configuration: HTTPClientConfiguration
    private let loop: CurlLoop

    public init(configuration: HTTPClientConfiguration = HTTPClientConfiguration()) {
        self.configuration = configuration
        loop = CurlLoop(maxConnectionsPerHost: configuration.maxConnectionsPerHost)
    }

    deinit { loop.stop() }

    /// Sends `request` and returns the whole response. Throws `HTTPClientError` when no response
    /// arrived and `CancellationError` when the calling task was cancelled.
    public func execute(_ request: HTTPClientRequest) async throws -> HTTPClientResponse {
        try await traced(request) { try await self.run(try CurlTransfer($0, configuration: self.configuration)) }
    }

    /// Sends `request` and hands the response body to `receive` as it arrives, with the response's
    /// status — for long-lived answers such as a watch stream. `receive` runs on the client's
    /// thread: it must return quickly. Returns once the transfer ends (the body of the response it
    /// returns is empty); cancelling the calling task ends the transfer.
    public func stream(
        _ request: HTTPClientRequest, receive: @escaping @Sendable (_ status: Int, _ chunk: [UInt8]) -> Void
    ) async throws -> HTTPClientResponse {
        try await traced(request) {
            let transfer = try CurlTransfer($0, configuration: self.configuration)
            transfer.receive = receive
            return try await self.run(transfer)
        }
    }

    /// Runs `send` in a client span, with the span's context injected into the request's headers.
    private func traced(
        _ request: HTTPClientRequest, _ send: (HTTPClientRequest) async throws -> HTTPClientResponse
    ) async throws -> HTTPClientResponse {
        try await withSpan(request.method, ofKind: .client) { span in
            span.attributes["http.request.method"] = request.method
            span.attributes["url.full"] = request.url
            var request = request
            InstrumentationSystem.instrument.inject(span.context, into: &request.headers, using: HeaderInjector())
            let response = try await send(request)
            span.attributes["http.response.status_code"] = response.status
            if response.status >= 500 { span.setStatus(SpanStatus(code: .error)) }
            return response
        }
    }

    private func run(_ transfer: CurlTransfer) async throws -> HTTPClientResponse {
        try Task.checkCancellation()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                transfer.continuation = continuation
                loop.submit(transfer)
            }
        } onCancel: {
            loop.cancel(transfer)
        }
    }

    /// Fails requests in flight with `HTTPClientError.shutDown` and stops the client's thread.
    public func shutdown() {
        loop.stop()
    }
}

private struct HeaderInjector: Injector {
    func inject(_ value: String, forKey key: String, into headers: inout [(name: String, value: String)]) {
        headers.removeAll { $0.name.lowercased() == key.lowercased() }
        headers.append((key, value))
    }
}
