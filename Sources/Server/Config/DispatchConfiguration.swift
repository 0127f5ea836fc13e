import FletcherCore
import FletcherPlatform
import Foundation

/// The compute platforms Fletcher dispatches to. A registered platform whose `<COMPUTE>_URL` is
/// unset stays in external mode: its products are queued and wait for reports. The variables
/// every platform has are read here; each plugin reads its own.
public struct DispatchConfiguration: Sendable {
    public struct Platform: Sendable {
        public var compute: Compute
        public var url: String
        public var limits: PlatformLimits
        public var caFile: String?
        public var clientCertificate: String?
        public var clientKey: String?
        /// Total time a call may take (connect: at most 5 s of it).
        public var timeoutSeconds: Double
        public var makeAdapter: @Sendable (AdapterEnvironment) -> any ComputeAdapter
    }

    /// The registered plugins, dispatching or not.
    public var registry: PlatformRegistry
    /// The dispatching platforms, by name.
    public var platforms: [Compute: Platform]
    public var settings: DispatchSettings

    public var dispatching: Set<Compute> { Set(platforms.keys) }

    /// The core's view of the platforms: every registered one, dispatching to the configured ones.
    public var catalog: PlatformCatalog { registry.catalog(dispatching: dispatching) }

    static func from(_ environment: Environment, registry: PlatformRegistry) throws(ConfigurationError)
        -> DispatchConfiguration
    {
        var platforms: [Compute: Platform] = [:]
        for plugin in registry.plugins {
            let variables = PluginVariables(compute: plugin.compute, values: environment.values)
            do {
                guard let setup = try plugin.configure(variables) else { continue }
                platforms[plugin.compute] = try platform(plugin, setup, variables, environment)
            } catch {
                throw ConfigurationError(error.description)
            }
        }
        let settings = DispatchSettings(
            maxAttempts: try ServerConfiguration.integer(environment, "DISPATCH_MAX_ATTEMPTS", default: 8, in: 1...100),
            leaseSeconds: try ServerConfiguration.number(
                environment, "DISPATCH_LEASE_SECONDS", default: 30, in: 1...3_600),
            backoff: Backoff(
                base: try ServerConfiguration.number(
                    environment, "DISPATCH_BACKOFF_BASE_SECONDS", default: 1, in: 0.001...3_600),
                cap: try ServerConfiguration.number(
                    environment, "DISPATCH_BACKOFF_CAP_SECONDS", default: 300, in: 0.001...86_400)))
        return DispatchConfiguration(registry: registry, platforms: platforms, settings: settings)
    }

    private static func platform(
        _ plugin: PlatformPlugin, _ setup: PluginSetup, _ variables: PluginVariables, _ environment: Environment
    ) throws(PluginConfigurationError) -> Platform {
        let tls = try ["CA_FILE", "CLIENT_CERT", "CLIENT_KEY"].map { suffix throws(PluginConfigurationError) in
            try variables.readableFile(suffix)
        }
        if (tls[1] == nil) != (tls[2] == nil) {
            throw PluginConfigurationError(
                "\(variables.name("CLIENT_CERT")) and \(variables.name("CLIENT_KEY")) must be set together")
        }
        do {
            return Platform(
                compute: plugin.compute, url: setup.url,
                limits: PlatformLimits(
                    concurrency: try ServerConfiguration.integer(
                        environment, variables.name("CONCURRENCY"), default: 16, in: 1...1024),
                    ratePerSecond: try ServerConfiguration.number(
                        environment, variables.name("RATE_PER_SECOND"), default: 10, in: 0.01...100_000),
                    pollSeconds: try ServerConfiguration.number(
                        environment, variables.name("POLL_SECONDS"), default: plugin.defaultPollSeconds,
                        in: 0...86_400)),
                caFile: tls[0] ?? setup.caFile, clientCertificate: tls[1], clientKey: tls[2],
                timeoutSeconds: try ServerConfiguration.number(
                    environment, variables.name("TIMEOUT_SECONDS"), default: 30, in: 0.1...600),
                makeAdapter: setup.makeAdapter)
        } catch {
            throw PluginConfigurationError(error.description)
        }
    }
}
