import FletcherCore

/// The registered platform plugins, in registration order. Built once, from the one registration
/// list, and handed to whatever needs to know platforms.
public struct PlatformRegistry: Sendable {
    public let plugins: [PlatformPlugin]

    public init(_ plugins: [PlatformPlugin]) {
        var seen: Set<Compute> = []
        for plugin in plugins {
            precondition(seen.insert(plugin.compute).inserted, "two platform plugins are named '\(plugin.compute)'")
        }
        self.plugins = plugins
    }

    public func plugin(_ compute: Compute) -> PlatformPlugin? {
        plugins.first { $0.compute == compute }
    }

    /// The plugin of a name given by a person (a command-line argument): refused naming the known ones.
    public func plugin(named name: String) throws(PluginConfigurationError) -> PlatformPlugin {
        guard let compute = Compute(rawValue: name), let plugin = plugin(compute) else {
            throw PluginConfigurationError("unknown platform '\(name)' (known: \(names.joined(separator: ", ")))")
        }
        return plugin
    }

    /// Registered wire names, sorted.
    public var names: [String] { plugins.map(\.compute.rawValue).sorted() }

    /// The core's view: every plugin's rules, dispatching to `dispatching`.
    public func catalog(dispatching: Set<Compute> = []) -> PlatformCatalog {
        PlatformCatalog(plugins.map(\.rules), dispatching: dispatching)
    }
}
