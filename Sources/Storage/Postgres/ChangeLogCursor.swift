/// Where a reader of `change_log` stands, so each row is delivered once.
///
/// A row's sequence number is taken when its transaction writes the change but becomes visible
/// at commit, so concurrent commits can show a later number before an earlier one. Numbers jumped
/// over are remembered as gaps and asked for again until they appear, or until they are old
/// enough that their transaction must have rolled back (a rollback leaves its number unused).
///
/// Rows of one dataset can never be seen out of version order: a dataset's next change is written
/// under its lock, after the previous one committed, so any read that sees the later row sees the
/// earlier one too.
struct ChangeLogCursor {
    /// How long a number jumped over is asked for again. Generous: a write transaction commits
    /// right after writing its change, so this only matters when the database stalls.
    static let gapLifetime: Duration = .seconds(60)
    /// A jump wider than this is not remembered number by number (the sequence was moved by hand).
    static let widestGap: Int64 = 10_000

    /// The highest number delivered (or the log's end when reading started).
    private(set) var high: Int64
    /// Numbers below `high` not delivered yet, with when they were first jumped over.
    private(set) var gaps: [Int64: ContinuousClock.Instant] = [:]

    init(after high: Int64) {
        self.high = high
    }

    /// Takes the numbers a read returned (ascending: those above `high` and those in `gaps`) and
    /// answers, for each, whether it is new and must be delivered.
    mutating func take(_ sequence: Int64, at now: ContinuousClock.Instant) -> Bool {
        if sequence > high {
            if sequence - high <= Self.widestGap {
                for missing in (high + 1)..<sequence { gaps[missing] = now }
            }
            high = sequence
            return true
        }
        return gaps.removeValue(forKey: sequence) != nil
    }

    /// Forgets gaps older than `gapLifetime`.
    mutating func expire(at now: ContinuousClock.Instant) {
        gaps = gaps.filter { now - $0.value < Self.gapLifetime }
    }

    /// The gaps as a PostgreSQL array literal, for `seq = ANY($2::bigint[])`.
    var gapsParameter: String {
        "{" + gaps.keys.sorted().map(String.init).joined(separator: ",") + "}"
    }
}
