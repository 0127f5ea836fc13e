import FletcherChildProcess
import FletcherTestSupport
import Foundation
import Testing

/// Child processes as Graphviz and the tests run them (`ChildProcess`): status, streams,
/// environment, working directory, and no descriptor of ours leaking into the child.
@Suite("Child processes")
struct ChildProcessTests {
    /// Runs on a thread of its own: waiting blocks.
    private func finished(_ process: ChildProcess) async -> (status: Int32, output: String, errors: String) {
        await withCheckedContinuation { continuation in
            Thread {
                let read = process.collect(until: .now + .seconds(30))
                continuation.resume(
                    returning: (
                        process.wait(), String(decoding: read.output, as: UTF8.self),
                        String(decoding: read.errors, as: UTF8.self)
                    ))
            }.start()
        }
    }

    @Test func statusStreamsAndInput() async throws {
        let cat = try ChildProcess("cat")
        #expect(cat.write(Array("hello".utf8)))
        cat.closeInput()
        let echoed = await finished(cat)
        #expect(echoed.status == 0 && echoed.output == "hello")

        let failing = try ChildProcess("sh", ["-c", "echo out; echo err >&2; exit 3"])
        let result = await finished(failing)
        #expect(result.status == 3 && result.output == "out\n" && result.errors == "err\n")

        let killed = try ChildProcess("sleep", ["30"])
        killed.kill()
        #expect(await killed.exited() == 128 + SIGKILL)

        #expect(throws: SpawnError.self) { try ChildProcess("/no/such/program") }
    }

    @Test func environmentDirectoryAndDescriptors() async throws {
        let directory = try TemporaryDirectory()
        let shell = try ChildProcess(
            "/bin/sh", ["-c", "echo \"$ONLY:$HOME\"; pwd; ls /proc/self/fd"], environment: ["ONLY": "this"],
            directory: directory.url.path)
        let result = await finished(shell)
        let lines = result.output.split(separator: "\n").map(String.init)
        #expect(lines.first == "this:", "the environment given replaces ours")
        #expect(
            lines.dropFirst().first.map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path }
                == directory.url.resolvingSymlinksInPath().path)
        // 0, 1, 2 and the one `ls` opens to list the directory: nothing of the test process's.
        #expect(lines.dropFirst(2).count <= 4, "descriptors open in the child: \(lines.dropFirst(2))")
    }
}
