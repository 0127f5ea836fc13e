import FletcherCAMS
import FletcherDBXaaS
import FletcherKubernetes
import FletcherPlatform

extension PlatformRegistry {
    /// Every platform this build of Fletcher knows. A new plugin is one line here (and its
    /// target in `Package.swift`); `docs/plugins.md` walks through writing one.
    public static let builtIn = PlatformRegistry([
        CAMSPlugin.plugin,
        DBXaaSPlugin.plugin,
        KubernetesPlugin.plugin,
    ])
}
