import FletcherCore
import Foundation
import Logging
import Synchronization

/// `LOG_FORMAT=json`: one JSON object per line on standard output, for log shippers.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private static let output = Mutex(())

    public init(label: String) { self.label = label }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let (level, message, explicit) = (event.level, event.message, event.metadata)
        let now = Timestamp(microsecondsSinceEpoch: Int64((Date().timeIntervalSince1970 * 1_000_000).rounded()))
        var fields: [String: String] = [
            "ts": now.rfc3339, "level": level.rawValue, "logger": label, "message": message.description,
        ]
        for (key, value) in metadata.merging(explicit ?? [:], uniquingKeysWith: { _, new in new }) {
            fields[key] = value.description
        }
        guard var bytes = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]) else { return }
        bytes.append(0x0A)
        Self.output.withLock { _ in FileHandle.standardOutput.write(bytes) }
    }
}
