import FletcherCore
import Foundation
import Testing

/// What a reconnecting events client is told (`Last-Event-ID`): the changes it missed, in order,
/// or nothing to replay when some of them are no longer kept (it then starts from the plan).
@Suite("Change feed catch-up")
struct ChangeFeedTests {
    private let dataset = UUID()

    private func change(_ version: Int64, of dataset: UUID? = nil) -> FeedChange {
        FeedChange(PlanChange(datasetID: dataset ?? self.dataset, version: version, changes: [], paused: nil))
    }

    /// The hand-written JSON of a change is what the events stream always sent: the encoder's,
    /// keys sorted, nulls written, `paused` only when the change paused or unpaused.
    @Test(arguments: [nil, true, false])
    func aChangeIsWrittenAsTheEncoderWouldWriteIt(paused: Bool?) throws {
        let products = [
            PlanChange.Product(
                id: UUID(), state: .running, runID: UUID(), link: "https://ci/job?a=1&b=\"x\"\u{e9}/",
                modifiedDate: Timestamp(microsecondsSinceEpoch: 1_764_573_120_123_456)),
            PlanChange.Product(
                id: UUID(), state: .waiting, runID: nil, link: nil,
                modifiedDate: Timestamp(microsecondsSinceEpoch: 1_764_573_120_000_001)),
        ]
        let change = PlanChange(datasetID: dataset, version: 42, changes: products, paused: paused)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(change.json == String(decoding: try encoder.encode(change), as: UTF8.self))
    }

    /// A subscriber that falls behind gets what it had without a gap, then its stream ends; the
    /// rest is there for its reconnection.
    @Test func aSubscriberTooFarBehindEndsAfterWhatItKept() async {
        let feed = ChangeFeed(retained: 10, buffered: 3)
        let stream = feed.subscribe(dataset)
        for version: Int64 in 1...5 { feed.publish(change(version)) }
        var delivered: [Int64] = []
        for await change in stream { delivered.append(change.version) }
        #expect(delivered == [1, 2, 3])
        #expect(feed.changes(of: dataset, after: 3, upTo: 5)?.map(\.version) == [4, 5])
        let next = feed.subscribe(dataset)
        feed.publish(change(6))
        var iterator = next.makeAsyncIterator()
        #expect(await iterator.next()?.version == 6, "a new subscription is not affected")
    }

    @Test func theMissedChangesComeInOrder() {
        let feed = ChangeFeed(retained: 10)
        for version: Int64 in [2, 4, 3] { feed.publish(change(version)) }
        feed.publish(change(3, of: UUID()))
        #expect(feed.changes(of: dataset, after: 1, upTo: 4)?.map(\.version) == [2, 3, 4])
        #expect(feed.changes(of: dataset, after: 2, upTo: 3)?.map(\.version) == [3])
    }

    @Test func aClientAtOrPastTheCurrentVersionGetsNothingToReplay() {
        let feed = ChangeFeed(retained: 10)
        feed.publish(change(2))
        #expect(feed.changes(of: dataset, after: 2, upTo: 2) == [])
        #expect(feed.changes(of: dataset, after: 7, upTo: 2) == [])
    }

    @Test func aChangeNoLongerKeptMeansStartingOver() {
        let feed = ChangeFeed(retained: 3)
        for version: Int64 in 2...6 { feed.publish(change(version)) }
        #expect(feed.changes(of: dataset, after: 3, upTo: 6)?.map(\.version) == [4, 5, 6])
        #expect(feed.changes(of: dataset, after: 2, upTo: 6) == nil, "version 3 fell out of the window")
    }

    @Test func aGapMeansStartingOver() {
        let feed = ChangeFeed(retained: 10)
        for version: Int64 in [2, 3, 5] { feed.publish(change(version)) }
        #expect(feed.changes(of: dataset, after: 1, upTo: 5) == nil, "version 4 was never seen here")
        #expect(feed.changes(of: dataset, after: 1, upTo: 3)?.map(\.version) == [2, 3])
    }

    @Test func aChangeArrivingTwiceIsReplayedOnce() {
        let feed = ChangeFeed(retained: 10)
        for version: Int64 in [2, 3, 3, 4] { feed.publish(change(version)) }
        #expect(feed.changes(of: dataset, after: 1, upTo: 4)?.map(\.version) == [2, 3, 4])
    }

    @Test func endingAllStreamsFinishesSubscribersAndForgetsWhatWasKept() async {
        let feed = ChangeFeed(retained: 10)
        let stream = feed.subscribe(dataset)
        feed.publish(change(2))
        feed.endAll()
        feed.publish(change(3))
        var received: [Int64] = []
        for await change in stream { received.append(change.version) }
        #expect(received == [2], "the stream ends after what it had; nothing after the end")
        #expect(feed.changes(of: dataset, after: 1, upTo: 2) == nil, "a reconnecting client starts over")
    }
}
