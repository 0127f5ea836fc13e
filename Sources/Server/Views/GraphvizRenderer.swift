import FletcherCore
import Foundation
import Synchronization

/// Draws DOT as SVG with Graphviz's `dot` (Debian `graphviz`) in a subprocess (`ui.md`, plan
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
    private let cache = Mutex((svgByDOT: [String: String](), order: [String]()))
    /// `dot` blocks in reads and writes: it runs on a thread of its own, never on the shared pool.
    private let queue = DispatchQueue(label: "fletcher.graphviz")
    /// The deadline fires here, on a thread of its own: on the global queues it shares the pool
    /// with Swift concurrency and fires late when that pool is busy.
    private static let deadlines = DispatchQueue(label: "fletcher.graphviz.deadlines")

    init(executable: String = "/usr/bin/dot", timeout: Duration = .seconds(5), capacity: Int = 64) {
        // A `dot` that exits before reading all its input must not kill the server with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        self.executable = executable
        self.timeout = timeout
        self.capacity = capacity
    }

    func svg(_ dot: String) async throws(Failure) -> String {
        if let cached = cache.withLock({ $0.svgByDOT[dot] }) { return cached }
        let (executable, timeout) = (self.executable, self.timeout)
        let result = await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: Self.run(executable, dot, timeout: timeout)) }
        }
        let svg = try result.get()
        cache.withLock { cache in
            if cache.svgByDOT.updateValue(svg, forKey: dot) == nil { cache.order.append(dot) }
            if cache.order.count > capacity { cache.svgByDOT.removeValue(forKey: cache.order.removeFirst()) }
        }
        return svg
    }

    private static func run(_ executable: String, _ dot: String, timeout: Duration) -> Result<String, Failure> {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-Tsvg"]
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        (process.standardInput, process.standardOutput, process.standardError) = (input, output, errors)
        do {
            try process.run()
        } catch {
            return .failure(.failed("cannot run \(executable): \(error.localizedDescription)"))
        }
        let expired = Mutex(false)
        let killer = DispatchWorkItem {
            expired.withLock { $0 = true }
            kill(process.processIdentifier, SIGKILL)
        }
        deadlines.asyncAfter(deadline: .now() + timeout.inSeconds, execute: killer)
        // dot reads all of its input before it writes, so writing first cannot deadlock.
        try? input.fileHandleForWriting.write(contentsOf: Data(dot.utf8))
        try? input.fileHandleForWriting.close()
        let svg = output.fileHandleForReading.readDataToEndOfFile()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        killer.cancel()
        if expired.withLock({ $0 }) { return .failure(.timedOut) }
        guard process.terminationStatus == 0 else {
            return .failure(
                .failed(String(decoding: message, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        return .success(inlinable(String(decoding: svg, as: UTF8.self)))
    }

    /// The `<svg>` element alone: the XML prolog, doctype and generator comments would be invalid
    /// inside an HTML page.
    static func inlinable(_ svg: String) -> String {
        guard let start = svg.range(of: "<svg") else { return svg }
        return String(svg[start.lowerBound...])
    }
}
