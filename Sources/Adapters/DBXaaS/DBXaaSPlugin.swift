import FletcherCore
import FletcherPlatform
import FletcherSimulators
import Foundation

extension Compute {
    static let dbxaas = Compute(rawValue: "dbxaas")!
}

/// DBXaaS as a plugin (shaped on the Databricks Jobs API 2.2): a product's `passthrough` names the
/// job (`job_id`, an integer; `job_parameters`, an object of strings); notifications carry no
/// state, so each one triggers a poll. Its own variables: `DBXAAS_TOKEN` (bearer token),
/// `DBXAAS_WEBHOOK_USER` and `DBXAAS_WEBHOOK_PASSWORD` (the Basic credentials notifications carry;
/// unset: notifications refused).
public enum DBXaaSPlugin {
    public static let plugin = PlatformPlugin(
        rules: PlatformRules(
            compute: .dbxaas, displayName: "DBXaaS",
            checkPassthrough: { passthrough in
                guard case .int = passthrough?["job_id"] else {
                    return PassthroughProblem(field: "job_id", "must be an integer: the DBXaaS job to run")
                }
                return nil
            }),
        configure: { variables throws(PluginConfigurationError) in
            let webhook = try variables.pair("WEBHOOK_USER", "WEBHOOK_PASSWORD").map {
                BasicCredentials(user: $0.0, password: $0.1)
            }
            let token = variables["TOKEN"]
            guard let url = try variables.url("URL") else { return nil }
            return PluginSetup(url: url) { environment in
                DBXaaSAdapter(
                    client: PlatformClient(
                        platform: "DBXaaS", baseURL: environment.url, token: token, client: environment.client,
                        retryable: DBXaaSAdapter.isRetryable),
                    webhook: webhook)
            }
        },
        simulator: SimulatorPlugin(
            make: { options in
                let simulator = DBXaaSSimulator(settings: options.settings, token: options.token)
                if let url = options.webhookURL {
                    simulator.notify(
                        url, credentials: options.webhookCredentials ?? BasicCredentials(user: "fletcher", password: "")
                    )
                }
                return simulator
            },
            demo: { fletcherBaseURL in
                let webhook = BasicCredentials(user: "demo", password: UUID().uuidString)
                return SimulatorDemo(
                    options: SimulatorOptions(
                        token: "demo-dbxaas", webhookURL: fletcherBaseURL + "/api/callback/dbxaas",
                        webhookCredentials: webhook),
                    environment: { url in
                        [
                            "DBXAAS_URL": url, "DBXAAS_TOKEN": "demo-dbxaas", "DBXAAS_WEBHOOK_USER": webhook.user,
                            "DBXAAS_WEBHOOK_PASSWORD": webhook.password,
                        ]
                    },
                    passthrough: { _, index in ["job_id": .int(Int64(100 + index))] })
            }))
}
