import FletcherTestSupport
import Synchronization
import Testing

@testable import FletcherPostgres

/// The database loop's hand-over: work handed to it from many threads at once all runs, however
/// the hand-overs fall between the loop's turns (one wake-up byte serves many of them).
@Suite("PostgreSQL loop thread")
struct PGLoopTests {
    @Test func everyJobHandedOverFromManyThreadsRuns() async throws {
        let loop = PGLoop(name: "test.loop")
        loop.start()
        defer { loop.stop() }
        let ran = Count()
        let (threads, jobs) = (4, 25_000)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<threads {
                group.addTask {
                    for _ in 0..<jobs { loop.execute { ran.value.add(1, ordering: .relaxed) } }
                }
            }
        }
        try await eventually("every job ran (\(threads * jobs))", timeout: .seconds(30)) {
            ran.value.load(ordering: .relaxed) == threads * jobs
        }
    }
}

private final class Count: Sendable {
    let value = Atomic<Int>(0)
}
