import FletcherCore
import Foundation

/// One `withLockedDataset` on PostgreSQL, driven on its connection's loop in two round trips:
/// BEGIN with the dataset's row lock and version (a dataset without a row costs one more, to
/// lock its id); then, as soon as that answer arrives and on the same thread, the caller's step
/// (the engine) and its writes sent with the COMMIT. A plan not in the caller's cache costs one
/// more round trip to read it; a big new plan's rows are copied before the COMMIT, in three
/// more. A serialization failure or deadlock starts the whole transaction over, up to
/// `attempts` times.
final class PostgresLockedRun<T: Sendable>: @unchecked Sendable {
    // Safety: confined to the connection's loop from `start` to `completion`.
    static var attempts: Int { 5 }

    private let connection: PGWireConnection
    private let datasetID: UUID
    private let notifier: CommitNotifier
    private let body: @Sendable (any PlanTransaction) throws -> T
    private let completion: @Sendable (Result<T, any Error>) -> Void
    private var attempt = 1
    private var storedVersion: Int64?
    private var plan: Plan?

    init(
        connection: PGWireConnection, datasetID: UUID, notifier: CommitNotifier,
        body: @escaping @Sendable (any PlanTransaction) throws -> T,
        completion: @escaping @Sendable (Result<T, any Error>) -> Void
    ) {
        self.connection = connection
        self.datasetID = datasetID
        self.notifier = notifier
        self.body = body
        self.completion = completion
    }

    func start() {
        plan = nil
        lock(after: PGStatement("BEGIN"), ifAbsent: lockAbsentDataset)
    }

    /// No row: a dataset not created yet (or by a transaction that committed after this one's
    /// read began). Takes the lock on its id, then reads the row again.
    private func lockAbsentDataset() {
        lock(after: PostgresPlanTransaction.lockName(datasetID), ifAbsent: nil)
    }

    /// Sends `first` and the row's lock, then takes the stored version and runs the step, or
    /// calls `ifAbsent` when there is no row.
    private func lock(after first: PGStatement, ifAbsent: (() -> Void)?) {
        connection.send([first, PostgresPlanTransaction.lockRow(datasetID)]) { [self] result in
            switch result {
            case .failure(let error): failed(error)
            case .success(let rows):
                let row = rows[1].first
                if row == nil, let ifAbsent { return ifAbsent() }
                storedVersion = row?[0].flatMap(Int64.init)
                step()
            }
        }
    }

    private func step() {
        let transaction = PostgresPlanTransaction(datasetID: datasetID, storedVersion: storedVersion, plan: plan)
        let value: T
        do {
            value = try body(transaction)
        } catch is PostgresPlanTransaction.PlanNotRead {
            return readPlan()
        } catch {
            return connection.send([PGStatement("ROLLBACK")]) { [completion] _ in completion(.failure(error)) }
        }
        let commit: @Sendable () -> Void = { [self] in
            connection.send(transaction.statements + [PGStatement("COMMIT")]) { [self] result in
                switch result {
                case .failure(let error): failed(error)
                case .success(let rows):
                    notifier.committed(change: transaction.wroteChange, dispatch: transaction.wroteDispatchWork(rows))
                    completion(.success(value))
                }
            }
        }
        guard !transaction.leading.isEmpty || !transaction.copies.isEmpty else { return commit() }
        connection.send(transaction.leading) { [self] result in
            switch result {
            case .failure(let error): failed(error)
            case .success: copy(transaction.copies[...], then: commit)
            }
        }
    }

    /// Copies each one's rows once they are built, back on the connection's loop.
    private func copy(_ copies: ArraySlice<PostgresPlanTransaction.Copy>, then next: @escaping @Sendable () -> Void) {
        guard let first = copies.first else { return next() }
        Task { [self] in
            let rows = await first.rows.value
            connection.loop.execute { [self] in
                connection.copyIn(first.sql, data: rows) { [self] result in
                    switch result {
                    case .failure(let error): failed(error)
                    case .success: copy(copies.dropFirst(), then: next)
                    }
                }
            }
        }
    }

    private func readPlan() {
        connection.send(PostgresPlanReads.planStatements(datasetID)) { [self] result in
            switch result {
            case .failure(let error): failed(error)
            case .success(let rows):
                do {
                    plan = try PostgresPlanReads.plan(from: rows[...])
                    step()
                } catch {
                    connection.send([PGStatement("ROLLBACK")]) { [completion] _ in completion(.failure(error)) }
                }
            }
        }
    }

    /// The connection has rolled the transaction back already.
    private func failed(_ error: PGError) {
        guard error.isRetryable && attempt < Self.attempts else { return completion(.failure(error)) }
        attempt += 1
        start()
    }
}
