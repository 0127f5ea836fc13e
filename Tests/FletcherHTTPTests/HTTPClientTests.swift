import FletcherTestSupport
import Foundation
import Hummingbird
import Synchronization
import Testing

@testable import FletcherHTTP

/// The libcurl client against a real HTTP server on loopback.
@Suite("HTTP client over libcurl")
struct HTTPClientTests {
    /// Yields once for each request that reaches `/hold`, so a test knows its request is in flight.
    private let arrivals: AsyncStream<Void>
    private let arrived: AsyncStream<Void>.Continuation

    /// Requests that reached `/together` so far.
    private let together = Gate()

    init() {
        (arrivals, arrived) = AsyncStream.makeStream(of: Void.self)
    }

    private func withServer<T: Sendable>(_ body: (String) async throws -> T) async throws -> T {
        let router = Router()
        let arrived = arrived
        router.get("/hold") { _, _ in
            arrived.yield()
            try await Task.sleep(for: .seconds(10))
            return Response(status: .ok)
        }
        router.get("/hello") { request, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain", .init("X-Echo")!: request.headers[.init("X-Test")!] ?? ""],
                body: .init(byteBuffer: ByteBuffer(string: "hello")))
        }
        router.on("/echo", method: .post) { request, _ in try await echo(request) }
        router.on("/echo", method: .put) { request, _ in try await echo(request) }
        router.on("/echo", method: .delete) { request, _ in try await echo(request) }
        router.get("/status/:code") { _, context in
            Response(status: .init(code: Int(context.parameters.get("code")!)!))
        }
        let together = together
        router.get("/together/:count") { _, context in
            let seen = try await together.arrive(waitingFor: Int(context.parameters.get("count")!)!)
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "\(seen)")))
        }
        let (application, ports) = loopbackApplication(router)
        return try await withRunningServer(application, ports: ports) { port in
            try await body("http://127.0.0.1:\(port)")
        }
    }

    @Test func getReturnsStatusHeadersAndBody() async throws {
        let client = HTTPClient()
        try await withServer { base in
            let response = try await client.execute(
                HTTPClientRequest(url: "\(base)/hello", headers: [("X-Test", "ping")]))
            #expect(response.status == 200)
            #expect(response.text == "hello")
            #expect(response.header("x-echo") == "ping")
            #expect(response.header("Content-Type") == "text/plain")
        }
    }

    @Test(arguments: ["POST", "PUT", "DELETE"])
    func bodiesAreSentWithEveryMethod(method: String) async throws {
        let client = HTTPClient()
        try await withServer { base in
            let payload = Array("{\"a\":[1,2,3],\"bytes\":\"\u{0}\u{1}é\"}".utf8)
            let response = try await client.execute(
                HTTPClientRequest(
                    method: method, url: "\(base)/echo", headers: [("Content-Type", "application/json")], body: payload)
            )
            #expect(response.status == 200)
            #expect(response.body == payload)
            #expect(response.header("X-Method") == method)
            #expect(response.header("X-Content-Type") == "application/json")
        }
    }

    @Test func errorStatusesAreResponsesNotErrors() async throws {
        let client = HTTPClient()
        try await withServer { base in
            for code in [404, 429, 500, 503] {
                let response = try await client.execute(HTTPClientRequest(url: "\(base)/status/\(code)"))
                #expect(response.status == code)
            }
        }
    }

    /// `/hold` answers 200 after 10 s: only the 200 ms timeout can end the call with `.timedOut`.
    @Test func theTotalTimeoutIsEnforced() async throws {
        let client = HTTPClient()
        try await withServer { base in
            _ = await #expect {
                _ = try await client.execute(HTTPClientRequest(url: "\(base)/hold", timeout: .milliseconds(200)))
            } throws: { error in
                if case .timedOut = error as? HTTPClientError { return true }
                return false
            }
        }
    }

    @Test func aRefusedConnectionIsAConnectionFailure() async throws {
        let port = try closedPort()
        await #expect {
            _ = try await HTTPClient().execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/"))
        } throws: { error in
            if case .connectionFailed = error as? HTTPClientError { return true }
            return false
        }
    }

    /// `/hold` answers 200 after 10 s: only the cancellation can end the call with an error.
    @Test func cancellingTheTaskCancelsTheRequest() async throws {
        let client = HTTPClient()
        try await withServer { base in
            let task = Task { try await client.execute(HTTPClientRequest(url: "\(base)/hold")) }
            var iterator = arrivals.makeAsyncIterator()
            await iterator.next()  // the request is on the server now
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
        }
    }

    /// A caller cancelled just as its answer arrived asks the loop to cancel a transfer that has
    /// already ended. That must cancel nothing: a later transfer allocated at the ended one's
    /// address once inherited the cancellation and failed a platform call it never cancelled.
    @Test func aCancelArrivingAfterItsTransferEndedCancelsNothingElse() async throws {
        let configuration = HTTPClientConfiguration()
        let loop = CurlLoop(maxConnectionsPerHost: 4)
        defer { loop.stop() }
        func send(_ url: String) async throws -> (CurlTransfer, HTTPClientResponse) {
            let transfer = try CurlTransfer(HTTPClientRequest(url: url), configuration: configuration)
            let response = try await withCheckedThrowingContinuation { continuation in
                transfer.continuation = continuation
                loop.submit(transfer)
            }
            return (transfer, response)
        }
        try await withServer { base in
            for _ in 0..<50 {
                let (ended, _) = try await send("\(base)/hello")
                loop.cancel(ended)
                let (_, next) = try await send("\(base)/hello")
                #expect(next.status == 200)
            }
        }
    }

    /// Fifty requests in flight at once must not starve other async work: the client waits on its
    /// own thread, not on Swift's cooperative pool. Each request is answered only once all fifty
    /// have reached the server and the short sleeps below are over, so a client that sent them a
    /// batch at a time fails the count, and one that blocked the pool stalls the sleeps until the
    /// server gives up waiting (then the answers come first).
    @Test func fiftyConcurrentRequestsLeaveOtherTasksRunning() async throws {
        var configuration = HTTPClientConfiguration()
        configuration.maxConnectionsPerHost = 50
        let client = HTTPClient(configuration: configuration)
        try await withServer { base in
            try await withThrowingTaskGroup(of: (HTTPClientResponse, ContinuousClock.Instant).self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        (try await client.execute(HTTPClientRequest(url: "\(base)/together/50")), ContinuousClock.now)
                    }
                }
                for _ in 0..<20 { try await Task.sleep(for: .milliseconds(5)) }
                let ticked = ContinuousClock.now
                together.open()
                var answers: [String] = []
                var firstAnswer = ContinuousClock.Instant.now.advanced(by: .seconds(3600))
                for try await (response, answered) in group {
                    #expect(response.status == 200)
                    answers.append(response.text)
                    firstAnswer = min(firstAnswer, answered)
                }
                #expect(ticked < firstAnswer, "other async work waited for the requests: it was starved")
                #expect(answers.allSatisfy { $0 == "50" }, "requests were not all in flight together: \(answers)")
            }
        }
    }
}

/// Counts arrivals and holds each until `count` have arrived and the test opened the gate (or
/// 30 s passed: then the answer says how many came).
private final class Gate: Sendable {
    private let state = Mutex((arrived: 0, open: false))

    func open() { state.withLock { $0.open = true } }

    func arrive(waitingFor count: Int) async throws -> Int {
        state.withLock { $0.arrived += 1 }
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline, state.withLock({ $0.arrived < count || !$0.open }) {
            try await Task.sleep(for: .milliseconds(10))
        }
        return state.withLock { $0.arrived }
    }
}
private func echo(_ request: Request) async throws -> Response {
    var request = request
    let body = try await request.collectBody(upTo: 1 << 20)
    return Response(
        status: .ok,
        headers: [
            .init("X-Method")!: request.method.rawValue, .init("X-Content-Type")!: request.headers[.contentType] ?? "",
        ],
        body: .init(byteBuffer: body))
}

/// A loopback port nothing listens on: bound, then closed.
private func closedPort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
    }
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}
