import Foundation

/// Where plans live (`docs/architecture.md`, Persistence). SQLite and PostgreSQL implement it and pass
/// one conformance suite; the orchestrator is the only writer.
public protocol PlanStore: Sendable {
    /// Runs `body` in one write transaction that holds the lock of `datasetID` from start to end:
    /// commits when `body` returns, rolls back when it throws. Commands on one dataset are thereby
    /// serialized; commands on different datasets need not wait for each other.
    ///
    /// `body` runs synchronously on the store's own connection thread, never on Swift's
    /// cooperative pool, and must not block on anything but the transaction.
    func withLockedDataset<T: Sendable>(
        _ datasetID: UUID, _ body: @escaping @Sendable (any PlanTransaction) throws -> T
    ) async throws -> T

    /// The stored plan with its version, read in one snapshot; nil when the dataset does not exist.
    func storedPlan(_ datasetID: UUID) async throws -> PlanState?

    /// The dataset's version (incremented by every committed change), or nil when it does not exist.
    func version(of datasetID: UUID) async throws -> Int64?

    /// One stored product, or nil when the dataset or the product does not exist.
    func dataProduct(_ datasetID: UUID, _ dataProductID: UUID) async throws -> DataProduct?

    /// `docs/concepts.md` §3.9: literal, case-insensitive substring of the dataset id or `extra` text;
    /// with a `state`, only plans with at least one product in it.
    func search(_ term: String, state: State?, page: Int) async throws -> SearchPage

    /// How many of this build's migrations the database lacks (0 when ready to serve).
    func pendingMigrationCount() async throws -> Int

    /// True when the store brings every committed change, of every instance, to the orchestrator's
    /// `ChangeFeed` itself (PostgreSQL's change log); false when the orchestrator publishes its
    /// own commits (a store only one instance uses).
    var deliversChanges: Bool { get }
}

extension PlanStore {
    public var deliversChanges: Bool { false }

    /// The stored plan, or nil when the dataset does not exist.
    public func plan(_ datasetID: UUID) async throws -> Plan? {
        try await storedPlan(datasetID)?.plan
    }

    /// Whether the database answers and its schema is current (`/readyz`).
    public func readiness() async -> StoreReadiness {
        do {
            let pending = try await pendingMigrationCount()
            return pending == 0 ? .ready : .notReady("\(pending) migration(s) not applied")
        } catch {
            // The cause stays out of the answer: /readyz is public, and errors can name hosts.
            return .notReady("the database does not answer")
        }
    }
}

/// The database cannot be reached (down, restarting, network gone). The command was not applied;
/// the client may retry (HTTP 503). Stores raise it instead of their driver's connection errors.
public struct StoreUnavailable: Error, CustomStringConvertible, Sendable {
    public let reason: String

    public init(reason: String) { self.reason = reason }

    public var description: String { "the database is unavailable: \(reason)" }
}

public enum StoreReadiness: Hashable, Sendable {
    case ready
    case notReady(String)
}

/// The operations available inside `PlanStore.withLockedDataset`.
public protocol PlanTransaction {
    /// The version of the locked dataset as stored, or nil when it does not exist yet.
    var storedVersion: Int64? { get }

    /// Reads the locked dataset's whole plan (a cache miss).
    func loadPlan() throws -> PlanState?

    /// Writes the rows of `delta` and stamps the dataset with `version` and the plan's products
    /// per state after it (what the search shows and filters on).
    func write(_ delta: PlanDelta, datasetID: UUID, version: Int64, counts: [State: Int], at now: Timestamp) throws

    /// Writes what the command did to attempts: run rows and outbox items (`docs/dispatch.md` §3).
    /// Called only with changes, after `write`, in the same transaction.
    func record(_ runs: RunChanges, datasetID: UUID, at now: Timestamp) throws
}

/// The time source of the orchestrator (not Swift's `Clock`: this one reads the wall clock).
public protocol WallClock: Sendable {
    func now() -> Timestamp
}

public struct SystemWallClock: WallClock {
    public init() {}

    public func now() -> Timestamp {
        Timestamp(microsecondsSinceEpoch: Int64((Date().timeIntervalSince1970 * 1_000_000).rounded()))
    }
}
