import ArgumentParser
import FletcherPlatform
import FletcherSimulators
import Hummingbird
import Logging
import UnixSignals

struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a simulator of a compute platform (C-AMS or DBXaaS) for tests and demos.",
        discussion: """
            Jobs go through queued, running and a final state in --run-seconds; faults are injected at the \\
            given ratios. C-AMS calls back to each job's callback_url, signed with --callback-secret; DBXaaS \\
            notifies --webhook-url with Basic credentials.
            """)

    enum Platform: String, ExpressibleByArgument, CaseIterable { case cams, dbxaas }

    @Argument(help: "The platform to simulate: cams or dbxaas.") var platform: Platform
    @Option(help: "Port to listen on (127.0.0.1).") var port = 8090
    @Option(help: "Bearer token the simulator requires (none: any request is accepted).") var token: String?
    @Option(help: "Seconds from submit to the end of a run.") var runSeconds = 2.0
    @Option(help: "Share of runs that fail.") var failureRatio = 0.0
    @Option(help: "Share of requests answered 503.") var errorRatio = 0.0
    @Option(help: "Share of requests answered 429.") var throttleRatio = 0.0
    @Option(help: "Share of requests that stall past the client's timeout.") var timeoutRatio = 0.0
    @Option(help: "Share of requests answered with a body that is not JSON.") var garbageRatio = 0.0
    @Flag(help: "Send no callbacks (the caller must poll).") var noCallbacks = false
    @Option(help: "C-AMS: the whsec_ secret callbacks are signed with.") var callbackSecret: String?
    @Option(help: "DBXaaS: where notifications go.") var webhookURL: String?
    @Option(help: "DBXaaS: Basic user of the webhook.") var webhookUser = "fletcher"
    @Option(help: "DBXaaS: Basic password of the webhook.") var webhookPassword = ""

    func run() async throws {
        var settings = SimulatorSettings()
        settings.runSeconds = runSeconds
        settings.failureRatio = failureRatio
        settings.serverErrorRatio = errorRatio
        settings.throttleRatio = throttleRatio
        settings.timeoutRatio = timeoutRatio
        settings.garbageRatio = garbageRatio
        settings.callbacks = !noCallbacks
        let router: Router<BasicRequestContext>
        switch platform {
        case .cams:
            if let callbackSecret, WebhookSignature(secret: callbackSecret) == nil {
                throw ValidationError("--callback-secret must be whsec_ followed by base64")
            }
            router = CAMSSimulator(settings: settings, token: token, callbackSecret: callbackSecret).router()
        case .dbxaas:
            let simulator = DBXaaSSimulator(settings: settings, token: token)
            if let webhookURL {
                simulator.notify(
                    webhookURL, credentials: BasicCredentials(user: webhookUser, password: webhookPassword))
            }
            router = simulator.router()
        }
        let platform = self.platform
        let logger = Logger(label: "fletcher.simulate")
        let application = SimulatorServer.application(router, port: port, logger: logger) { port in
            logger.notice("\(platform.rawValue) simulator listening on http://127.0.0.1:\(port)")
        }
        try await application.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }
}
