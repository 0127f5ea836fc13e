import FletcherCore
import FletcherPlatform
import FletcherPlugins
import FletcherServer
import FletcherSimulators
import Foundation
import Hummingbird
import Logging

/// `fletcher serve --demo`: Fletcher on an in-memory SQLite database, dispatching to a simulator
/// of every registered platform on loopback, with a sample plan that runs to completion by itself.
enum Demo {
    static let registry = PlatformRegistry.builtIn

    static func run(
        environment: FletcherServer.Environment,
        serve: @Sendable (FletcherServer.Environment, PlanParam) async throws -> Void
    ) async throws {
        var values = environment.values
        let baseURL = values["BASE_URL"] ?? ServerConfiguration.defaultBaseURL
        let demos = registry.plugins.map { $0.simulator.demo(baseURL) }
        var logger = Logger(label: "fletcher.simulator")
        logger.logLevel = .warning
        try await withThrowingTaskGroup(of: Void.self) { group in
            let (ports, continuation) = AsyncStream.makeStream(of: (Int, Int).self)
            for (index, (plugin, demo)) in zip(registry.plugins, demos).enumerated() {
                var options = demo.options
                options.settings.runSeconds = 4
                let simulator = try plugin.simulator.make(options)
                let application = SimulatorServer.application(simulator.router(), port: 0, logger: logger) {
                    continuation.yield((index, $0))
                }
                group.addTask { try await application.runService(gracefulShutdownSignals: []) }
            }
            var urls: [Int: String] = [:]
            for await (index, port) in ports {
                urls[index] = "http://127.0.0.1:\(port)"
                if urls.count == demos.count { break }
            }
            values["DATABASE_URL"] = "sqlite::memory:"
            for (index, (plugin, demo)) in zip(registry.plugins, demos).enumerated() {
                values.merge(demo.environment(urls[index]!)) { _, demo in demo }
                values["\(plugin.compute.rawValue.uppercased())_POLL_SECONDS"] = "5"
                print("Demo: \(plugin.displayName) simulator at \(urls[index]!)")
            }
            try await serve(FletcherServer.Environment(values), plan(demos))
            group.cancelAll()
        }
    }

    /// An accounting pipeline of 12 eager products, spread over the registered platforms in turn.
    static func plan(_ demos: [SimulatorDemo]) -> PlanParam {
        func id(_ n: Int) -> UUID { UUID(uuidString: String(format: "de300000-0000-4000-8000-%012d", n))! }
        let names = [
            "BKPF", "BSEG", "T001", "GLT0", "MIDA", "EDM_GL", "EDM_TB", "Alchemy", "FSLI Mapping", "Journals 1000",
            "Journals 2000", "Alchemy Report",
        ]
        let edges: [(Int, Int)] = [
            (0, 5), (1, 5), (2, 5), (1, 6), (2, 6), (3, 6), (5, 7), (6, 7),
            (5, 9), (6, 9), (8, 9), (4, 9), (5, 10), (6, 10), (8, 10), (4, 10), (7, 11),
        ]
        return PlanParam(
            dataset: DatasetParam(id: id(0), extra: ["pipeline": "accounting", "demo": true]),
            dataProducts: names.enumerated().map { index, name in
                let platform = index % demos.count
                return DataProductParam(
                    id: id(index + 1), compute: registry.plugins[platform].compute, name: name, version: "1.0.0",
                    eager: true, passthrough: demos[platform].passthrough(name, index))
            },
            dependencies: edges.map { DependencyParam(parentID: id($0.0 + 1), childID: id($0.1 + 1)) })
    }
}
