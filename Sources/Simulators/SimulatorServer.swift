import Hummingbird
import Logging

/// A simulator as an HTTP server of its own (`fletcher simulate`, the demo).
public enum SimulatorServer {
    /// An application serving `router` on `host:port` (port 0: any free one, reported to `onRunning`).
    public static func application(
        _ router: Router<BasicRequestContext>, host: String = "127.0.0.1", port: Int, logger: Logger,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "Fletcher-Simulator"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) }, logger: logger)
    }
}
