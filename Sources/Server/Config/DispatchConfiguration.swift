import FletcherCore
import FletcherPlatform
import Foundation

/// The compute platforms Fletcher dispatches to (`adapters.md` §7). A platform whose
/// `<COMPUTE>_URL` is unset stays in external mode: its products are queued and wait for reports.
public struct DispatchConfiguration: Sendable {
    public struct Platform: Sendable {
        public var compute: Compute
        public var url: String
        public var token: String?
        public var limits: PlatformLimits
        public var caFile: String?
        public var clientCertificate: String?
        public var clientKey: String?
        /// Total time a call may take (connect: at most 5 s of it).
        public var timeoutSeconds: Double
    }

    public var platforms: [Platform]
    public var camsCallbackSecret: String?
    public var dbxaasWebhook: BasicCredentials?
    public var settings: DispatchSettings

    public var dispatching: Set<Compute> { Set(platforms.map(\.compute)) }

    static func from(_ environment: Environment) throws(ConfigurationError) -> DispatchConfiguration {
        var platforms: [Platform] = []
        for compute in Compute.allCases {
            let prefix = compute.rawValue.uppercased()
            guard let url = environment["\(prefix)_URL"] else { continue }
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""),
                parsed.host?.isEmpty == false
            else { throw ConfigurationError("\(prefix)_URL '\(url)' must be an absolute http(s) URL") }
            let tls = try ["CA_FILE", "CLIENT_CERT", "CLIENT_KEY"].map { suffix throws(ConfigurationError) in
                try readableFile(environment, "\(prefix)_\(suffix)")
            }
            if (tls[1] == nil) != (tls[2] == nil) {
                throw ConfigurationError("\(prefix)_CLIENT_CERT and \(prefix)_CLIENT_KEY must be set together")
            }
            platforms.append(
                Platform(
                    compute: compute, url: url, token: environment["\(prefix)_TOKEN"],
                    limits: PlatformLimits(
                        concurrency: try ServerConfiguration.integer(
                            environment, "\(prefix)_CONCURRENCY", default: 16, in: 1...1024),
                        ratePerSecond: try ServerConfiguration.number(
                            environment, "\(prefix)_RATE_PER_SECOND", default: 10, in: 0.01...100_000),
                        pollSeconds: try ServerConfiguration.number(
                            environment, "\(prefix)_POLL_SECONDS", default: 30, in: 0...86_400)),
                    caFile: tls[0], clientCertificate: tls[1], clientKey: tls[2],
                    timeoutSeconds: try ServerConfiguration.number(
                        environment, "\(prefix)_TIMEOUT_SECONDS", default: 30, in: 0.1...600)))
        }
        let secret = environment["CAMS_CALLBACK_SECRET"]
        if let secret, WebhookSignature(secret: secret) == nil {
            throw ConfigurationError("CAMS_CALLBACK_SECRET must be whsec_ followed by base64 (Standard Webhooks)")
        }
        var webhook: BasicCredentials?
        switch (environment["DBXAAS_WEBHOOK_USER"], environment["DBXAAS_WEBHOOK_PASSWORD"]) {
        case (let user?, let password?): webhook = BasicCredentials(user: user, password: password)
        case (nil, nil): webhook = nil
        default: throw ConfigurationError("DBXAAS_WEBHOOK_USER and DBXAAS_WEBHOOK_PASSWORD must be set together")
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
        return DispatchConfiguration(
            platforms: platforms, camsCallbackSecret: secret, dbxaasWebhook: webhook, settings: settings)
    }

    private static func readableFile(_ environment: Environment, _ key: String) throws(ConfigurationError) -> String? {
        guard let path = environment[key] else { return nil }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw ConfigurationError("\(key): cannot read the file \(path)")
        }
        return path
    }
}
