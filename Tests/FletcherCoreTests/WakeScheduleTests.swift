import FletcherCore
import Testing

/// When the dispatcher looks at the outbox again: a due time is acted on at once, and no time
/// hides another.
@Suite("Wake schedule")
struct WakeScheduleTests {
    private let start = Timestamp(microsecondsSinceEpoch: 1_764_000_000_000_000)

    private func at(_ milliseconds: Int64) -> Timestamp {
        Timestamp(microsecondsSinceEpoch: start.microsecondsSinceEpoch + milliseconds * 1_000)
    }

    @Test func nothingScheduledSleepsTheIdleInterval() {
        var schedule = WakeSchedule()
        #expect(schedule.pause(at: start, idleSeconds: 1) == 1)
    }

    @Test func aTimeAlreadyDueGoesRoundAtOnce() {
        var schedule = WakeSchedule()
        schedule.add(at(100))
        #expect(schedule.pause(at: at(101), idleSeconds: 1) == 0)
        #expect(schedule.times.isEmpty)
        #expect(schedule.pause(at: at(102), idleSeconds: 1) == 1)
    }

    @Test func aFutureTimeShortensTheSleep() {
        var schedule = WakeSchedule()
        schedule.add(at(250))
        #expect(schedule.pause(at: start, idleSeconds: 1) == 0.25)
        #expect(schedule.times == [at(250)], "a time not yet due is kept")
    }

    @Test func anEarlierTimeThatPassesDoesNotHideALaterOne() {
        var schedule = WakeSchedule()
        schedule.add(at(100))
        schedule.add(at(400))
        #expect(schedule.pause(at: at(150), idleSeconds: 1) == 0)
        #expect(schedule.pause(at: at(150), idleSeconds: 1) == 0.25)
    }

    @Test func timesArriveInAnyOrderAndNearOnesShareAnEntry() {
        var schedule = WakeSchedule()
        for milliseconds: Int64 in [300, 100, 200, 100] { schedule.add(at(milliseconds)) }
        schedule.add(Timestamp(microsecondsSinceEpoch: at(200).microsecondsSinceEpoch + 500))
        #expect(schedule.times == [at(100), at(200), at(300)])
    }

    @Test func aFullScheduleDropsItsLatestTimes() {
        var schedule = WakeSchedule(capacity: 2)
        for milliseconds: Int64 in [300, 100, 200] { schedule.add(at(milliseconds)) }
        #expect(schedule.times == [at(100), at(200)])
    }
}
