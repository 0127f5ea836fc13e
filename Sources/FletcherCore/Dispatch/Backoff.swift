/// Exponential backoff with full jitter (`docs/dispatch.md` §3): the wait before retry `n` is uniform
/// in `0 ... min(cap, base × 2^(n-1))`, and never shorter than what the platform asked for
/// (Retry-After is honoured up to an hour, whatever the cap: the platform knows its own load).
public struct Backoff: Sendable, Hashable {
    public var base: Double
    public var cap: Double
    /// A Retry-After beyond this is taken as this (a broken header must not park a run for days).
    public static let longestRetryAfter = 3_600.0

    public init(base: Double = 1, cap: Double = 300) {
        self.base = base
        self.cap = cap
    }

    /// Seconds to wait after failed attempt `attempt` (from 1). `unit` is a random draw in 0..<1.
    public func delay(after attempt: Int, retryAfter: Double?, unit: Double) -> Double {
        let exponent = min(max(attempt - 1, 0), 30)
        let ceiling = min(cap, base * Double(1 << exponent))
        let jittered = ceiling * min(max(unit, 0), 1)
        return max(jittered, min(retryAfter ?? 0, Self.longestRetryAfter))
    }
}
