import FletcherCore
import FletcherPlatform
import FletcherServer
import FletcherSimulators
import Foundation
import Hummingbird
import Logging

/// `fletcher serve --demo`: Fletcher on an in-memory SQLite database, dispatching to simulators of
/// both platforms on loopback, with a sample plan that runs to completion by itself.
enum Demo {
    static func run(
        environment: FletcherServer.Environment,
        serve: @Sendable (FletcherServer.Environment, PlanParam) async throws -> Void
    ) async throws {
        var settings = SimulatorSettings()
        settings.runSeconds = 4
        let secret = "whsec_" + Data((0..<24).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        let cams = CAMSSimulator(settings: settings, token: "demo-cams", callbackSecret: secret)
        let dbxaas = DBXaaSSimulator(settings: settings, token: "demo-dbxaas")
        var logger = Logger(label: "fletcher.simulator")
        logger.logLevel = .warning
        try await withThrowingTaskGroup(of: Void.self) { group in
            let (ports, continuation) = AsyncStream.makeStream(of: (Compute, Int).self)
            for (compute, router) in [(Compute.cams, cams.router()), (.dbxaas, dbxaas.router())] {
                let application = SimulatorServer.application(router, port: 0, logger: logger) {
                    continuation.yield((compute, $0))
                }
                group.addTask { try await application.runService(gracefulShutdownSignals: []) }
            }
            var urls: [Compute: String] = [:]
            for await (compute, port) in ports {
                urls[compute] = "http://127.0.0.1:\(port)"
                if urls.count == 2 { break }
            }
            var values = environment.values
            let baseURL = values["BASE_URL"] ?? ServerConfiguration.defaultBaseURL
            let webhook = BasicCredentials(user: "demo", password: UUID().uuidString)
            dbxaas.notify(baseURL + "/api/callback/dbxaas", credentials: webhook)
            values.merge(
                [
                    "DATABASE_URL": "sqlite::memory:",
                    "CAMS_URL": urls[.cams]!, "CAMS_TOKEN": "demo-cams", "CAMS_CALLBACK_SECRET": secret,
                    "DBXAAS_URL": urls[.dbxaas]!, "DBXAAS_TOKEN": "demo-dbxaas",
                    "DBXAAS_WEBHOOK_USER": webhook.user, "DBXAAS_WEBHOOK_PASSWORD": webhook.password,
                    "CAMS_POLL_SECONDS": "5", "DBXAAS_POLL_SECONDS": "5",
                ]
            ) { _, demo in demo }
            print("Demo: C-AMS simulator at \(urls[.cams]!), DBXaaS simulator at \(urls[.dbxaas]!)")
            try await serve(FletcherServer.Environment(values), plan)
            group.cancelAll()
        }
    }

    /// The accounting pipeline of `quality.md`, every product eager, on both platforms.
    static var plan: PlanParam {
        func id(_ n: Int) -> UUID { UUID(uuidString: String(format: "de300000-0000-4000-8000-%012d", n))! }
        let products: [(String, Compute)] = [
            ("BKPF", .cams), ("BSEG", .cams), ("T001", .dbxaas), ("GLT0", .dbxaas), ("MIDA", .cams),
            ("EDM_GL", .dbxaas), ("EDM_TB", .cams), ("Alchemy", .dbxaas), ("FSLI Mapping", .cams),
            ("Journals 1000", .cams), ("Journals 2000", .dbxaas), ("Alchemy Report", .cams),
        ]
        let edges: [(Int, Int)] = [
            (0, 5), (1, 5), (2, 5), (1, 6), (2, 6), (3, 6), (5, 7), (6, 7),
            (5, 9), (6, 9), (8, 9), (4, 9), (5, 10), (6, 10), (8, 10), (4, 10), (7, 11),
        ]
        return PlanParam(
            dataset: DatasetParam(id: id(0), extra: ["pipeline": "accounting", "demo": true]),
            dataProducts: products.enumerated().map { index, product in
                DataProductParam(
                    id: id(index + 1), compute: product.1, name: product.0, version: "1.0.0", eager: true,
                    passthrough: product.1 == .dbxaas
                        ? ["job_id": .int(Int64(100 + index))] : ["table": .string(product.0)])
            },
            dependencies: edges.map { DependencyParam(parentID: id($0.0 + 1), childID: id($0.1 + 1)) })
    }
}
