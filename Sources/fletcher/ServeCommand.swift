import ArgumentParser
import FletcherCore
import FletcherMigrations
import FletcherPlatform
import FletcherPlugins
import FletcherServer
import Hummingbird
import Logging
import ServiceLifecycle
import UnixSignals

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the Fletcher server.",
        discussion: """
            Configuration comes from environment variables, over those of ./.env (or --env-file); see the \
            README. With no configuration at all, Fletcher serves http://127.0.0.1:3000 on the SQLite file \
            fletcher.sqlite, with one service 'local' whose key is printed once at start. SIGTERM or SIGINT \
            stop it gracefully: requests in flight finish first.
            """
    )

    @Option(help: "Read configuration variables from this file instead of ./.env.")
    var envFile: String?

    @Flag(
        help: """
            Demo mode: an in-memory SQLite database, a simulator of every registered platform on loopback, and a \
            sample plan that runs to completion.
            """)
    var demo = false

    func run() async throws {
        let environment = try FletcherServer.Environment.load(envFile: envFile)
        if demo {
            try await Demo.run(environment: environment) { try await serve($0, demoPlan: $1) }
        } else {
            try await serve(environment, demoPlan: nil)
        }
    }

    private func serve(_ environment: FletcherServer.Environment, demoPlan: PlanParam?) async throws {
        MemoryRelease.configure()
        let configuration = try ServerConfiguration.from(environment, registry: .builtIn)
        bootstrapLogging(configuration)
        let logger = {
            var logger = Logger(label: "fletcher")
            logger.logLevel = configuration.logLevel
            return logger
        }()

        let traceExport = try TraceExport.start(environment, logger: logger)
        if traceExport != nil { logger.notice("tracing: spans are exported over OTLP") }

        let opened = try await OpenedStore.open(configuration.database, maxConnections: configuration.maxConnections)
        for migration in try await opened.migrate() {
            logger.notice("applied migration \(migration.version) (\(migration.name))")
        }
        if configuration.secretKeyGenerated {
            logger.warning("SECRET_KEY is not set: tokens are signed with a random key and die with this process")
        }
        if let key = configuration.generatedLocalKey {
            logger.warning("REMOTE_APIS is not set: one service 'local' with every role was created for this run")
            // Printed once, on standard output, so it can be copied; it is not logged again.
            print("Service 'local' key (shown once): \(key)")
        }
        let orchestrator = Orchestrator(
            store: opened.store, platforms: configuration.dispatch.catalog,
            cache: PlanCache(capacity: configuration.planCacheProducts))
        let baseURL = configuration.baseURL
        let dispatch = DispatchRuntime(
            configuration: configuration.dispatch, baseURL: { baseURL }, orchestrator: orchestrator,
            store: opened.store, logger: logger)
        let app = try await FletcherApplication.make(
            configuration: configuration, orchestrator: orchestrator, dispatch: dispatch, revocations: opened.store,
            traced: traceExport != nil, logger: logger,
            onServerRunning: { port in
                logger.notice("Fletcher is serving \(baseURL) (port \(port))")
                if let demoPlan {
                    do {
                        _ = try await orchestrator.post(demoPlan, by: "demo")
                        logger.notice("demo plan posted: \(baseURL)/api/plan/\(demoPlan.dataset.id.lowercasedString)")
                    } catch {
                        logger.error("demo plan not posted: \(error)")
                    }
                }
            })
        // Services stop in reverse order: the server (with what uses the store) first, then the
        // store, once its calls in flight are done; the exporter last, so the final spans go out.
        let services: [any Service] =
            [MemoryRelease.Trimmer()] + [traceExport, opened.lifecycle].compactMap { $0 } + [app]
        try await ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        ).run()
    }

    private func bootstrapLogging(_ configuration: ServerConfiguration) {
        let level = configuration.logLevel
        switch configuration.logFormat {
        case .json:
            LoggingSystem.bootstrap { label in
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        case .text:
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardOutput(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }
}
