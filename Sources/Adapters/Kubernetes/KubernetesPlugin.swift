import FletcherCore
import FletcherPlatform
import FletcherSimulators
import Foundation

/// Kubernetes as a plugin: each attempt runs as one batch/v1 Job, followed by a watch stream with
/// polling as the safety net. Its own variables: `KUBERNETES_URL` (or `in-cluster`),
/// `KUBERNETES_TOKEN` or `KUBERNETES_TOKEN_FILE`, `KUBERNETES_NAMESPACE`,
/// `KUBERNETES_LINK_TEMPLATE`, `KUBERNETES_TTL_SECONDS`, `KUBERNETES_SERVICE_ACCOUNT_DIR`.
public enum KubernetesPlugin {
    static let compute = Compute(rawValue: "kubernetes")!

    public static let plugin = PlatformPlugin(
        rules: PlatformRules(compute: compute, displayName: "Kubernetes", checkPassthrough: KubernetesJob.problem),
        defaultPollSeconds: 10,
        configure: { variables throws(PluginConfigurationError) in
            guard let settings = try KubernetesSettings.read(variables) else { return nil }
            return PluginSetup(url: settings.url, caFile: settings.caFile) { environment in
                KubernetesAdapter(
                    compute: compute, settings: settings,
                    api: KubernetesClient(
                        baseURL: environment.url.hasSuffix("/") ? String(environment.url.dropLast()) : environment.url,
                        client: environment.client, token: settings.token))
            }
        },
        simulator: SimulatorPlugin(
            make: { options in KubernetesSimulator(settings: options.settings, token: options.token) },
            demo: { _ in
                SimulatorDemo(
                    options: SimulatorOptions(token: "demo-kubernetes"),
                    environment: { url in ["KUBERNETES_URL": url, "KUBERNETES_TOKEN": "demo-kubernetes"] },
                    passthrough: { name, _ in
                        ["image": "busybox:1.36", "command": ["sh", "-c", .string("echo building \(name)")]]
                    })
            }))
}
