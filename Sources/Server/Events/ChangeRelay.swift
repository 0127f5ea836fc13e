import FletcherCore
import FletcherPostgres
import ServiceLifecycle

/// On PostgreSQL, tells other instances of this one's commits and brings every instance's
/// changes (this one's too) from the change log into this instance's feed, so an events stream
/// shows every change once, whichever instance made it.
struct ChangeRelay: Service {
    let orchestrator: Orchestrator

    func run() async throws {
        guard let store = orchestrator.store as? PostgresPlanStore else { return try await gracefulShutdown() }
        await cancelWhenGracefulShutdown {
            await PostgresChanges.relay(from: store, into: orchestrator.changes)
        }
    }
}
