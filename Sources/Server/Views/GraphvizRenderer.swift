import FletcherChildProcess
import FletcherCore
import Foundation
import Synchronization

/// Draws DOT as SVG with Graphviz's `dot` (Debian `graphviz`) in a subprocess (`docs/ui.md`, plan
/// page): killed after `timeout` so a plan too big to lay out cannot hang a request, and cached by
/// the DOT text, which changes exactly when the plan's picture does.
final class GraphvizRenderer: Sendable {
    enum Failure: Error, Equatable, CustomStringConvertible {
        /// Layout took longer than the timeout.
        case timedOut
        /// `dot` could not be run or failed.
        case failed(String)

        var description: String {
            switch self {
            case .timedOut: "the picture took too long to lay out"
            case .failed(let reason): "Graphviz failed: \(reason)"
            }
        }
    }

    private let executable: String
    private let timeout: Duration
    private let capacity: Int
    /// Answers by DOT text, time-outs included: a plan that timed out once is not laid out again
    /// (for `timeout` each time) until its picture changes.
    private let cache = Mutex((answers: [String: Result<String, Failure>](), order: [String]()))
    /// `dot` blocks in reads and writes: it runs on a thread of its own, never on the shared pool,
    /// and its deadline is kept there too, by waiting in `poll` no longer than the time left.
    private let queue = DispatchQueue(label: "fletcher.graphviz")

    /// Plans with more products are not drawn: their layout takes longer than a page may wait, and
    /// the picture would be unreadable anyway.
    static let maximumProducts = 1_000

    init(executable: String = "/usr/bin/dot", timeout: Duration = .seconds(5), capacity: Int = 64) {
        // A `dot` that exits before reading all its input must not kill the server with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        self.executable = executable
        self.timeout = timeout
        self.capacity = capacity
    }

    func svg(_ dot: String) async throws(Failure) -> String {
        if let cached = cache.withLock({ $0.answers[dot] }) { return try cached.get() }
        let (executable, timeout) = (self.executable, self.timeout)
        let result = await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: Self.run(executable, dot, timeout: timeout)) }
        }
        // Other failures (dot missing or crashing) may pass: they are tried again next time.
        if case .failure(let failure) = result, failure != .timedOut { throw failure }
        cache.withLock { cache in
            if cache.answers.updateValue(result, forKey: dot) == nil { cache.order.append(dot) }
            if cache.order.count > capacity { cache.answers.removeValue(forKey: cache.order.removeFirst()) }
        }
        return try result.get()
    }

    private static func run(_ executable: String, _ dot: String, timeout: Duration) -> Result<String, Failure> {
        let process: ChildProcess
        do {
            process = try ChildProcess(executable, ["-Tsvg"])
        } catch {
            return .failure(.failed(error.description))
        }
        let deadline = ContinuousClock.now + timeout
        // dot reads all of its input before it writes, so writing first cannot deadlock.
        process.write(Array(dot.utf8))
        process.closeInput()
        let read = process.collect(until: deadline)
        guard read.finished else {
            process.kill()
            process.wait()
            return .failure(.timedOut)
        }
        guard process.wait() == 0 else {
            return .failure(
                .failed(String(decoding: read.errors, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        return .success(inlinable(String(decoding: read.output, as: UTF8.self)))
    }

    /// The `<svg>` element alone: the XML prolog, doctype and generator comments would be invalid
    /// inside an HTML page.
    static func inlinable(_ svg: String) -> String {
        guard let start = svg.range(of: "<svg") else { return svg }
        return String(svg[start.lowerBound...])
    }
}
