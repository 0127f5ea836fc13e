import FletcherCore
import FletcherHTTP
import FletcherPlatform
import FletcherPostgres
import Foundation
import Logging
import ServiceLifecycle

/// Dispatch as the server runs it: one adapter per dispatching platform (made by its plugin),
/// the dispatcher, the poller and the callback intake, started with the server and stopped with it.
public final class DispatchRuntime: Service, Sendable {
    public let store: any DispatchStore
    public let intake: CallbackIntake
    public let platforms: [ComputePlatform]
    private let dispatcher: Dispatcher
    private let poller: Poller
    private let clients: [HTTPClient]
    private let wakeup: Wakeup<DispatchScope>
    private let logger: Logger

    /// `baseURL` is asked at each submit: callback URLs point at this server.
    public init(
        configuration: DispatchConfiguration, baseURL: @escaping @Sendable () -> String, orchestrator: Orchestrator,
        store: any FletcherStore, clock: any WallClock = SystemWallClock(), logger: Logger
    ) {
        var clients: [HTTPClient] = []
        var platforms: [ComputePlatform] = []
        for platform in configuration.platforms.values.sorted(by: { $0.compute < $1.compute }) {
            var settings = HTTPClientConfiguration()
            settings.timeout = .milliseconds(Int64(platform.timeoutSeconds * 1000))
            settings.connectTimeout = min(.seconds(5), settings.timeout)
            settings.caFile = platform.caFile
            settings.clientCertificate = platform.clientCertificate
            settings.clientKey = platform.clientKey
            settings.maxConnectionsPerHost = platform.limits.concurrency
            let client = HTTPClient(configuration: settings)
            clients.append(client)
            let name = platform.compute.rawValue
            let adapter = platform.makeAdapter(
                AdapterEnvironment(
                    url: platform.url, client: client, callbackURL: { baseURL() + "/api/callback/\(name)" }))
            platforms.append(ComputePlatform(adapter: adapter, limits: platform.limits))
        }
        let poller = Poller(
            orchestrator: orchestrator, store: store, platforms: platforms, settings: configuration.settings,
            logger: logger)
        self.store = store
        self.platforms = platforms
        self.poller = poller
        self.dispatcher = Dispatcher(
            orchestrator: orchestrator, store: store, platforms: platforms, poller: poller,
            settings: configuration.settings, clock: clock, logger: logger)
        self.intake = CallbackIntake(store: store, poller: poller, platforms: platforms, clock: clock)
        self.clients = clients
        self.wakeup = orchestrator.dispatchWork
        self.logger = logger
    }

    /// Dispatches and polls until graceful shutdown; calls in flight are then abandoned to their
    /// lease (the next claimer resubmits with the same idempotency key).
    public func run() async throws {
        // A service that returns stops the server: with nothing to dispatch, wait for shutdown.
        guard !platforms.isEmpty else { return try await gracefulShutdown() }
        logger.notice(
            "dispatching", metadata: ["computes": "\(platforms.map(\.compute.rawValue).joined(separator: ","))"])
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.dispatcher.run() }
                group.addTask { await self.poller.run() }
                group.addTask { await self.intake.follow(logger: self.logger) }
                if let postgres = self.store as? PostgresPlanStore {
                    group.addTask { await self.relayNotifications(postgres) }
                }
            }
        }
        for client in clients { client.shutdown() }
    }

    /// Other instances' commits wake this dispatcher too (`LISTEN`), not only the 1 s fallback.
    private func relayNotifications(_ store: PostgresPlanStore) async {
        let listener = store.dispatchNotifications()
        await withTaskCancellationHandler {
            for await _ in listener.notifications { wakeup.signal(.all) }
        } onCancel: {
            listener.stop()
        }
    }
}
