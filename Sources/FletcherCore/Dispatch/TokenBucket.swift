import Synchronization

/// Limits the rate of calls to one platform: `rate` tokens a second, bursts of up to `rate`.
public final class TokenBucket: Sendable {
    private struct Bucket {
        var tokens: Double
        var refilledAt: ContinuousClock.Instant
    }

    private let rate: Double
    private let bucket: Mutex<Bucket>

    public init(ratePerSecond: Double) {
        rate = max(ratePerSecond, 0.001)
        bucket = Mutex(Bucket(tokens: max(ratePerSecond, 1), refilledAt: .now))
    }

    /// Whole tokens free now (none taken): how many calls may start without waiting.
    public func available() -> Int {
        bucket.withLock { bucket in
            refill(&bucket)
            return max(Int(bucket.tokens.rounded(.down)), 0)
        }
    }

    private func refill(_ bucket: inout Bucket) {
        let now = ContinuousClock.now
        bucket.tokens = min(max(rate, 1), bucket.tokens + bucket.refilledAt.duration(to: now).inSeconds * rate)
        bucket.refilledAt = now
    }

    /// Seconds until a whole token is free: 0 when one is.
    public func secondsUntilAvailable() -> Double {
        bucket.withLock { bucket in
            refill(&bucket)
            return bucket.tokens >= 1 ? 0 : (1 - bucket.tokens) / rate
        }
    }

    /// Waits until a token is free and takes it. Callers queue by reserving in order: a token
    /// drawn below zero is a debt the caller sleeps off.
    public func acquire() async throws {
        let wait = bucket.withLock { bucket -> Double in
            refill(&bucket)
            bucket.tokens -= 1
            return bucket.tokens >= 0 ? 0 : -bucket.tokens / rate
        }
        if wait > 0 { try await Task.sleep(for: .seconds(wait)) }
    }
}
