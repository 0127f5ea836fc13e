import FletcherCore
import FletcherPostgres
import ServiceLifecycle

/// On PostgreSQL, brings the changes other instances commit into this instance's feed, so an
/// events stream shows every change whichever instance made it.
struct ChangeRelay: Service {
    let orchestrator: Orchestrator

    func run() async throws {
        guard let store = orchestrator.store as? PostgresPlanStore else { return try await gracefulShutdown() }
        await cancelWhenGracefulShutdown {
            await PostgresChanges.relay(from: store, into: orchestrator.changes)
        }
    }
}
