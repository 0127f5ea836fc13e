import FletcherChildProcess
import FletcherTestSupport
import Foundation
import Synchronization

/// Reads a Server-Sent Events stream through `curl -N` (an independent client), event by event.
final class EventStream: Sendable {
    struct Event: Sendable {
        let id: String?
        let name: String
        let data: String
        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(data.utf8))) as? [String: Any] ?? [:]
        }
    }

    /// What curl printed so far: events (and how many `next` handed out), and the response head.
    private final class Received: Sendable {
        let events = Mutex((all: [Event](), read: 0))
        let head = Mutex("")
        let pending = Mutex("")
    }

    private let process: ChildProcess
    private let readers: [OutputReader]
    private let received = Received()

    /// The response head curl printed.
    var responseHeaders: String { received.head.withLock { $0 } }

    init(_ url: String, lastEventID: String? = nil) throws {
        process = try ChildProcess(
            "curl", ["-sN", "-D", "/dev/stderr"] + (lastEventID.map { ["-H", "Last-Event-ID: \($0)"] } ?? []) + [url])
        process.closeInput()
        let received = received
        let events = OutputReader(process.output) { data in
            let blocks = received.pending.withLock { text -> [Substring] in
                text += String(decoding: data, as: UTF8.self)
                var parts = text.components(separatedBy: "\n\n")
                text = parts.removeLast()
                return parts.map { Substring($0) }
            }
            for block in blocks {
                var id: String?
                var name = "message"
                var data: [String] = []
                for line in block.split(separator: "\n") where !line.hasPrefix(":") {
                    if line.hasPrefix("id: ") { id = String(line.dropFirst(4)) }
                    if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
                    if line.hasPrefix("data: ") { data.append(String(line.dropFirst(6))) }
                }
                if !data.isEmpty || id != nil {
                    let event = Event(id: id, name: name, data: data.joined(separator: "\n"))
                    received.events.withLock { $0.all.append(event) }
                }
            }
            return true
        }
        let head = OutputReader(process.errors) { data in
            received.head.withLock { $0 += String(decoding: data, as: UTF8.self) }
            return true
        }
        readers = [events, head]
    }

    /// The next event, or nil when none came within `timeout` (checked every 10 ms).
    func next(within timeout: Duration = .seconds(5)) async -> Event? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let event = received.events.withLock { state -> Event? in
                guard state.read < state.all.count else { return nil }
                state.read += 1
                return state.all[state.read - 1]
            }
            if let event { return event }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    /// Stops curl; a thread of its own reaps it.
    func close() {
        process.kill(SIGTERM)
        reap(process, readers: readers)
    }
}
