import Foundation
import Logging
import Synchronization

/// Keeps the last lines a server under test logged, so a failing test can show what the server
/// was doing (a test server logs nothing to the terminal while it passes).
public final class LogRecorder: Sendable {
    private let lines = Mutex([String]())
    private let capacity: Int

    public init(capacity: Int = 400) { self.capacity = capacity }

    /// A logger writing into this recorder from `level` up.
    public func logger(label: String, level: Logger.Level = .info) -> Logger {
        var logger = Logger(label: label) { label in Handler(label: label, recorder: self) }
        logger.logLevel = level
        return logger
    }

    public var recorded: [String] { lines.withLock { $0 } }

    /// Runs `body`; when it throws, prints what was recorded to standard error first.
    public func printedOnFailure<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            let text = recorded.joined(separator: "\n")
            FileHandle.standardError.write(
                Data("--- \(what) log, last \(capacity) lines (\(error)):\n\(text)\n---\n".utf8))
            throw error
        }
    }

    fileprivate func record(_ line: String) {
        lines.withLock { lines in
            if lines.count == capacity { lines.removeFirst() }
            lines.append(line)
        }
    }

    private struct Handler: LogHandler {
        let label: String
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { _, new in new }
            let fields = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            let time = Date().formatted(.iso8601.time(includingFractionalSeconds: true))
            recorder.record("\(time) \(event.level) \(label): \(event.message) \(fields)")
        }
    }
}
