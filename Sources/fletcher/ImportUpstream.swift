import ArgumentParser
import FletcherCore
import FletcherMigrations
import FletcherPostgres
import FletcherServer
import Foundation

struct ImportUpstream: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-upstream",
        abstract: "Copy every plan of a Rust-service database into Fletcher's database.",
        discussion: """
            Reads the source in one read-only snapshot and writes each dataset in a transaction of its own, \
            ids, states and timestamps unchanged. Datasets already in Fletcher are left alone, so a run that \
            stopped is resumed by running it again. A dataset whose dependencies name missing products or form \
            a cycle is reported and skipped. Products that were queued or running keep their state and are not \
            dispatched: clear them to run them again. Exits 1 when a dataset was skipped for such an error.
            """
    )

    @Option(help: "The Rust service's PostgreSQL database (a URL or key=value connection string).")
    var from: String

    @Option(help: "Fletcher's database (default: $DATABASE_URL, then .env, then \(DatabaseURL.defaultValue)).")
    var databaseURL: String?

    @Option(help: "Read configuration variables from this file instead of ./.env.")
    var envFile: String?

    @Flag(help: "Read and check everything, write nothing.")
    var dryRun = false

    func run() async throws {
        let environment = try Environment.load(envFile: envFile)
        let url = try DatabaseURL(parsing: databaseURL ?? environment["DATABASE_URL"] ?? DatabaseURL.defaultValue)
        let source: UpstreamDatabase
        do {
            source = try await UpstreamDatabase.open(conninfo: from)
        } catch {
            throw ImportFailure("cannot read the source database: \(error)")
        }
        let target = try await dryRun ? existingStore(url) : migratedStore(url)
        var report = ImportReport(dryRun: dryRun)
        let ids = try await source.datasetIDs()
        var progress = Progress(total: ids.count)
        for id in ids {
            guard let plan = try await read(id, from: source, into: &report) else { continue }
            if let problem = PlanImport.problem(in: plan) {
                report.skip(id, because: .notImportable(problem))
            } else if try await outcome(of: plan, in: target) == .imported {
                report.imported(plan)
            } else {
                report.skip(id, because: .alreadyPresent)
            }
            progress.step()
        }
        await source.close()
        print(report.summary)
        if report.errors > 0 { throw ExitCode(1) }
    }

    /// What importing `plan` does: written (the write itself finds a dataset already present), or,
    /// in a dry run, what writing would do. A dry run's `target` is nil when it holds nothing yet.
    private func outcome(of plan: Plan, in target: (any FletcherStore)?) async throws -> PlanImport.Outcome {
        guard let target else { return .imported }
        if dryRun {
            return try await PlanImport.isPresent(plan.dataset.id, in: target) ? .alreadyPresent : .imported
        }
        return try await PlanImport.write(plan, into: target)
    }

    /// The dataset's plan, or nil (reported) when its rows cannot be read as a plan.
    private func read(_ id: UUID, from source: UpstreamDatabase, into report: inout ImportReport) async throws -> Plan?
    {
        do {
            return try await source.plan(id)
        } catch let error as PGError {
            report.skip(id, because: .unreadable(error.message))
            return nil
        }
    }

    /// Fletcher's store with its schema current (as `fletcher serve` would leave it).
    private func migratedStore(_ url: DatabaseURL) async throws -> any FletcherStore {
        let opened = try await OpenedStore.open(url, maxConnections: 2, attempts: 1)
        for migration in try await opened.migrate() {
            standardError("applied migration \(migration.version) (\(migration.name)) to \(url.display)")
        }
        return opened.store
    }

    /// For a dry run: the store when it exists with a current schema, else nil (nothing in it yet).
    /// Opening it must not create it.
    private func existingStore(_ url: DatabaseURL) async throws -> (any FletcherStore)? {
        if case .sqlite(let path) = url, path != ":memory:", !FileManager.default.fileExists(atPath: path) {
            return nil
        }
        let store = try await OpenedStore.open(url, maxConnections: 2, attempts: 1).store
        return try await store.pendingMigrationCount() == 0 ? store : nil
    }
}

/// The import cannot start; the message says why.
struct ImportFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func standardError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
