import FletcherCore
import FletcherPlatform
import FletcherPlugins

extension Compute {
    /// The built-in platforms by their wire names, as clients name them.
    public static let cams = Compute(rawValue: "cams")!
    public static let dbxaas = Compute(rawValue: "dbxaas")!
    public static let kubernetes = Compute(rawValue: "kubernetes")!
}

extension PlatformCatalog {
    /// The built-in platforms, dispatching to `dispatching`.
    public static func builtIn(dispatching: Set<Compute> = []) -> PlatformCatalog {
        PlatformRegistry.builtIn.catalog(dispatching: dispatching)
    }
}
