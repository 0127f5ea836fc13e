import Foundation
import Synchronization

/// Where a simulated run is.
public enum SimulatedPhase: String, Sendable, Hashable {
    case queued, running, succeeded, failed, cancelled

    var isFinal: Bool { self == .succeeded || self == .failed || self == .cancelled }
}

/// One simulated run and what it was submitted with.
public struct SimulatedJob: Sendable, Hashable {
    public var id: String
    public var idempotencyKey: String
    public var phase: SimulatedPhase
    /// The submit body as received.
    public var request: [String: String]
    /// When the run reached its final phase, in milliseconds since the epoch: what a platform
    /// reports as its end time (benchmarks compare it with when Fletcher heard).
    public var finishedAt: Int64?
}

/// The jobs of one simulated platform: idempotent submits (the same key gets the same job back),
/// a count of submits per key, and phase changes reported to `onChange`.
public final class JobBook: Sendable {
    private struct Book {
        var jobs: [String: SimulatedJob] = [:]
        var byKey: [String: String] = [:]
        var submits: [String: Int] = [:]
        var nextID = 1
    }

    private let book = Mutex(Book())

    /// Counts a submit request carrying `key`, whatever becomes of it.
    public func count(key: String) {
        book.withLock { $0.submits[key, default: 0] += 1 }
    }

    /// Returns the key's job, creating it on first sight.
    public func submit(key: String, request: [String: String]) -> (job: SimulatedJob, created: Bool) {
        book.withLock { book in
            if let id = book.byKey[key], let job = book.jobs[id] { return (job, false) }
            let id = String(book.nextID)
            book.nextID += 1
            let job = SimulatedJob(id: id, idempotencyKey: key, phase: .queued, request: request)
            book.jobs[id] = job
            book.byKey[key] = id
            return (job, true)
        }
    }

    public func job(_ id: String) -> SimulatedJob? { book.withLock { $0.jobs[id] } }

    /// Moves a job on unless it already ended; returns it when it changed.
    public func move(_ id: String, to phase: SimulatedPhase) -> SimulatedJob? {
        book.withLock { book in
            guard var job = book.jobs[id], !job.phase.isFinal, job.phase != phase else { return nil }
            job.phase = phase
            if phase.isFinal { job.finishedAt = Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
            book.jobs[id] = job
            return job
        }
    }

    var jobs: [SimulatedJob] { book.withLock { Array($0.jobs.values) } }

    public func submits(forKey key: String) -> Int { book.withLock { $0.submits[key] ?? 0 } }

    var submitsByKey: [String: Int] { book.withLock { $0.submits } }
}

/// Runs each new job through its phases in real time, telling `report` about every change.
public struct JobRunner: Sendable {
    let book: JobBook
    let faults: FaultPlan

    public init(book: JobBook, faults: FaultPlan) {
        self.book = book
        self.faults = faults
    }

    public func start(_ job: SimulatedJob, report: @escaping @Sendable (SimulatedJob) async -> Void) {
        let settings = faults.current
        let fails = Double.random(in: 0..<1) < settings.failureRatio
        Task {
            let half = settings.runSeconds / 2
            if half > 0 { try? await Task.sleep(for: .seconds(half)) }
            if let running = book.move(job.id, to: .running) { await report(running) }
            if half > 0 { try? await Task.sleep(for: .seconds(half)) }
            if let done = book.move(job.id, to: fails ? .failed : .succeeded) { await report(done) }
        }
    }
}
