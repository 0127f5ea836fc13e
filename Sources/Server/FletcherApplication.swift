import FletcherCore
import FletcherPlatform
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import OpenAPIHummingbird
import OpenAPIRuntime

/// Wires Fletcher's HTTP server: the generated REST API, documentation, health routes and the
/// middlewares every request passes through.
public enum FletcherApplication {
    /// Builds the application. `traced`: spans are exported, so each request gets one.
    /// `onServerRunning` receives the bound port (useful with port 0).
    public static func make(
        configuration: ServerConfiguration, orchestrator: Orchestrator, dispatch: DispatchRuntime,
        revocations: any RevocationStore, traced: Bool, logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws -> some ApplicationProtocol {
        let document = try OpenAPIDocument.load(
            baseURL: configuration.baseURL, computes: configuration.dispatch.registry.names)
        let revoked = TokenRevocations(store: revocations)
        let authenticator = await Authenticator(
            services: configuration.services, secret: configuration.secretKey, revocations: revoked)

        let router = Router()
        // Outermost: the request's span (continuing a caller's `traceparent`) covers all the rest.
        // Only when spans go somewhere: the span ends after the answer is written, which makes
        // the connection write every answer's head and body apart (see `WholeBodyMiddleware`).
        if traced { router.add(middleware: TracingMiddleware()) }
        router.add(middleware: RequestLogMiddleware())
        router.add(middleware: SecurityHeadersMiddleware())
        router.add(middleware: RequestMetricsMiddleware())
        router.add(middleware: ProblemMiddleware(routes: document.routes))
        router.add(middleware: WholeBodyMiddleware())
        addOperationalRoutes(to: router, store: orchestrator.store)
        FletcherMetrics.addRoute(
            to: router, store: dispatch.store, dispatching: dispatch.platforms.map(\.compute), clock: SystemWallClock())
        addDocumentationRoutes(to: router, document: document, swaggerUIURL: configuration.swaggerUIURL)

        CallbackRoute.add(to: router, intake: dispatch.intake, maxBodyBytes: configuration.maxBodyBytes)
        EventsRoute.add(to: router, orchestrator: orchestrator)
        let session = WebSession(
            authenticator: authenticator, secret: configuration.secretKey,
            secure: configuration.baseURL.lowercased().hasPrefix("https:"))
        let pages = try await PageRoutes.load(
            orchestrator: orchestrator, runs: dispatch.store, renderer: GraphvizRenderer(), session: session,
            access: document.access)
        pages.add(to: router)
        pages.addManagement(to: router, maxBodyBytes: configuration.maxBodyBytes)

        let handlers = APIHandlers(orchestrator: orchestrator, authenticator: authenticator, runs: dispatch.store)
        try handlers.registerHandlers(
            on: router, serverURL: URL(string: "/")!,
            configuration: Configuration(jsonEncodingOptions: [.sortedKeys, .withoutEscapingSlashes]),
            middlewares: [
                AuthenticationMiddleware(authenticator: authenticator, rules: document.access),
                QueryParameterMiddleware(routes: document.routes),
                RequestBodyMiddleware(
                    limit: configuration.maxBodyBytes, routes: document.routes,
                    parsedWithNestingLimit: [PlanBodyMiddleware.operationID]),
                PlanBodyMiddleware(),
                PlanResponseMiddleware(),
            ])

        let limits = ConnectionLimits(
            maximum: configuration.maxHTTPConnections, headerTimeout: configuration.httpHeaderTimeout, logger: logger)
        let idleTimeout = TimeAmount.nanoseconds(Int64(configuration.httpIdleTimeout / .nanoseconds(1)))
        return Application(
            router: router,
            server: .http1(
                configuration: .init(
                    additionalChannelHandlers: [ConnectionGuard(limits: limits)], idleTimeout: idleTimeout)),
            configuration: .init(
                address: .hostname(configuration.bindHost, port: configuration.bindPort), serverName: "Fletcher"),
            services: [dispatch, ChangeRelay(orchestrator: orchestrator), revoked],
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    private static func addOperationalRoutes(to router: Router<BasicRequestContext>, store: any PlanStore) {
        // Up means the process answers; it asks nothing of the database.
        router.get("/healthz") { _, _ in text("ok\n") }
        router.get("/readyz") { _, _ in
            switch await store.readiness() {
            case .ready: return text("ready\n")
            case .notReady(let reason): throw APIError.unavailable("Not ready: \(reason)")
            }
        }
    }

    private static func addDocumentationRoutes(
        to router: Router<BasicRequestContext>, document: OpenAPIDocument, swaggerUIURL: String
    ) {
        router.get("/spec") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: document.json)))
        }
        router.get("/spec.yaml") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: document.yaml)))
        }
        router.get("/swagger") { _, _ in
            Response(
                status: .ok,
                headers: [
                    .contentType: "text/html; charset=utf-8",
                    .contentSecurityPolicy: SwaggerPage.contentSecurityPolicy(assetsURL: swaggerUIURL),
                ],
                body: .init(byteBuffer: ByteBuffer(string: SwaggerPage.html(assetsURL: swaggerUIURL))))
        }
        router.get("/swagger/init.js") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/javascript; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: SwaggerPage.initScript)))
        }
    }

    private static func text(_ body: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
