import FletcherCore
import Foundation
import Testing

/// The chain of attempts the plan's timeline outlines: from the attempt that ended last, back
/// through the parent each one waited for.
@Suite("Critical path of a plan's attempts")
struct CriticalPathTests {
    /// A diamond A → B, A → C, B → D, C → D, and E apart.
    private let graph = PlanGraph(
        ids: (0..<5).map { _ in UUID() }, edges: [(0, 1), (0, 2), (1, 3), (2, 3)])

    private func at(_ seconds: Double) -> Timestamp {
        Timestamp(microsecondsSinceEpoch: Int64(seconds * 1_000_000))
    }

    private func span(_ queued: Double, _ started: Double?, _ finished: Double?) -> AttemptSpan {
        AttemptSpan(queued: at(queued), started: started.map(at), finished: finished.map(at))
    }

    @Test func followsTheParentEachAttemptWaitedFor() {
        // C finishes after B, so D waited for C; E ran alone and ended earlier.
        let spans = [
            0: span(0, 1, 2), 1: span(2, 2, 3), 2: span(2, 3, 6), 3: span(6, 7, 9), 4: span(0, 0, 5),
        ]
        #expect(graph.criticalPath(spans, now: at(100)) == [0, 2, 3])
    }

    @Test func aLiveAttemptEndsAtNowAndCanEndThePath() {
        // E is still running at 20: it ends last, and has no parents.
        let spans = [0: span(0, 1, 2), 1: span(2, 2, 3), 2: span(2, 3, 6), 3: span(6, 7, 9), 4: span(0, 1, nil)]
        #expect(graph.criticalPath(spans, now: at(20)) == [4])
        // Still queued D (queued after C finished) ends at now; C is what it waits behind.
        let queued = [0: span(0, 1, 2), 1: span(2, 2, 3), 2: span(2, 3, 6), 3: span(6, nil, nil)]
        #expect(graph.criticalPath(queued, now: at(8)) == [0, 2, 3])
    }

    @Test func aParentThatRanAgainAfterTheChildWasQueuedIsNotWhatItWaitedFor() {
        // C was cleared and ran again after D had been queued: D waited for B.
        let spans = [0: span(0, 1, 2), 1: span(2, 2, 3), 2: span(10, 11, 12), 3: span(3, 4, 13)]
        #expect(graph.criticalPath(spans, now: at(20)) == [0, 1, 3])
    }

    @Test func tiesGoToTheEarlierProductAndNoAttemptsMakeNoPath() {
        let spans = [0: span(0, 1, 2), 1: span(2, 2, 4), 2: span(2, 2, 4), 3: span(4, 5, 6)]
        #expect(graph.criticalPath(spans, now: at(20)) == [0, 1, 3])
        #expect(graph.criticalPath([:], now: at(20)).isEmpty)
        #expect(graph.criticalPath([4: span(0, 1, 2)], now: at(20)) == [4])
    }
}
