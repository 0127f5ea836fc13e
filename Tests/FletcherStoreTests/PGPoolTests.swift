import FletcherCore
import FletcherTestSupport
import Foundation
import Logging
import ServiceLifecycle
import Testing

@testable import FletcherPostgres

/// The PostgreSQL pool under pressure: callers waiting for a connection can give up (their task
/// is cancelled, as when an HTTP client goes away) without leaving anything behind, and the pool
/// serves the next callers as if nothing happened; and it closes at shutdown without cutting
/// short the calls it has started.
@Suite("PostgreSQL connection pool", .enabled(if: Backend.available.contains(.postgres)))
struct PGPoolTests {
    @Test func waitersThatAreCancelledLeaveNothingBehind() async throws {
        let directory = try TemporaryDirectory()
        let database = try await TestDatabase.make(.postgres, in: directory)
        // A wait bound far beyond the test: on a loaded machine, queueing 200 callers can take
        // longer than the pool's usual 5 s, and this test is about cancellation, not time-outs.
        let store = try await PostgresPlanStore.open(
            conninfo: database.url, maxConnections: 2, acquireTimeout: .seconds(300))
        try await store.migrate()
        // Two datasets, because a dataset's second call waits for the transaction holding its
        // first instead of taking a connection of its own.
        var datasets: [UUID] = []
        for _ in 0..<2 {
            var factory = PlanFactory()
            _ = try await Orchestrator(store: store, platforms: .builtIn()).post(factory.plan(["A"]), by: "t")
            datasets.append(factory.datasetID)
        }
        let datasetID = datasets[0]
        let locked = "{\(datasets.map(\.lowercasedString).joined(separator: ","))}"

        // Another session holds both datasets' row locks: both pooled connections get stuck behind it.
        _ = try await store.administration.withConnection {
            _ = try $0.query("BEGIN")
            return try $0.query(
                "SELECT version FROM dataset WHERE id = ANY($1::uuid[]) FOR UPDATE",
                [locked])
        }
        // One at a time, each once the one before waits for its lock: started together, both
        // calls could share one write transaction and leave the other connection free. Only once
        // both connections wait would a caller queued after them not be served first.
        var blocked: [Task<Int64?, any Error>] = []
        for (index, dataset) in datasets.enumerated() {
            blocked.append(Task { try await store.withLockedDataset(dataset) { $0.storedVersion } })
            try await eventually("\(index + 1) pooled connections wait for a dataset's lock") {
                let rows = try await store.administration.withConnection {
                    try $0.query(
                        "SELECT count(*) FROM pg_locks WHERE NOT granted AND transactionid = pg_current_xact_id()::xid")
                }
                return rows.first?[0] == String(index + 1)
            }
        }
        let waiters = (0..<200).map { _ in Task { try await store.version(of: datasetID) } }
        try await eventually("all 200 callers wait for a connection") { store.pool.waiting == 200 }

        for waiter in waiters { waiter.cancel() }
        for waiter in waiters {
            await #expect(throws: CancellationError.self) { _ = try await waiter.value }
        }
        #expect(store.pool.waiting == 0)

        _ = try await store.administration.withConnection { try $0.query("COMMIT") }
        for transaction in blocked { #expect(try await transaction.value == 1) }
        let later = try await withThrowingTaskGroup(of: Int64?.self) { group in
            for _ in 0..<20 { group.addTask { try await store.version(of: datasetID) } }
            return try await group.reduce(into: [Int64?]()) { $0.append($1) }
        }
        #expect(later == Array(repeating: 1, count: 20))
    }

    /// Run as a service, the pool closes at graceful shutdown without failing the call that holds
    /// a connection: that call finishes, new ones are refused at once, and then the threads stop.
    @Test func gracefulShutdownLetsTheCallInFlightFinish() async throws {
        let directory = try TemporaryDirectory()
        let database = try await TestDatabase.make(.postgres, in: directory)
        let store = try #require(try await database.open(maxConnections: 2) as? PostgresPlanStore)
        let group = ServiceGroup(configuration: .init(services: [store], logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        // The call in flight waits for a lock this test holds until the pool refuses new calls:
        // however slowly the shutdown reaches the pool, the call is still running then.
        _ = try await store.administration.withConnection { try $0.query("SELECT pg_advisory_lock(7)") }
        let inFlight = Task {
            try await store.pool.query("SELECT 'finished' FROM (SELECT pg_advisory_xact_lock(7)) AS locked").first?[0]
        }
        try await eventually("the slow call holds a connection") { store.pool.lent == 1 }

        await group.triggerGracefulShutdown()
        try await eventually("new calls are refused") {
            do {
                _ = try await store.pool.query("SELECT 1")
                return false
            } catch let error as StoreUnavailable {
                return error.reason == "Fletcher is shutting down"
            }
        }
        #expect(store.pool.lent == 1, "the slow call is still running")
        _ = try await store.administration.withConnection { try $0.query("SELECT pg_advisory_unlock(7)") }
        #expect(try await inFlight.value == "finished")
        try await running.value
        await #expect(throws: StoreUnavailable.self) { _ = try await store.pool.query("SELECT 1") }
    }

    /// libpq never shrinks its buffers: a connection that sent a very large statement is replaced
    /// after it, while ordinary ones are kept.
    @Test func aConnectionThatCarriedAHugeStatementIsReplaced() async throws {
        let directory = try TemporaryDirectory()
        let database = try await TestDatabase.make(.postgres, in: directory)
        let store = try #require(try await database.open(maxConnections: 1) as? PostgresPlanStore)
        func backend() async throws -> String? { try await store.pool.query("SELECT pg_backend_pid()").first?[0] }
        let first = try await backend()
        #expect(try await backend() == first, "an ordinary connection is kept")
        let huge = String(repeating: "x", count: PGWireConnection.largeParameterBytes + 1)
        let length = try await store.pool.query("SELECT length($1)", [huge]).first?[0]
        #expect(length == String(huge.count))
        #expect(try await backend() != first, "replaced after carrying \(huge.count) bytes")
    }
}
