/// The times a dispatcher promised itself to look at the outbox again: retries it postponed and
/// tokens of the rate limit coming back. Every time is kept until it falls due, so an earlier
/// time that passes cannot hide a later one, and a time already due makes the loop go round at
/// once instead of sleeping out the idle interval.
public struct WakeSchedule: Sendable, Hashable {
    /// Ascending. Times closer than `resolution` share one entry.
    public private(set) var times: [Timestamp] = []
    /// Entries kept at most; the latest are dropped beyond it and found by the idle look instead.
    public let capacity: Int
    private static let resolutionMicroseconds: Int64 = 1_000

    public init(capacity: Int = 256) {
        self.capacity = capacity
    }

    public mutating func add(_ time: Timestamp) {
        let index = times.firstIndex { $0 >= time } ?? times.endIndex
        let near = { (other: Timestamp) in
            abs(other.microsecondsSinceEpoch - time.microsecondsSinceEpoch) < Self.resolutionMicroseconds
        }
        if index < times.endIndex, near(times[index]) { return }
        if index > times.startIndex, near(times[index - 1]) { return }
        times.insert(time, at: index)
        if times.count > capacity { times.removeLast() }
    }

    /// Seconds to sleep before the next look: 0 when a time is due (those are taken off), else
    /// until the earliest one, and never longer than `idleSeconds`.
    public mutating func pause(at now: Timestamp, idleSeconds: Double) -> Double {
        let due = times.prefix { $0 <= now }.count
        if due > 0 {
            times.removeFirst(due)
            return 0
        }
        guard let next = times.first else { return idleSeconds }
        return min(idleSeconds, Double(next.microsecondsSinceEpoch - now.microsecondsSinceEpoch) / 1_000_000)
    }
}
