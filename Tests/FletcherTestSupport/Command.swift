import FletcherChildProcess
import Foundation

/// What a finished command printed (standard output and error together) and its exit status.
public struct CommandOutput: Sendable {
    public let status: Int32
    public let output: String
}

/// Runs a program found on `PATH` to completion, as an operator would from a shell. The wait
/// happens on a thread of its own: blocking Swift's cooperative pool would stall every other
/// test running at the same time.
public func runCommand(_ arguments: [String]) async throws -> CommandOutput {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try runBlocking(arguments) }) }.start()
    }
}

private func runBlocking(_ arguments: [String]) throws -> CommandOutput {
    let process = try ChildProcess(arguments[0], Array(arguments.dropFirst()), mergingErrors: true)
    process.closeInput()
    let read = process.collect(until: .now + .seconds(600))
    return CommandOutput(
        status: process.wait(),
        output: String(decoding: read.output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
}

/// Like `runCommand`, but a non-zero exit status is an error.
@discardableResult
public func runChecked(_ arguments: [String]) async throws -> String {
    let result = try await runCommand(arguments)
    guard result.status == 0 else {
        throw CommandFailure(description: "\(arguments.prefix(2).joined(separator: " ")) failed: \(result.output)")
    }
    return result.output
}

public struct CommandFailure: Error, CustomStringConvertible {
    public let description: String
}

/// Writes an executable shell script at `path`, through a shell of its own. Written by this
/// process, the file would be open for writing while other tests spawn children, and a child
/// forked at that moment keeps it open until it execs: running the script then fails with
/// ETXTBSY ("text file busy").
public func writeExecutableScript(_ script: String, to path: String) async throws {
    try await runChecked(["/bin/sh", "-c", #"printf '%s' "$1" > "$2" && chmod 755 "$2""#, "sh", script, path])
}
