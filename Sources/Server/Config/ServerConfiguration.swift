import FletcherPlatform
import Foundation
import Logging

/// Everything `fletcher serve` reads from its environment (`docs/api.md` §4, `docs/dispatch.md` §7),
/// checked at start so a mistake is one clear line, not a failure later.
public struct ServerConfiguration: Sendable {
    public enum LogFormat: String, Sendable { case text, json }

    public var database: DatabaseURL
    /// The public URL of this server (callback URLs, the OpenAPI `servers` entry).
    public var baseURL: String
    public var bindHost: String
    public var bindPort: Int
    /// JWT signing secret, at least 32 bytes.
    public var secretKey: [UInt8]
    /// True when `SECRET_KEY` was unset and a random one was made (tokens die with the process).
    public var secretKeyGenerated: Bool
    public var services: [ServiceAccount]
    /// The key of the generated `local` service, when `REMOTE_APIS` was unset: printed once.
    public var generatedLocalKey: String?
    public var maxConnections: Int
    public var logLevel: Logger.Level
    public var logFormat: LogFormat
    public var maxBodyBytes: Int
    /// How long a new connection may take to send its first request head.
    public var httpHeaderTimeout: Duration
    /// How long a connection may sit without a request before it is closed.
    public var httpIdleTimeout: Duration
    /// Connections open at once; more are refused (and logged) until some close.
    public var maxHTTPConnections: Int
    /// Products the in-memory plan cache keeps (across all plans); more means fewer reloads.
    public var planCacheProducts: Int
    public var swaggerUIURL: String
    public var dispatch: DispatchConfiguration

    public static let defaultBaseURL = "http://127.0.0.1:3000"

    /// `registry`: the platform plugins this build knows (`PlatformRegistry.builtIn`).
    public static func from(_ environment: Environment, registry: PlatformRegistry) throws(ConfigurationError)
        -> ServerConfiguration
    {
        let database = try DatabaseURL(parsing: environment["DATABASE_URL"] ?? DatabaseURL.defaultValue)
        let baseURL = environment["BASE_URL"] ?? defaultBaseURL
        let (defaultHost, defaultPort) = try hostAndPort(ofBaseURL: baseURL)
        let (bindHost, bindPort) = try environment["BIND"].map(parseBind) ?? (defaultHost, defaultPort)

        var secretKey: [UInt8]
        let secretKeyGenerated: Bool
        if let secret = environment["SECRET_KEY"] {
            secretKey = Array(secret.utf8)
            guard secretKey.count >= 32 else {
                throw ConfigurationError("SECRET_KEY must be at least 32 bytes long, it has \(secretKey.count)")
            }
            secretKeyGenerated = false
        } else {
            secretKey = randomBytes(32)
            secretKeyGenerated = true
        }

        var services: [ServiceAccount]
        var generatedLocalKey: String?
        if let remote = environment["REMOTE_APIS"] {
            services = try ServiceAccount.parseList(remote)
        } else {
            // A 256-bit random key needs no slow hash to resist guessing; a low cost keeps start-up fast.
            let key = randomBytes(32).hex
            services = [.hashing(service: "local", key: key, roles: Set(Role.allCases), cost: 6)]
            generatedLocalKey = key
        }

        return ServerConfiguration(
            database: database, baseURL: baseURL, bindHost: bindHost, bindPort: bindPort, secretKey: secretKey,
            secretKeyGenerated: secretKeyGenerated, services: services, generatedLocalKey: generatedLocalKey,
            maxConnections: try integer(environment, "MAX_CONNECTIONS", default: 10, in: 1...1000),
            logLevel: try logLevel(environment["LOG_LEVEL"]),
            logFormat: try logFormat(environment["LOG_FORMAT"]),
            maxBodyBytes: try integer(environment, "MAX_BODY_BYTES", default: 16 * 1024 * 1024, in: 1024...(1 << 30)),
            httpHeaderTimeout: .seconds(
                try number(environment, "HTTP_HEADER_TIMEOUT_SECONDS", default: 30.0, in: 0.1...3600)),
            httpIdleTimeout: .seconds(
                try number(environment, "HTTP_IDLE_TIMEOUT_SECONDS", default: 60.0, in: 0.1...86400)),
            maxHTTPConnections: try integer(environment, "MAX_HTTP_CONNECTIONS", default: 4096, in: 1...1_000_000),
            planCacheProducts: try integer(environment, "PLAN_CACHE_PRODUCTS", default: 50_000, in: 0...50_000_000),
            swaggerUIURL: environment["SWAGGER_UI_URL"] ?? SwaggerPage.defaultAssetsURL,
            dispatch: try DispatchConfiguration.from(environment, registry: registry))
    }

    static func hostAndPort(ofBaseURL text: String) throws(ConfigurationError) -> (String, Int) {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else {
            throw ConfigurationError("BASE_URL '\(text)' must be an absolute http(s) URL such as \(defaultBaseURL)")
        }
        return (host, url.port ?? (scheme == "https" ? 443 : 80))
    }

    /// `host:port`, `[ipv6]:port` or `:port` (all interfaces).
    static func parseBind(_ text: String) throws(ConfigurationError) -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else {
            throw ConfigurationError("BIND '\(text)' must be host:port, for example 0.0.0.0:3000")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }

    static func integer(
        _ environment: Environment, _ key: String, default value: Int, in range: ClosedRange<Int>
    ) throws(ConfigurationError) -> Int {
        try number(environment, key, default: value, in: range, kind: "a whole number")
    }

    /// A number variable within `range`; `kind` names what is expected in the error.
    static func number<Number: LosslessStringConvertible & Comparable>(
        _ environment: Environment, _ key: String, default value: Number, in range: ClosedRange<Number>,
        kind: String = "a number"
    ) throws(ConfigurationError) -> Number {
        guard let text = environment[key] else { return value }
        guard let number = Number(text), range.contains(number) else {
            throw ConfigurationError(
                "\(key) must be \(kind) from \(range.lowerBound) to \(range.upperBound), got '\(text)'")
        }
        return number
    }

    private static func logLevel(_ text: String?) throws(ConfigurationError) -> Logger.Level {
        guard let text else { return .info }
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            throw ConfigurationError(
                "LOG_LEVEL '\(text)' must be one of trace, debug, info, notice, warning, error, critical")
        }
        return level
    }

    private static func logFormat(_ text: String?) throws(ConfigurationError) -> LogFormat {
        guard let text else { return .text }
        guard let format = LogFormat(rawValue: text.lowercased()) else {
            throw ConfigurationError("LOG_FORMAT '\(text)' must be text or json")
        }
        return format
    }
}

func randomBytes(_ count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
}
