import FletcherCore
import FletcherTestSupport
import Foundation
import Logging
import Testing

/// Where the dispatcher looks when it wakes (`docs/dispatch.md` §3): a commit's wake-up claims
/// only from the outboxes of the compute types it gave work, and a finished call looks again
/// only when its platform may have more waiting. The idle look is an hour away here, so every
/// claim after the first look comes from a wake-up.
@Suite("Dispatcher wake-ups", .timeLimit(.minutes(1)))
struct DispatchWakeTests {
    @Test func aCommitClaimsOnlyFromTheComputeTypesItGaveWork() async throws {
        try await withDispatcher(concurrency: 16) { world in
            for _ in 0..<2 {
                var factory = PlanFactory()
                _ = try await world.orchestrator.post(factory.plan(["A"]), by: "t")
                #expect(await world.submitted.next() == factory.id("A"))
            }
            // The second submit came from a later look than the first commit's: that look and
            // any claims it made are over.
            #expect(world.store.claims[.dbxaas] == 1, "DBXaaS was claimed from once, by the first look")
            #expect(world.store.claims[.cams] == 3)
        }
    }

    @Test func aFreedSlotTakesTheNextAttemptAtOnce() async throws {
        try await withDispatcher(concurrency: 1) { world in
            var factory = PlanFactory()
            _ = try await world.orchestrator.post(factory.plan(["A", "B", "C"]), by: "t")
            var submitted: Set<UUID> = []
            for _ in 0..<3 { submitted.insert(try #require(await world.submitted.next())) }
            #expect(submitted == Set(["A", "B", "C"].map { factory.id($0) }))
            #expect(world.store.claims[.dbxaas] == 1)
        }
    }

    struct World {
        let orchestrator: Orchestrator
        let store: ClaimCountingStore
        var submitted: AsyncStream<UUID>.Iterator
    }

    /// A dispatcher for C-AMS (`concurrency` calls at once) and DBXaaS on an SQLite file, with
    /// platforms that accept every submit; `body` runs once its first look has claimed from both.
    private func withDispatcher(concurrency: Int, _ body: (inout World) async throws -> Void) async throws {
        let directory = try TemporaryDirectory()
        let database = try await TestDatabase.make(.sqlite, in: directory).open()
        let orchestrator = Orchestrator(store: database, platforms: .builtIn(dispatching: [.cams, .dbxaas]))
        let store = ClaimCountingStore(database)
        let (submitted, submissions) = AsyncStream.makeStream(of: UUID.self)
        let limits = PlatformLimits(concurrency: concurrency, ratePerSecond: 1_000, pollSeconds: 0)
        let platforms = [Compute.cams, .dbxaas].map {
            ComputePlatform(adapter: AcceptingPlatform(compute: $0, submissions: submissions), limits: limits)
        }
        let logger = Logger(label: "test")
        let dispatcher = Dispatcher(
            orchestrator: orchestrator, store: store, platforms: platforms,
            poller: Poller(orchestrator: orchestrator, store: store, platforms: platforms, logger: logger),
            settings: DispatchSettings(idleSeconds: 3_600), logger: logger)
        let running = Task { await dispatcher.run() }
        defer { running.cancel() }
        for await _ in store.looked.prefix(2) {}
        var world = World(orchestrator: orchestrator, store: store, submitted: submitted.makeAsyncIterator())
        try await body(&world)
    }
}

/// Accepts every submit at once, telling the test which product it was for.
private struct AcceptingPlatform: ComputeAdapter {
    let compute: Compute
    let submissions: AsyncStream<UUID>.Continuation

    func submit(_ attempt: Attempt) async throws(AdapterError) -> Submission {
        submissions.yield(attempt.dataProductID)
        return Submission(externalID: attempt.runID.lowercasedString, state: .running)
    }

    func status(_ run: RunRef) async throws(AdapterError) -> RunStatus { RunStatus(state: .running) }

    func cancel(_ run: RunRef) async throws(AdapterError) {}

    func verifyCallback(headers: [String: String], body: [UInt8], now: Timestamp) throws(CallbackRejection)
        -> CallbackEvent
    { throw .unauthorized("no callbacks here") }
}
