import Testing

@testable import FletcherPostgres

/// The reader of PostgreSQL's change log delivers every committed row once, whatever order
/// concurrent commits make rows visible in.
@Suite("Change log cursor")
struct ChangeLogCursorTests {
    private let start = ContinuousClock.now

    @Test func rowsAreDeliveredOnceEvenWhenAnEarlierNumberCommitsLater() {
        var cursor = ChangeLogCursor(after: 10)
        // 12 and 14 commit first; 11 and 13 are still in their transactions.
        let first = [12, 14].map { cursor.take($0, at: start) }
        #expect(first == [true, true])
        #expect(cursor.high == 14 && Set(cursor.gaps.keys) == [11, 13])
        #expect(cursor.gapsParameter == "{11,13}")
        // The next read returns the late ones and repeats nothing already delivered.
        let second = [11, 12, 13, 14, 15].map { cursor.take($0, at: start) }
        #expect(second == [true, false, true, false, true])
        #expect(cursor.gaps.isEmpty && cursor.high == 15)
        #expect(cursor.gapsParameter == "{}")
    }

    @Test func aNumberRolledBackIsForgottenAfterItsLifetime() {
        var cursor = ChangeLogCursor(after: 0)
        let delivered = cursor.take(3, at: start)
        #expect(delivered)
        cursor.expire(at: start + ChangeLogCursor.gapLifetime - .seconds(1))
        #expect(Set(cursor.gaps.keys) == [1, 2])
        cursor.expire(at: start + ChangeLogCursor.gapLifetime)
        #expect(cursor.gaps.isEmpty)
        let late = cursor.take(2, at: start)
        #expect(!late, "a number given up on is not delivered")
    }

    @Test func aJumpTooWideIsNotRememberedNumberByNumber() {
        var cursor = ChangeLogCursor(after: 0)
        let delivered = cursor.take(ChangeLogCursor.widestGap + 2, at: start)
        #expect(delivered)
        #expect(cursor.gaps.isEmpty)
    }

    @Test func rowsAreDeletedOnlyOnceTheyAreOlderThanTheRetention() {
        var pruner = ChangeLogPruner(retention: .seconds(600))
        let marks: [(high: Int64, at: Int64)] = [(100, 0), (150, 30), (200, 60), (900, 600), (950, 630), (990, 660)]
        let horizons = marks.map { pruner.horizon(high: $0.high, at: start + .seconds($0.at)) }
        #expect(horizons == [nil, nil, nil, 100, nil, 200])
    }
}
