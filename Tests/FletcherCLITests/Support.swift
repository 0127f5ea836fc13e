import FletcherChildProcess
import FletcherTestSupport
import Foundation

struct CommandResult {
    let status: Int32
    let stdout: String
    let stderr: String

    var stderrLines: [Substring] { stderr.split(separator: "\n") }
}

/// The `fletcher` binary SwiftPM built next to this test bundle.
func fletcherBinary() -> URL {
    URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("fletcher")
}

/// Runs the `fletcher` binary to completion, waiting on a thread of its own (never on Swift's
/// cooperative pool, which every test running at the same time needs). It runs in an empty
/// directory of its own (a `.env` in the repository must not configure it) and is killed after
/// `timeout`, so a command that hangs fails its test instead of the whole run.
func fletcher(_ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(120))
    async throws -> CommandResult
{
    try await withCheckedThrowingContinuation { continuation in
        Thread {
            continuation.resume(with: Result { try runFletcher(arguments, environment: environment, timeout: timeout) })
        }.start()
    }
}

private func runFletcher(_ arguments: [String], environment: [String: String], timeout: Duration) throws
    -> CommandResult
{
    let directory = try TemporaryDirectory()
    let binary = fletcherBinary()
    guard FileManager.default.isExecutableFile(atPath: binary.path) else {
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: binary.path])
    }
    let process = try ChildProcess(
        binary.path, arguments, environment: fletcherEnvironment(environment), directory: directory.url.path)
    process.closeInput()
    let read = process.collect(until: .now + timeout)
    _ = directory.url  // the directory is kept until the command ended
    if !read.finished {
        process.kill()
        process.wait()
        throw CocoaError(
            .executableLoad,
            userInfo: [NSLocalizedDescriptionKey: "fletcher \(arguments) did not end within \(timeout)"])
    }
    return CommandResult(
        status: process.wait(), stdout: String(decoding: read.output, as: UTF8.self),
        stderr: String(decoding: read.errors, as: UTF8.self))
}

func write(_ directory: borrowing TemporaryDirectory, _ content: String) throws -> String {
    let path = directory.path("plan-\(UUID().uuidString).json")
    try Data(content.utf8).write(to: URL(fileURLWithPath: path))
    return path
}

/// This process's environment without Fletcher's own variables, plus `overrides`: each test
/// states the configuration it runs with.
func fletcherEnvironment(_ overrides: [String: String]) -> [String: String] {
    let fletcher: Set = [
        "DATABASE_URL", "REMOTE_APIS", "SECRET_KEY", "BASE_URL", "BIND", "LOG_FORMAT", "LOG_LEVEL", "MAX_CONNECTIONS",
        "MAX_BODY_BYTES", "PLAN_CACHE_PRODUCTS", "SWAGGER_UI_URL",
    ]
    // Dispatch variables too: a stray `CAMS_URL` in the shell would turn dispatch on in every test;
    // the client's: a stray `FLETCHER_URL` would point the client commands elsewhere; and tracing's.
    let prefixes = ["DISPATCH_", "CAMS_", "DBXAAS_", "KUBERNETES_", "FLETCHER_", "OTEL_"]
    let environment = ProcessInfo.processInfo.environment.filter { key, _ in
        !fletcher.contains(key) && !prefixes.contains { key.hasPrefix($0) }
    }
    return environment.merging(overrides) { _, new in new }
}
