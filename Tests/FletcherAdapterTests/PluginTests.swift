import FletcherCore
import FletcherPlatform
import FletcherPlugins
import Foundation
import Testing

/// The built-in plugins as the registry hands them out: names, the rules they bring to the core,
/// and the one-line mistakes of their own variables.
@Suite("Platform plugins")
struct PluginTests {
    private let registry = PlatformRegistry.builtIn
    private let dbxaas = Compute(rawValue: "dbxaas")!

    @Test func cAMSAndDBXaaSAreAlwaysRegistered() throws {
        #expect(registry.names.contains("cams") && registry.names.contains("dbxaas"))
        #expect(registry.names == registry.names.sorted())
        let catalog = registry.catalog()
        #expect(catalog.displayName(try #require(Compute(rawValue: "cams"))) == "C-AMS")
        #expect(catalog.displayName(dbxaas) == "DBXaaS")
        #expect(throws: PluginConfigurationError.self) { try registry.plugin(named: "nomad") }
        do {
            _ = try registry.plugin(named: "nomad")
        } catch {
            #expect(error.description == "unknown platform 'nomad' (known: \(registry.names.joined(separator: ", ")))")
        }
    }

    private func post(_ passthrough: JSONValue?, dispatching: Set<Compute>) -> String? {
        let product = DataProductParam(
            id: UUID(), compute: dbxaas, name: "D", version: "1", eager: true, passthrough: passthrough)
        let plan = PlanParam(dataset: DatasetParam(id: UUID()), dataProducts: [product], dependencies: [])
        do {
            try Validation.check(plan, platforms: registry.catalog(dispatching: dispatching))
            return nil
        } catch {
            return error.message
        }
    }

    @Test func aDBXaaSProductNeedsAnIntegerJobIDOnlyWhileDBXaaSDispatches() {
        #expect(post(["job_id": "12"], dispatching: []) == nil, "external mode: anything goes")
        let refusal = post(["job_id": "12"], dispatching: [dbxaas])
        #expect(
            refusal?.hasPrefix("Invalid value for 'data_products[0].passthrough.job_id': must be an integer") == true)
        #expect(refusal?.hasSuffix("runs on DBXaaS)") == true, "\(refusal ?? "")")
        #expect(post(nil, dispatching: [dbxaas]) != nil)
        #expect(post(["job_id": 12, "job_parameters": ["day": "1"]], dispatching: [dbxaas]) == nil)
    }

    private func configure(_ name: String, _ values: [String: String]) -> Result<PluginSetup?, PluginConfigurationError>
    {
        let plugin = registry.plugin(Compute(rawValue: name)!)!
        return Result { () throws(PluginConfigurationError) in
            try plugin.configure(PluginVariables(compute: plugin.compute, values: values))
        }
    }

    @Test func aPluginIsExternalWithoutItsURLAndChecksItsVariablesEitherWay() throws {
        #expect(try configure("cams", [:]).get() == nil)
        #expect(try configure("cams", ["CAMS_URL": "https://cams.test"]).get()?.url == "https://cams.test")
        for (name, values, message) in [
            ("cams", ["CAMS_URL": "cams.test"], "CAMS_URL 'cams.test' must be an absolute http(s) URL"),
            (
                "cams", ["CAMS_CALLBACK_SECRET": "hunter2!"],
                "CAMS_CALLBACK_SECRET must be whsec_ followed by base64 (Standard Webhooks)"
            ),
            (
                "dbxaas", ["DBXAAS_WEBHOOK_PASSWORD": "p"],
                "DBXAAS_WEBHOOK_USER and DBXAAS_WEBHOOK_PASSWORD must be set together"
            ),
        ] {
            guard case .failure(let error) = configure(name, values) else {
                Issue.record("\(values) was accepted")
                continue
            }
            #expect(error.description == message)
        }
    }
}
