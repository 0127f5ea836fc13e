/// Fletcher's HTTP client over libcurl: what adapters use to talk to compute platforms.
///
/// libcurl brings what operators expect of an outbound client: the standard proxy variables
/// (`HTTPS_PROXY`, `NO_PROXY`, …) are honoured, TLS trust and client certificates are per client,
/// connections are reused, and HTTP/2 is negotiated where offered. Requests are multiplexed on one
/// dedicated thread; awaiting one never blocks a Swift concurrency thread.
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
        try Task.checkCancellation()
        let transfer = try CurlTransfer(request, configuration: configuration)
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
