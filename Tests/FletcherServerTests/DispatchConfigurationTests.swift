import FletcherCore
import FletcherPlatform
import FletcherPlugins
import FletcherServer
import FletcherTestSupport
import Foundation
import Testing

@Suite("Dispatch configuration")
struct DispatchConfigurationTests {
    private func dispatch(_ values: [String: String]) throws -> DispatchConfiguration {
        try ServerConfiguration.from(Environment(values), registry: .builtIn).dispatch
    }

    private func failure(_ values: [String: String]) -> String? {
        do {
            _ = try dispatch(values)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func withoutURLsEveryPlatformStaysExternal() throws {
        let external = try dispatch([:])
        #expect(external.dispatching.isEmpty && external.platforms.isEmpty)
        #expect(external.settings == DispatchSettings())
    }

    @Test func aURLTurnsDispatchOnWithTheSpecifiedDefaults() throws {
        let configuration = try dispatch(["CAMS_URL": "https://cams.test/api"])
        #expect(configuration.dispatching == [.cams])
        let cams = try #require(configuration.platforms[.cams])
        #expect(cams.limits == PlatformLimits(concurrency: 16, ratePerSecond: 10, pollSeconds: 30))
        #expect(cams.timeoutSeconds == 30 && cams.url == "https://cams.test/api" && cams.caFile == nil)
        #expect(configuration.settings.maxAttempts == 8 && configuration.settings.leaseSeconds == 30)
        #expect(configuration.settings.backoff == Backoff(base: 1, cap: 300))
    }

    @Test func everyVariableIsRead() throws {
        let directory = try TemporaryDirectory()
        let ca = directory.path("ca.pem")
        try Data("pem".utf8).write(to: URL(fileURLWithPath: ca))
        let configuration = try dispatch([
            "DBXAAS_URL": "http://dbx.test", "DBXAAS_TOKEN": "t", "DBXAAS_POLL_SECONDS": "0.5",
            "DBXAAS_CONCURRENCY": "4", "DBXAAS_RATE_PER_SECOND": "2.5", "DBXAAS_TIMEOUT_SECONDS": "3",
            "DBXAAS_CA_FILE": ca, "DBXAAS_CLIENT_CERT": ca, "DBXAAS_CLIENT_KEY": ca,
            "DBXAAS_WEBHOOK_USER": "u", "DBXAAS_WEBHOOK_PASSWORD": "p", "DISPATCH_MAX_ATTEMPTS": "3",
            "DISPATCH_LEASE_SECONDS": "5", "DISPATCH_BACKOFF_BASE_SECONDS": "0.1",
            "DISPATCH_BACKOFF_CAP_SECONDS": "2", "CAMS_CALLBACK_SECRET": "whsec_c2VjcmV0",
        ])
        let dbxaas = try #require(configuration.platforms[.dbxaas])
        #expect(configuration.dispatching == [.dbxaas])
        #expect(dbxaas.limits == PlatformLimits(concurrency: 4, ratePerSecond: 2.5, pollSeconds: 0.5))
        #expect(dbxaas.timeoutSeconds == 3)
        #expect(dbxaas.caFile == ca && dbxaas.clientCertificate == ca && dbxaas.clientKey == ca)
        #expect(
            configuration.settings
                == DispatchSettings(maxAttempts: 3, leaseSeconds: 5, backoff: Backoff(base: 0.1, cap: 2)))
    }

    @Test func mistakesAreOneClearLine() {
        #expect(failure(["CAMS_URL": "cams.test"]) == "CAMS_URL 'cams.test' must be an absolute http(s) URL")
        #expect(failure(["CAMS_CALLBACK_SECRET": "hunter2!"])?.hasPrefix("CAMS_CALLBACK_SECRET must be whsec_") == true)
        #expect(
            failure(["DBXAAS_WEBHOOK_USER": "u"])
                == "DBXAAS_WEBHOOK_USER and DBXAAS_WEBHOOK_PASSWORD must be set together")
        #expect(
            failure(["CAMS_URL": "http://c", "CAMS_CA_FILE": "/nonexistent.pem"])
                == "CAMS_CA_FILE: cannot read the file /nonexistent.pem")
        #expect(
            failure(["CAMS_URL": "http://c", "CAMS_POLL_SECONDS": "-1"])?.hasPrefix(
                "CAMS_POLL_SECONDS must be a number") == true)
        #expect(
            failure(["DISPATCH_MAX_ATTEMPTS": "0"])?.hasPrefix("DISPATCH_MAX_ATTEMPTS must be a whole number") == true)
    }

    @Test func theProductionExampleIsValid() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let file = root.appendingPathComponent("config/production.env").path
        let configuration = try ServerConfiguration.from(try Environment.load(envFile: file), registry: .builtIn)
        #expect(configuration.dispatch.dispatching == [.cams, .dbxaas])
    }
}
