import Foundation
import Synchronization

/// `LISTEN` on a connection of its own, driven by one of the store's loops: every `NOTIFY` on
/// the channel, from any instance on the database, arrives on `notifications`, and so does an
/// empty one each time listening starts. A lost connection is reopened (and the channel listened
/// to again) after a second; notifications sent meanwhile are missed, so consumers look for
/// themselves when listening starts and now and then (the dispatcher's idle look, the change
/// relay's read once a second).
public final class PGListener: Sendable {
    public struct Notification: Sendable, Hashable {
        public let channel: String
        public let payload: String
    }

    /// The connection, touched only on the loop.
    private final class Current: @unchecked Sendable {
        var connection: PGWireConnection?
        var stopped = false
    }

    public let notifications: AsyncStream<Notification>
    private let continuation: AsyncStream<Notification>.Continuation
    private let loop: PGLoop
    private let current = Current()

    /// Starts listening to `channel` (a plain identifier).
    init(conninfo: String, channel: String, loop: PGLoop) {
        precondition(channel.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }, "channel must be an identifier")
        (notifications, continuation) = AsyncStream.makeStream(of: Notification.self)
        self.loop = loop
        loop.execute { [self] in listen(conninfo: conninfo, channel: channel) }
    }

    /// Stops listening and finishes `notifications`.
    public func stop() {
        loop.execute { [self] in
            current.stopped = true
            current.connection?.close(because: .connectionLost("stopped"))
            continuation.finish()
        }
    }

    /// Runs one statement on the listener's own connection: reads that must not queue behind
    /// the pool's work under load (the change relay's). Fails when the connection is down.
    func query(_ statement: PGStatement) async throws -> PGRows {
        try await withCheckedThrowingContinuation { continuation in
            loop.execute { [self] in
                guard let connection = current.connection, connection.isReady else {
                    return continuation.resume(throwing: PGError.connectionLost("not connected"))
                }
                connection.send([statement]) { result in continuation.resume(with: result.map { $0[0] }) }
            }
        }
    }

    private func listen(conninfo: String, channel: String) {
        guard !current.stopped else { return }
        PGWireConnection.connect(conninfo, on: loop, timeout: PGPool.connectTimeout) { [self] connection, _ in
            guard let connection, !current.stopped else { return retry(conninfo: conninfo, channel: channel) }
            current.connection = connection
            connection.onNotification = { [continuation] channel, payload in
                continuation.yield(Notification(channel: channel, payload: payload))
            }
            connection.onClose = { [self] _ in
                current.connection = nil
                retry(conninfo: conninfo, channel: channel)
            }
            // Whatever was notified before LISTEN took effect is missed: consumers hear an empty
            // notification then and look for themselves.
            connection.send([PGStatement("LISTEN \(channel)")]) { [continuation] result in
                if case .success = result { continuation.yield(Notification(channel: channel, payload: "")) }
            }
        }
    }

    private func retry(conninfo: String, channel: String) {
        guard !current.stopped else { return }
        loop.schedule(after: .seconds(1)) { [self] in listen(conninfo: conninfo, channel: channel) }
    }
}
