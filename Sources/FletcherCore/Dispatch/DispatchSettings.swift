/// How hard the dispatcher and poller drive one platform (`docs/dispatch.md` §7).
public struct PlatformLimits: Sendable, Hashable {
    /// In-flight calls at most.
    public var concurrency: Int
    /// Calls per second at most (token bucket).
    public var ratePerSecond: Double
    /// Seconds between polls of live runs; 0 = callbacks only.
    public var pollSeconds: Double

    public init(concurrency: Int = 16, ratePerSecond: Double = 10, pollSeconds: Double = 30) {
        self.concurrency = concurrency
        self.ratePerSecond = ratePerSecond
        self.pollSeconds = pollSeconds
    }
}

public struct DispatchSettings: Sendable, Hashable {
    /// Submits per attempt before the product is `failed` (`DISPATCH_MAX_ATTEMPTS`).
    public var maxAttempts: Int
    /// How long a claim holds an item (`DISPATCH_LEASE_SECONDS`).
    public var leaseSeconds: Double
    public var backoff: Backoff
    /// How often the outbox is looked at when nothing wakes the dispatcher.
    public var idleSeconds: Double

    public init(maxAttempts: Int = 8, leaseSeconds: Double = 30, backoff: Backoff = Backoff(), idleSeconds: Double = 1)
    {
        self.maxAttempts = maxAttempts
        self.leaseSeconds = leaseSeconds
        self.backoff = backoff
        self.idleSeconds = idleSeconds
    }
}

extension Timestamp {
    func adding(seconds: Double) -> Timestamp {
        Timestamp(microsecondsSinceEpoch: microsecondsSinceEpoch + Int64((seconds * 1_000_000).rounded()))
    }
}
