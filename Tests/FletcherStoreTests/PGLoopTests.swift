import FletcherTestSupport
import Foundation
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

    /// An operator finds the loop in `top -H` by its name.
    @Test func theLoopThreadCarriesItsName() async throws {
        let loop = PGLoop(name: "test.pg.named")
        let named = Mutex<String?>(nil)
        loop.start()
        defer { loop.stop() }
        loop.execute {
            let comm = try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)
            named.withLock { $0 = comm?.trimmingCharacters(in: .whitespacesAndNewlines) }
        }
        try await eventually("the loop ran its job", timeout: .seconds(10)) { named.withLock { $0 != nil } }
        #expect(named.withLock { $0 } == "test.pg.named")
    }
}

private final class Count: Sendable {
    let value = Atomic<Int>(0)
}
