/// What the core knows of one platform plugin: its names and its rule for a product's
/// `passthrough`. Everything else a plugin brings (adapter, configuration, simulator) stays at
/// the edges.
public struct PlatformRules: Sendable {
    public let compute: Compute
    /// The name operators know the platform by (UI, logs).
    public let displayName: String
    /// Checks a product's `passthrough` at post while Fletcher dispatches to this platform.
    public let checkPassthrough: @Sendable (JSONValue?) -> PassthroughProblem?

    public init(
        compute: Compute, displayName: String,
        checkPassthrough: @escaping @Sendable (JSONValue?) -> PassthroughProblem? = { _ in nil }
    ) {
        self.compute = compute
        self.displayName = displayName
        self.checkPassthrough = checkPassthrough
    }
}

/// Why a `passthrough` cannot be dispatched: the field inside it (empty for `passthrough`
/// itself) and what is wrong with it.
public struct PassthroughProblem: Sendable, Hashable {
    public let field: String
    public let message: String

    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }
}

/// The platforms of this deployment: every registered plugin, and the ones Fletcher dispatches
/// to (their URL is configured). A product names one of them or is refused.
public struct PlatformCatalog: Sendable {
    private let rules: [Compute: PlatformRules]
    /// Compute types an adapter dispatches; products of these get a fresh `run_id` when queued.
    public let dispatching: Set<Compute>

    public init(_ rules: [PlatformRules], dispatching: Set<Compute> = []) {
        self.rules = Dictionary(rules.map { ($0.compute, $0) }) { first, _ in first }
        self.dispatching = dispatching
    }

    /// Registered names, sorted.
    public var names: [Compute] { rules.keys.sorted() }

    /// The plugin's display name; a name no plugin has (a row stored before its plugin was
    /// removed) shows as itself.
    public func displayName(_ compute: Compute) -> String { rules[compute]?.displayName ?? compute.rawValue }

    /// A posted product names a registered platform, and its `passthrough` is one that
    /// platform can run while Fletcher dispatches to it.
    func check(_ product: DataProductParam, field: String) throws(CommandError) {
        guard let platform = rules[product.compute] else {
            let known = names.map(\.rawValue).joined(separator: ", ")
            throw .invalidValue("\(field).compute", "unknown compute '\(product.compute.rawValue)' (known: \(known))")
        }
        guard dispatching.contains(product.compute), let problem = platform.checkPassthrough(product.passthrough)
        else { return }
        throw .invalidValue(
            problem.field.isEmpty ? "\(field).passthrough" : "\(field).passthrough.\(problem.field)",
            "\(problem.message) (data product '\(product.id.lowercasedString)' runs on \(platform.displayName))")
    }
}
