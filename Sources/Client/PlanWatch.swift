import Foundation
import Synchronization

/// Follows a plan's events stream for as long as the calling task runs: reconnects after the
/// server goes away (1 s, then up to 10 s between tries), asking with `Last-Event-ID` for what it
/// missed, so each change is handed over once and in order.
public struct PlanWatch: Sendable {
    public enum Notice: Sendable {
        /// The stream ended or could not be opened; the next try is in `retryIn`.
        case disconnected(reason: String, retryIn: Duration)
        case connected
    }

    private let client: FletcherClient
    private let datasetID: String

    public init(client: FletcherClient, datasetID: String) {
        self.client = client
        self.datasetID = datasetID
    }

    /// Runs until cancelled. A refusal (an unknown dataset) ends it with that error; an
    /// unreachable server is retried.
    public func run(
        notice: @escaping @Sendable (Notice) -> Void, event: @escaping @Sendable (ServerSentEvent) -> Void
    ) async throws(ClientError) {
        let lastID = Mutex<String?>(nil)
        var wait = Duration.seconds(1)
        while !Task.isCancelled {
            let parser = Mutex(ServerSentEventParser())
            let received = Mutex(false)
            let resume = lastID.withLock { $0 }.map { [(name: "Last-Event-ID", value: $0)] } ?? []
            let reason: String
            do {
                try await client.stream("/api/plan/\(datasetID)/events", headers: resume) { chunk in
                    if !received.withLock({ $0 }) {
                        received.withLock { $0 = true }
                        notice(.connected)
                    }
                    for next in parser.withLock({ $0.feed(chunk) }) {
                        if let id = next.id { lastID.withLock { $0 = id } }
                        event(next)
                    }
                }
                reason = "the server ended the stream"
            } catch .unreachable(let why) {
                reason = why
            }
            if received.withLock({ $0 }) { wait = .seconds(1) }
            if Task.isCancelled { return }
            notice(.disconnected(reason: reason, retryIn: wait))
            try? await Task.sleep(for: wait)
            wait = min(wait * 2, .seconds(10))
        }
    }
}
