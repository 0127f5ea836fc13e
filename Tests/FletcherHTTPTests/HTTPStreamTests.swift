import FletcherHTTP
import FletcherTestSupport
import Foundation
import Hummingbird
import Synchronization
import Testing

/// A response read as it arrives (a watch stream): each chunk reaches the caller before the
/// server has finished, and cancelling the caller ends the transfer.
@Suite("HTTP client streams")
struct HTTPStreamTests {
    /// The server writes one line, then waits for the test to release the next one.
    private func withServer<T: Sendable>(
        _ release: AsyncStream<Void>, _ body: (String) async throws -> T
    ) async throws -> T {
        let router = Router()
        router.get("/lines") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody { writer in
                    var next = release.makeAsyncIterator()
                    for n in 0..<3 {
                        try await writer.write(ByteBuffer(string: #"{"n": \#(n)}"# + "\n"))
                        guard await next.next() != nil else { break }
                    }
                    try await writer.finish(nil)
                })
        }
        router.get("/gone") { _, _ in
            Response(status: .gone, body: .init(byteBuffer: ByteBuffer(string: #"{"reason": "Expired"}"#)))
        }
        let (application, ports) = loopbackApplication(router)
        return try await withRunningServer(application, ports: ports) { port in
            try await body("http://127.0.0.1:\(port)")
        }
    }

    @Test func chunksArriveBeforeTheResponseEnds() async throws {
        let (release, releaser) = AsyncStream.makeStream(of: Void.self)
        let (chunks, received) = AsyncStream.makeStream(of: (Int, String).self)
        try await withServer(release) { base in
            let client = HTTPClient()
            async let done = client.stream(HTTPClientRequest(url: base + "/lines")) { status, chunk in
                received.yield((status, String(decoding: chunk, as: UTF8.self)))
            }
            var iterator = chunks.makeAsyncIterator()
            for n in 0..<3 {
                let (status, text) = try #require(await iterator.next())
                #expect(status == 200 && text == #"{"n": \#(n)}"# + "\n", "line \(n) arrives while the server waits")
                releaser.yield()
            }
            let response = try await done
            #expect(response.status == 200 && response.body.isEmpty)
        }
    }

    @Test func anErrorAnswerIsStreamedWithItsStatus() async throws {
        let (release, _) = AsyncStream.makeStream(of: Void.self)
        try await withServer(release) { base in
            let seen = Mutex<[(Int, String)]>([])
            let response = try await HTTPClient().stream(HTTPClientRequest(url: base + "/gone")) { status, chunk in
                seen.withLock { $0.append((status, String(decoding: chunk, as: UTF8.self))) }
            }
            #expect(response.status == 410)
            #expect(
                seen.withLock { $0.map(\.0) } == [410] && seen.withLock { $0.first?.1 } == #"{"reason": "Expired"}"#)
        }
    }

    @Test func cancellingTheCallerEndsTheTransfer() async throws {
        let (release, releaser) = AsyncStream.makeStream(of: Void.self)
        let (chunks, received) = AsyncStream.makeStream(of: Void.self)
        try await withServer(release) { base in
            let client = HTTPClient()
            let task = Task {
                try await client.stream(HTTPClientRequest(url: base + "/lines", timeout: .seconds(60))) { _, _ in
                    received.yield()
                }
            }
            var iterator = chunks.makeAsyncIterator()
            _ = await iterator.next()
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
            releaser.finish()  // lets the server's handler end, so the server can shut down
        }
    }
}
