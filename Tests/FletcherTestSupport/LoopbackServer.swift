import Foundation
import Glibc
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

/// Runs `application` on loopback for the duration of `body`, which receives the bound port.
///
/// The application must bind port 0 and report its port through `onServerRunning`, which is
/// what `ports` is fed by. When `body` returns or throws the server is shut down gracefully, not
/// cancelled: cancelling a NIO server while it accepts a connection traps in debug builds
/// (swift-nio#2637, "Deinited NIOAsyncWriter without calling finish()").
public func withRunningServer<App: ApplicationProtocol & Sendable, T: Sendable>(
    _ application: App, ports: AsyncStream<Int>, _ body: (Int) async throws -> T
) async throws -> T {
    var logger = Logger(label: "test-services")
    logger.logLevel = .critical
    let services = ServiceGroup(
        configuration: .init(services: [application], gracefulShutdownSignals: [], logger: logger))
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await services.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        let result: Result<T, any Error>
        do {
            result = .success(try await body(port))
        } catch {
            result = .failure(error)
        }
        await services.triggerGracefulShutdown()
        try await group.waitForAll()
        return try result.get()
    }
}

/// A Hummingbird application from `router`, listening on an ephemeral loopback port.
public func loopbackApplication(
    _ router: Router<BasicRequestContext>
) -> (some ApplicationProtocol, AsyncStream<Int>) {
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    var logger = Logger(label: "test-server")
    logger.logLevel = .critical
    let application = Application(
        router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
    return (application, ports)
}

/// A loopback TCP port that was free a moment ago, for a server whose address must be known
/// before it starts (a callback URL that survives its restart). Chosen below Linux's ephemeral
/// range (32768 and up), where neither outgoing connections nor servers binding port 0 — every
/// other test's — can take it between now and the server's start, and never handed out twice by
/// this process.
public func freeLoopbackPort() throws -> Int {
    for _ in 0..<200 {
        let port = Int.random(in: 20_000..<32_000)
        guard handedOutPorts.withLock({ $0.insert(port).inserted }), canBind(port) else { continue }
        return port
    }
    throw POSIXError(.EADDRINUSE)
}

private let handedOutPorts = Mutex<Set<Int>>([])

private func canBind(_ port: Int) -> Bool {
    let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socket >= 0 else { return false }
    defer { close(socket) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
        }
    }
}
