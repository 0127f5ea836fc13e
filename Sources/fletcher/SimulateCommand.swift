import ArgumentParser
import FletcherPlatform
import FletcherPlugins
import FletcherSimulators
import Hummingbird
import Logging
import UnixSignals

struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a simulator of a registered compute platform for tests and demos.",
        discussion: """
            Jobs go through queued, running and a final state in --run-seconds; faults are injected at the \\
            given ratios. Platforms that sign callbacks sign them with --callback-secret; platforms that \\
            notify one address notify --webhook-url with Basic credentials.
            """)

    @Argument(help: "The platform to simulate (\(PlatformRegistry.builtIn.names.joined(separator: ", "))).")
    var platform: String
    @Option(help: "Port to listen on (127.0.0.1).") var port = 8090
    @Option(help: "Bearer token the simulator requires (none: any request is accepted).") var token: String?
    @Option(help: "Seconds from submit to the end of a run.") var runSeconds = 2.0
    @Option(help: "Share of runs that fail.") var failureRatio = 0.0
    @Option(help: "Share of requests answered 503.") var errorRatio = 0.0
    @Option(help: "Share of requests answered 429.") var throttleRatio = 0.0
    @Option(help: "Share of requests that stall past the client's timeout.") var timeoutRatio = 0.0
    @Option(help: "Share of requests answered with a body that is not JSON.") var garbageRatio = 0.0
    @Flag(help: "Send no callbacks (the caller must poll).") var noCallbacks = false
    @Option(help: "Platforms that sign callbacks: the whsec_ secret they are signed with.") var callbackSecret: String?
    @Option(help: "Platforms that notify one address: where notifications go.") var webhookURL: String?
    @Option(help: "Platforms that notify one address: the Basic user they send.") var webhookUser = "fletcher"
    @Option(help: "Platforms that notify one address: the Basic password they send.") var webhookPassword = ""

    func run() async throws {
        var settings = SimulatorSettings()
        settings.runSeconds = runSeconds
        settings.failureRatio = failureRatio
        settings.serverErrorRatio = errorRatio
        settings.throttleRatio = throttleRatio
        settings.timeoutRatio = timeoutRatio
        settings.garbageRatio = garbageRatio
        settings.callbacks = !noCallbacks
        let simulator: any Simulator
        let name: String
        do {
            let plugin = try PlatformRegistry.builtIn.plugin(named: platform)
            name = plugin.displayName
            simulator = try plugin.simulator.make(
                SimulatorOptions(
                    settings: settings, token: token, callbackSecret: callbackSecret, webhookURL: webhookURL,
                    webhookCredentials: BasicCredentials(user: webhookUser, password: webhookPassword)))
        } catch {
            throw ValidationError(error.description)
        }
        let logger = Logger(label: "fletcher.simulate")
        let application = SimulatorServer.application(simulator.router(), port: port, logger: logger) { port in
            logger.notice("\(name) simulator listening on http://127.0.0.1:\(port)")
        }
        try await application.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }
}
