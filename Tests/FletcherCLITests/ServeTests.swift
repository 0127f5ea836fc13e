import FletcherChildProcess
import FletcherHTTP
import FletcherTestSupport
import Foundation
import Synchronization
import Testing

/// `fletcher serve` as an operator starts it: zero configuration, fail-fast errors, graceful stop.
@Suite("fletcher serve")
struct ServeTests {
    @Test func zeroConfigurationServesAndStopsGracefully() async throws {
        let directory = try TemporaryDirectory()
        let server = try LiveProcess(["serve"], environment: ["BIND": "127.0.0.1:0"], directory: directory.url)
        let keyLine = try await server.line(containing: "Service 'local' key (shown once): ")
        let key = String(keyLine.split(separator: " ").last!)
        #expect(key.count == 64)
        let serving = try await server.line(containing: "Fletcher is serving")
        let port = try #require(serving.firstMatch(of: /port (\d+)/).map { Int($0.1)! })

        let client = HTTPClient()
        try await server.explainingFailures {
            let ready = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/readyz"))
            #expect(ready.status == 200)
            let login = try await client.execute(
                HTTPClientRequest(
                    method: "POST", url: "http://127.0.0.1:\(port)/api/authenticate",
                    headers: [("Content-Type", "application/json")],
                    body: Array(#"{"service": "local", "key": "\#(key)"}"#.utf8)))
            #expect(login.status == 200)
        }
        #expect(FileManager.default.fileExists(atPath: directory.path("fletcher.sqlite")))

        let status = try await server.terminate()
        #expect(status == 0)
        #expect(server.output.components(separatedBy: key).count == 2, "the key is printed exactly once")
    }

    @Test func jsonLogsAreOneObjectPerLine() async throws {
        let directory = try TemporaryDirectory()
        let server = try LiveProcess(
            ["serve"], environment: ["BIND": "127.0.0.1:0", "LOG_FORMAT": "json", "DATABASE_URL": "sqlite::memory:"],
            directory: directory.url)
        let line = try await server.line(containing: "Fletcher is serving")
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        #expect(object?["level"] as? String == "notice")
        #expect((object?["ts"] as? String)?.hasSuffix("Z") == true)
        _ = try await server.terminate()
    }

    @Test(arguments: [
        (["SECRET_KEY": "short"], "SECRET_KEY must be at least 32 bytes long, it has 5"),
        (["REMOTE_APIS": "[{]"], "REMOTE_APIS must be a JSON array"),
        (["DATABASE_URL": "oracle://db"], "DATABASE_URL 'oracle://db' is not understood"),
    ])
    func startupErrorsAreOneLine(environment: [String: String], message: String) async throws {
        let result = try await fletcher(["serve"], environment: environment)
        #expect(result.status == 1)
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test func aDamagedDatabaseStopsStartupInOneLine() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("broken.sqlite")
        try Data(repeating: 7, count: 8192).write(to: URL(fileURLWithPath: path))
        let result = try await fletcher(
            ["serve"], environment: ["DATABASE_URL": "sqlite:\(path)", "BIND": "127.0.0.1:0"])
        #expect(result.status == 1 && result.stderrLines.count == 1)
        #expect(result.stderr.contains("not an SQLite database, or damaged"))
    }
}

/// A `fletcher` process whose standard output is read line by line while it runs.
final class LiveProcess: Sendable {
    private let process: ChildProcess
    private let reader: OutputReader
    private let lines: AsyncStream<String>
    private let buffer = OutputBuffer()

    init(_ arguments: [String], environment: [String: String], directory: URL) throws {
        process = try ChildProcess(
            fletcherBinary().path, arguments, environment: fletcherEnvironment(environment), directory: directory.path,
            mergingErrors: true)
        process.closeInput()
        let (lines, continuation) = AsyncStream.makeStream(of: String.self)
        self.lines = lines
        let buffer = buffer
        reader = OutputReader(process.output, ended: { continuation.finish() }) { data in
            for line in buffer.append(String(decoding: data, as: UTF8.self)) { continuation.yield(line) }
            return true
        }
    }

    /// A server the test did not stop (it failed, or threw on the way) is not left running.
    deinit {
        process.kill()
        reap(process, readers: [reader])
    }

    var output: String { buffer.all }

    /// Runs `body`; when it throws, records what the process printed next to the error, so a
    /// failure shows whether the server stopped, and why.
    func explainingFailures<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            let exit = process.exitStatus.map { "exited with status \($0)" } ?? "still running"
            Issue.record("\(error); the process \(exit), after printing:\n\(output.suffix(6_000))")
            throw error
        }
    }

    /// The first line containing `text`, waiting at most 60 s (a cold debug build starts slowly).
    func line(containing text: String) async throws -> String {
        try await withThrowingTaskGroup(of: String?.self) { group in
            let lines = lines
            group.addTask {
                for await line in lines where line.contains(text) { return line }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: .seconds(60))
                return nil
            }
            defer { group.cancelAll() }
            guard let found = try await group.next() ?? nil else {
                throw CocoaError(
                    .fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "no line with '\(text)' in: \(output)"])
            }
            return found
        }
    }

    /// Kills the process with SIGKILL (a crash: nothing runs after it) and waits for it to go.
    func kill() async {
        process.kill()
        _ = await process.exited()
    }

    /// Sends SIGTERM and returns the exit status.
    func terminate() async throws -> Int32 {
        process.kill(SIGTERM)
        return await process.exited()
    }
}

/// Everything a process printed, and the part of its last line not yet complete.
private final class OutputBuffer: Sendable {
    private let state = Mutex((all: "", pending: ""))

    var all: String { state.withLock { $0.all } }

    /// Adds output and returns the lines it completed.
    func append(_ text: String) -> [String] {
        state.withLock { state in
            state.all += text
            var parts = (state.pending + text).components(separatedBy: "\n")
            state.pending = parts.removeLast()
            return parts
        }
    }
}
