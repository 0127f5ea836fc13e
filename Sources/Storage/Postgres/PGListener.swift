import CLibPQ
import Foundation
import Synchronization

/// `LISTEN` on a dedicated connection and its own thread: every `NOTIFY` on the channel,
/// from any instance on the database, arrives on `notifications`. A lost connection is reopened
/// (and the channel listened to again) after a second; notifications sent meanwhile are missed,
/// so consumers must also poll what matters (the dispatcher's 1 s fallback, the events stream's
/// catch-up by version).
public final class PGListener: Sendable {
    public struct Notification: Sendable, Hashable {
        public let channel: String
        public let payload: String
    }

    public let notifications: AsyncStream<Notification>
    private let continuation: AsyncStream<Notification>.Continuation
    private let stopped = Atomic<Bool>(false)

    /// Starts listening to `channel` (a plain identifier) on a connection of its own.
    public init(conninfo: String, channel: String) {
        precondition(channel.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }, "channel must be an identifier")
        (notifications, continuation) = AsyncStream.makeStream(of: Notification.self)
        let thread = Thread { [self] in run(conninfo: conninfo, channel: channel) }
        thread.name = "fletcher.postgres.listen"
        thread.start()
    }

    /// Stops listening and finishes `notifications` (within a second).
    public func stop() {
        stopped.store(true, ordering: .relaxed)
    }

    private func run(conninfo: String, channel: String) {
        while !stopped.load(ordering: .relaxed) {
            if let connection = try? PGConnection(conninfo: conninfo),
                (try? connection.execute("LISTEN \(channel)")) != nil
            {
                connection.waitForNotifications(until: { self.stopped.load(ordering: .relaxed) }) { notification in
                    continuation.yield(notification)
                }
            }
            if !stopped.load(ordering: .relaxed) { Thread.sleep(forTimeInterval: 1) }
        }
        continuation.finish()
    }
}

extension PGConnection {
    /// Blocks on the connection's socket, delivering notifications, until `shouldStop` or the
    /// connection fails. Wakes at least every second to check `shouldStop`.
    func waitForNotifications(until shouldStop: () -> Bool, deliver: (PGListener.Notification) -> Void) {
        let socket = PQsocket(handle)
        guard socket >= 0 else { return }
        while !shouldStop() {
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, 1000)
            if ready < 0 && errno != EINTR { return }
            guard ready > 0 else { continue }
            guard PQconsumeInput(handle) == 1 else { return }  // the connection is gone
            while let raw = PQnotifies(handle) {
                deliver(
                    PGListener.Notification(
                        channel: String(cString: raw.pointee.relname), payload: String(cString: raw.pointee.extra)))
                PQfreemem(raw)
            }
        }
    }
}
