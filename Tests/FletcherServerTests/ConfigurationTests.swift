import FletcherPlatform
import FletcherPlugins
import FletcherServer
import FletcherTestSupport
import Foundation
import Logging
import Testing

@Suite("Configuration (docs/api.md §4)")
struct ConfigurationTests {
    private func configuration(_ values: [String: String]) throws -> ServerConfiguration {
        try ServerConfiguration.from(Environment(values), registry: .builtIn)
    }

    private func failure(_ values: [String: String]) -> String? {
        do {
            _ = try configuration(values)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func zeroConfigurationRunsOnSQLiteWithAGeneratedLocalService() throws {
        let defaults = try configuration([:])
        #expect(defaults.database == .sqlite(path: "fletcher.sqlite"))
        #expect(defaults.bindHost == "127.0.0.1" && defaults.bindPort == 3000)
        #expect(defaults.secretKeyGenerated && defaults.secretKey.count == 32)
        #expect(defaults.services.map(\.service) == ["local"])
        #expect(defaults.services.first?.roles == Set(Role.allCases))
        #expect(defaults.generatedLocalKey?.count == 64)
        #expect(defaults.maxConnections == 10 && defaults.maxBodyBytes == 16_777_216)
        #expect(defaults.planCacheProducts == 50_000)
        #expect(defaults.httpHeaderTimeout == .seconds(30) && defaults.httpIdleTimeout == .seconds(60))
        #expect(defaults.maxHTTPConnections == 4096)
        #expect(try configuration(["PLAN_CACHE_PRODUCTS": "0"]).planCacheProducts == 0)
    }

    @Test func upstreamVariablesKeepTheirMeaning() throws {
        let remote =
            #"[{"service": "etl", "hash": "$2b$04$abcdefghijklmnopqrstuu9yqWo5jkBSxPOeStqXmZBpUR76CBtq", "roles": ["publish", "update"]}]"#
        let parsed = try configuration([
            "DATABASE_URL": "postgres://u:p@db:5432/fletcher", "BASE_URL": "https://fletcher.example.com",
            "SECRET_KEY": String(repeating: "k", count: 40), "REMOTE_APIS": remote, "MAX_CONNECTIONS": "25",
            "BIND": "0.0.0.0:8080", "LOG_LEVEL": "DEBUG", "LOG_FORMAT": "json",
        ])
        #expect(parsed.database == .postgres("postgres://u:p@db:5432/fletcher"))
        #expect(parsed.bindHost == "0.0.0.0" && parsed.bindPort == 8080)
        #expect(!parsed.secretKeyGenerated && parsed.generatedLocalKey == nil)
        #expect(parsed.services.first?.roles == [.publish, .update])
        #expect(parsed.maxConnections == 25 && parsed.logLevel == .debug && parsed.logFormat == .json)
        #expect(try configuration(["BASE_URL": "https://f.example.com"]).bindPort == 443)
        #expect(
            try configuration(["DATABASE_URL": "host=db dbname=fletcher"]).database
                == .postgres("host=db dbname=fletcher"))
        #expect(try configuration(["DATABASE_URL": "sqlite::memory:"]).database == .sqlite(path: ":memory:"))
    }

    @Test func mistakesAreOneClearLine() {
        #expect(failure(["DATABASE_URL": "mysql://x"])?.contains("DATABASE_URL 'mysql://x' is not understood") == true)
        #expect(failure(["SECRET_KEY": "short"]) == "SECRET_KEY must be at least 32 bytes long, it has 5")
        #expect(failure(["REMOTE_APIS": "{"])?.hasPrefix("REMOTE_APIS must be a JSON array") == true)
        #expect(
            failure(["REMOTE_APIS": #"[{"service": "a", "hash": "$2b$04$x", "roles": ["admin"]}]"#])
                == "REMOTE_APIS: service 'a' has an unknown role 'admin' (known: publish, pause, update, disable)")
        #expect(
            failure(["REMOTE_APIS": #"[{"service": "a", "hash": "plain", "roles": []}]"#])?.contains("no bcrypt hash")
                == true)
        #expect(failure(["BIND": "nowhere"])?.hasPrefix("BIND 'nowhere' must be host:port") == true)
        #expect(
            failure(["BASE_URL": "fletcher.local"])?.hasPrefix("BASE_URL 'fletcher.local' must be an absolute") == true)
        #expect(failure(["MAX_CONNECTIONS": "zero"])?.hasPrefix("MAX_CONNECTIONS must be a whole number") == true)
        #expect(failure(["LOG_FORMAT": "xml"]) == "LOG_FORMAT 'xml' must be text or json")
        #expect(failure(["HTTP_HEADER_TIMEOUT_SECONDS": "0"])?.hasPrefix("HTTP_HEADER_TIMEOUT_SECONDS must be") == true)
        #expect(failure(["MAX_HTTP_CONNECTIONS": "-1"])?.hasPrefix("MAX_HTTP_CONNECTIONS must be") == true)
    }

    @Test func envFilesAreReadAndTheRealEnvironmentWins() throws {
        let directory = try TemporaryDirectory()
        let file = directory.path("test.env")
        let variable = "FLETCHER_TEST_\(UUID().uuidString.prefix(8))"
        try """
        # comment
        export BASE_URL="http://127.0.0.1:4000"
        LOG_LEVEL='debug'

        \(variable)=from-file
        PATH=/from/file
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let environment = try Environment.load(envFile: file)
        #expect(environment["BASE_URL"] == "http://127.0.0.1:4000")
        #expect(environment["LOG_LEVEL"] == "debug")
        #expect(environment[variable] == "from-file")
        #expect(environment["PATH"] == ProcessInfo.processInfo.environment["PATH"])  // the real one wins
        #expect(throws: ConfigurationError.self) { try Environment.load(envFile: directory.path("missing.env")) }
        try "JUST TEXT".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(throws: ConfigurationError.self) { try Environment.load(envFile: file) }
    }
}
