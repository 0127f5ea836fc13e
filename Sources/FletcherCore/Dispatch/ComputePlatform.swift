/// One dispatching compute type: its adapter and the limits Fletcher keeps towards it.
public struct ComputePlatform: Sendable {
    public let adapter: any ComputeAdapter
    public let limits: PlatformLimits
    /// Shared by submits, polls and cancels: the rate limit is per platform, not per caller.
    public let bucket: TokenBucket

    public init(adapter: any ComputeAdapter, limits: PlatformLimits) {
        self.adapter = adapter
        self.limits = limits
        self.bucket = TokenBucket(ratePerSecond: limits.ratePerSecond)
    }

    public var compute: Compute { adapter.compute }
}

/// The actor name stamped on changes a platform reports (`modified_by`).
extension Compute {
    public var actor: String { rawValue }
}
