/// One Server-Sent Event.
public struct ServerSentEvent: Sendable, Hashable {
    public var name: String
    public var id: String?
    public var data: String

    public init(name: String, id: String?, data: String) {
        self.name = name
        self.id = id
        self.data = data
    }
}

/// Cuts a Server-Sent Events byte stream into events, whatever the chunking of the bytes
/// (comments, the keep-alive lines, are skipped).
public struct ServerSentEventParser: Sendable {
    private var pending: [UInt8] = []
    private var name = "message"
    private var id: String?
    private var data: [String] = []

    public init() {}

    /// The events completed by `chunk`.
    public mutating func feed(_ chunk: [UInt8]) -> [ServerSentEvent] {
        pending += chunk
        var events: [ServerSentEvent] = []
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            var line = pending[..<newline]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            pending.removeSubrange(...newline)
            if let event = take(String(decoding: line, as: UTF8.self)) { events.append(event) }
        }
        return events
    }

    private mutating func take(_ line: String) -> ServerSentEvent? {
        if line.isEmpty {
            defer { (name, data) = ("message", []) }
            return data.isEmpty ? nil : ServerSentEvent(name: name, id: id, data: data.joined(separator: "\n"))
        }
        if line.hasPrefix(":") { return nil }
        let (field, value) = Self.split(line)
        switch field {
        case "event": name = value
        case "id": id = value
        case "data": data.append(value)
        default: break
        }
        return nil
    }

    private static func split(_ line: String) -> (String, String) {
        guard let colon = line.firstIndex(of: ":") else { return (line, "") }
        var value = line[line.index(after: colon)...]
        if value.first == " " { value = value.dropFirst() }
        return (String(line[..<colon]), String(value))
    }
}
