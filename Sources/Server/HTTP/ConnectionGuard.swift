import Logging
import NIOCore
import NIOHTTPTypes
import Synchronization

/// Limits on HTTP connections that Hummingbird's idle timeout does not cover: how many may be
/// open at once, and how long a new connection may take to deliver its first request head. A
/// client that opens connections and sends half a request each would otherwise hold file
/// descriptors until the idle timeout, and without a cap could exhaust them.
final class ConnectionLimits: Sendable {
    let maximum: Int
    let headerTimeout: TimeAmount
    let logger: Logger
    private let open = Atomic<Int>(0)
    private let lastRefusalLog = Mutex<ContinuousClock.Instant?>(nil)

    init(maximum: Int, headerTimeout: Duration, logger: Logger) {
        self.maximum = maximum
        self.headerTimeout = .nanoseconds(Int64(headerTimeout / .nanoseconds(1)))
        self.logger = logger
    }

    /// Counts a new connection; false when the cap is reached (the connection is then refused).
    func admit() -> Bool {
        let count = open.add(1, ordering: .relaxed).newValue
        guard count > maximum else { return true }
        open.subtract(1, ordering: .relaxed)
        let now = ContinuousClock.now
        let shouldLog = lastRefusalLog.withLock { last in
            guard last.map({ now - $0 >= .seconds(10) }) ?? true else { return false }
            last = now
            return true
        }
        if shouldLog {
            logger.warning(
                "refusing HTTP connections: \(maximum) are open, the limit set by MAX_HTTP_CONNECTIONS (logged at most every 10 s)"
            )
        }
        return false
    }

    func release() {
        open.subtract(1, ordering: .relaxed)
    }

}

/// One connection's guard: counts it against `ConnectionLimits` and closes it when its first
/// request head has not arrived within the header timeout. Later requests on a kept-alive
/// connection fall under Hummingbird's idle timeout.
final class ConnectionGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private let limits: ConnectionLimits
    private var admitted = false
    private var started = false
    private var headerDeadline: Scheduled<Void>?

    init(limits: ConnectionLimits) {
        self.limits = limits
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) {
            headerDeadline?.cancel()
            headerDeadline = nil
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        stop()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stop()
    }

    private func start(_ context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        guard limits.admit() else { return context.close(promise: nil) }
        admitted = true
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        headerDeadline = context.eventLoop.assumeIsolated().scheduleTask(in: limits.headerTimeout) {
            loopBound.value.close(promise: nil)
        }
    }

    private func stop() {
        headerDeadline?.cancel()
        headerDeadline = nil
        if admitted {
            admitted = false
            limits.release()
        }
    }
}
