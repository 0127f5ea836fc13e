import FletcherCore
import Foundation

/// One write transaction on PostgreSQL for the steps of several callers, each on a dataset of its
/// own, driven on its connection's loop in two round trips: BEGIN with every dataset row's lock and
/// version; then, as soon as that answer arrives and on the same thread, each caller's step (the
/// engine) and all their writes sent with one COMMIT. A dataset without a row (a first post)
/// costs one more round trip, to lock its id, and runs in a transaction of its own; plans not in
/// the caller's cache cost one more, to read them; a big new plan's rows are copied before the
/// COMMIT, in three more.
///
/// A serialization failure or deadlock starts the whole transaction over, up to `attempts` times.
/// Any other failure of a transaction of several steps runs each step again in a transaction of
/// its own, so one step's fault (say, a row the database refuses) fails that caller alone.
final class PostgresWriteBatch: @unchecked Sendable {
    // Safety: confined to the connection's loop from `start` to `finished`.
    static var attempts: Int { 5 }

    private let connection: PGWireConnection
    private let notifier: CommitNotifier
    private var writes: [PendingWrite]
    private let finished: () -> Void
    private var attempt = 1
    private var versions: [Int64?] = []
    private var plans: [UUID: Plan] = [:]
    /// Per write: its transaction once its step ran, or the error its step threw.
    private var outcomes: [Result<PostgresPlanTransaction, any Error>?] = []
    /// Writes on datasets without a row, run one by one after this transaction.
    private var alone: [PendingWrite] = []

    /// `writes` are on distinct datasets; `finished` runs once every one of them has completed.
    init(
        connection: PGWireConnection, writes: [PendingWrite], notifier: CommitNotifier,
        finished: @escaping () -> Void
    ) {
        self.connection = connection
        // Every instance locks a transaction's datasets in one order, so two never deadlock.
        self.writes = writes.sorted { $0.datasetID < $1.datasetID }
        self.notifier = notifier
        self.finished = finished
    }

    func start() {
        plans = [:]
        outcomes = Array(repeating: nil, count: writes.count)
        let locks = writes.map { PostgresPlanTransaction.lockRow($0.datasetID) }
        connection.send([PGStatement("BEGIN")] + locks) { [self] result in
            switch result {
            case .failure(let error): failed(error)
            case .success(let rows):
                versions = writes.indices.map { rows[$0 + 1].first?[0].flatMap(Int64.init) }
                if writes.count == 1, versions[0] == nil { return lockAbsentDataset() }
                // Two first posts of one plan must take turns on its id's lock; only a transaction
                // of one step takes that lock, so a batch never waits on it.
                let absent = writes.indices.filter { versions[$0] == nil }
                alone += absent.map { writes[$0] }
                for index in absent.reversed() {
                    writes.remove(at: index)
                    versions.remove(at: index)
                    outcomes.remove(at: index)
                }
                step()
            }
        }
    }

    /// No row: a dataset not created yet (or by a transaction that committed after this one's
    /// read began). Takes the lock on its id, then reads the row again.
    private func lockAbsentDataset() {
        let datasetID = writes[0].datasetID
        let statements = [PostgresPlanTransaction.lockName(datasetID), PostgresPlanTransaction.lockRow(datasetID)]
        connection.send(statements) { [self] result in
            switch result {
            case .failure(let error): failed(error)
            case .success(let rows):
                versions = [rows[1].first?[0].flatMap(Int64.init)]
                step()
            }
        }
    }

    /// Runs the steps not run yet; reads the plans the steps asked for, then runs those again.
    private func step() {
        var unread: [Int] = []
        for index in writes.indices where outcomes[index] == nil {
            let write = writes[index]
            let transaction = PostgresPlanTransaction(
                datasetID: write.datasetID, storedVersion: versions[index], plan: plans[write.datasetID])
            do {
                try write.step(transaction)
                outcomes[index] = .success(transaction)
            } catch is PostgresPlanTransaction.PlanNotRead {
                unread.append(index)
            } catch {
                outcomes[index] = .failure(error)
            }
        }
        guard unread.isEmpty else { return readPlans(unread.map { writes[$0].datasetID }) }
        commit()
    }

    private func readPlans(_ datasetIDs: [UUID]) {
        connection.send(datasetIDs.flatMap(PostgresPlanReads.planStatements)) { [self] result in
            switch result {
            case .failure(let error): failed(error)
            case .success(let rows):
                do {
                    let perPlan = rows.count / datasetIDs.count
                    for (position, datasetID) in datasetIDs.enumerated() {
                        let start = position * perPlan
                        plans[datasetID] = try PostgresPlanReads.plan(from: rows[start..<(start + perPlan)])
                    }
                    step()
                } catch {
                    connection.send([PGStatement("ROLLBACK")]) { [self] _ in failAll(error) }
                }
            }
        }
    }

    private func commit() {
        let written = writes.indices.compactMap { index in try? outcomes[index]?.get() }
        guard !written.isEmpty else {
            return connection.send([PGStatement("ROLLBACK")]) { [self] _ in complete() }
        }
        let leading = written.flatMap(\.leading)
        let copies = written.flatMap(\.copies)
        let send: @Sendable () -> Void = { [self] in
            connection.send(written.flatMap(\.statements) + [PGStatement("COMMIT")]) { [self] result in
                switch result {
                case .failure(let error): failed(error)
                case .success(let rows):
                    var offset = 0
                    var dispatch = false
                    for transaction in written {
                        let count = transaction.statements.count
                        dispatch = dispatch || transaction.wroteDispatchWork(Array(rows[offset..<(offset + count)]))
                        offset += count
                    }
                    notifier.committed(change: written.contains { $0.wroteChange }, dispatch: dispatch)
                    complete()
                }
            }
        }
        guard !leading.isEmpty || !copies.isEmpty else { return send() }
        connection.send(leading) { [self] result in
            switch result {
            case .failure(let error): failed(error)
            case .success: copy(copies[...], then: send)
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

    /// The transaction ended: every caller hears its outcome, then the writes left for later run.
    private func complete() {
        for (write, outcome) in zip(writes, outcomes) {
            switch outcome {
            case .success: write.succeed()
            case .failure(let error): write.fail(error)
            case nil: write.fail(PGError.connectionLost("the write was not run"))
            }
        }
        runAlone(alone[...])
    }

    /// The connection has rolled the transaction back already.
    private func failed(_ error: PGError) {
        if error.isRetryable && attempt < Self.attempts {
            attempt += 1
            return start()
        }
        guard writes.count > 1, !error.isConnectionFailure else { return failAll(error) }
        let each = writes
        writes = []
        outcomes = []
        runAlone(each[...] + alone)
    }

    private func failAll(_ error: any Error) {
        for write in writes { write.fail(error) }
        runAlone(alone[...])
    }

    /// Runs each write in a transaction of its own, one after another, then ends this batch.
    private func runAlone(_ queue: ArraySlice<PendingWrite>) {
        alone = []
        guard let first = queue.first else { return finished() }
        PostgresWriteBatch(connection: connection, writes: [first], notifier: notifier) { [self] in
            runAlone(queue.dropFirst())
        }.start()
    }
}
