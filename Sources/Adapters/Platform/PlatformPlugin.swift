import FletcherCore
import FletcherHTTP
import FletcherSimulators

/// A compute platform as a plugin: one module under `Sources/Adapters/` provides one of these,
/// and one line in the registration list (`Sources/Adapters/Registry`) makes it known. The core,
/// the stores, the API, the UI, the metrics and the command line know platforms only through it.
public struct PlatformPlugin: Sendable {
    /// Its wire name, display name and `passthrough` rule: what the core needs of it.
    public let rules: PlatformRules
    /// `<COMPUTE>_POLL_SECONDS` when unset.
    public let defaultPollSeconds: Double
    /// Reads and checks the plugin's own variables, whether or not they turn dispatch on, so a
    /// mistake stops the start. Answers nil in external mode (its URL unset). The generic variables
    /// (`_CONCURRENCY`, `_RATE_PER_SECOND`, `_POLL_SECONDS`, `_TIMEOUT_SECONDS`, `_CA_FILE`,
    /// `_CLIENT_CERT`, `_CLIENT_KEY`) are read by shared code for every dispatching plugin.
    public let configure: @Sendable (PluginVariables) throws(PluginConfigurationError) -> PluginSetup?
    /// Its simulator, for tests, the benchmark, `--demo` and `fletcher simulate <name>`.
    public let simulator: SimulatorPlugin

    public init(
        rules: PlatformRules, defaultPollSeconds: Double = 30,
        configure: @escaping @Sendable (PluginVariables) throws(PluginConfigurationError) -> PluginSetup?,
        simulator: SimulatorPlugin
    ) {
        self.rules = rules
        self.defaultPollSeconds = defaultPollSeconds
        self.configure = configure
        self.simulator = simulator
    }

    public var compute: Compute { rules.compute }
    public var displayName: String { rules.displayName }
}

/// What a configured plugin hands the shared dispatch code.
public struct PluginSetup: Sendable {
    /// The platform's base URL (an absolute http(s) URL).
    public let url: String
    /// CAs to trust when `<COMPUTE>_CA_FILE` is unset (a platform that brings its own, such as a
    /// cluster's service-account CA); nil: the system's.
    public let caFile: String?
    /// Makes the adapter once the shared parts exist.
    public let makeAdapter: @Sendable (AdapterEnvironment) -> any ComputeAdapter

    public init(
        url: String, caFile: String? = nil, makeAdapter: @escaping @Sendable (AdapterEnvironment) -> any ComputeAdapter
    ) {
        self.url = url
        self.caFile = caFile
        self.makeAdapter = makeAdapter
    }
}

/// The shared parts an adapter is made from.
public struct AdapterEnvironment: Sendable {
    /// The platform's base URL.
    public let url: String
    /// An HTTP client of the platform's own, with its timeouts, TLS settings and connection limit.
    public let client: HTTPClient
    /// Where the platform calls back (`{BASE_URL}/api/callback/<name>`), asked at each use: a
    /// server on port 0 knows its address only once running.
    public let callbackURL: @Sendable () -> String

    public init(url: String, client: HTTPClient, callbackURL: @escaping @Sendable () -> String) {
        self.url = url
        self.client = client
        self.callbackURL = callbackURL
    }
}

/// A plugin's simulator, and how the demo runs Fletcher against it.
public struct SimulatorPlugin: Sendable {
    /// Makes the simulator; throws naming the option a plugin cannot use.
    public let make: @Sendable (SimulatorOptions) throws(PluginConfigurationError) -> any Simulator
    /// The demo: simulator options for a Fletcher at `fletcherBaseURL`, the variables that point
    /// that Fletcher at the simulator once it listens, and a product's passthrough.
    public let demo: @Sendable (_ fletcherBaseURL: String) -> SimulatorDemo

    public init(
        make: @escaping @Sendable (SimulatorOptions) throws(PluginConfigurationError) -> any Simulator,
        demo: @escaping @Sendable (_ fletcherBaseURL: String) -> SimulatorDemo
    ) {
        self.make = make
        self.demo = demo
    }
}

/// How a simulator behaves, whatever the platform: the flags of `fletcher simulate`.
public struct SimulatorOptions: Sendable {
    public var settings: SimulatorSettings
    /// The bearer token the simulator requires (none: any request is accepted).
    public var token: String?
    /// For platforms that sign callbacks: the secret they are signed with.
    public var callbackSecret: String?
    /// For platforms that notify one fixed address: where, and the Basic credentials they send.
    public var webhookURL: String?
    public var webhookCredentials: BasicCredentials?

    public init(
        settings: SimulatorSettings = SimulatorSettings(), token: String? = nil, callbackSecret: String? = nil,
        webhookURL: String? = nil, webhookCredentials: BasicCredentials? = nil
    ) {
        self.settings = settings
        self.token = token
        self.callbackSecret = callbackSecret
        self.webhookURL = webhookURL
        self.webhookCredentials = webhookCredentials
    }
}

/// One platform of `fletcher serve --demo`.
public struct SimulatorDemo: Sendable {
    public let options: SimulatorOptions
    /// Fletcher's variables for dispatching to the simulator listening at `simulatorURL`.
    public let environment: @Sendable (_ simulatorURL: String) -> [String: String]
    /// The `passthrough` of the demo product `name`, the `index`-th of the plan.
    public let passthrough: @Sendable (_ name: String, _ index: Int) -> JSONValue

    public init(
        options: SimulatorOptions, environment: @escaping @Sendable (_ simulatorURL: String) -> [String: String],
        passthrough: @escaping @Sendable (_ name: String, _ index: Int) -> JSONValue
    ) {
        self.options = options
        self.environment = environment
        self.passthrough = passthrough
    }
}
