import FletcherTestSupport
import Foundation
import Synchronization
import Testing

/// R8: clients that open a connection, send half a request and stop must not hold it forever.
/// Each such connection is closed once the header timeout passes, and meanwhile the server keeps
/// answering everybody else; over the connection cap, new connections are refused at once.
@Suite("Slow and idle HTTP clients")
struct SlowClientTests {
    @Test func halfSentRequestsAreClosedAfterTheHeaderTimeoutWhileOthersAreServed() async throws {
        let environment = ["HTTP_HEADER_TIMEOUT_SECONDS": "1", "HTTP_IDLE_TIMEOUT_SECONDS": "30"]
        try await withFletcher(environment: environment) { api in
            let port = try #require(Int(api.base.split(separator: ":").last ?? ""))
            // Before the first connection: each is closed a timeout after it was opened, so the
            // last closes at least a timeout after this.
            let started = ContinuousClock.now
            let sockets = try await onThread { try (0..<300).map { _ in try HalfRequest(port: port) } }
            defer { for socket in sockets { socket.close() } }
            // Served while 300 connections sit there half-sent.
            for _ in 0..<5 { #expect(try await api.call("GET", "/healthz").status == 200) }
            let closed = try await onThread { HalfRequest.closed(sockets, within: .seconds(10)) }
            #expect(closed.allSatisfy { $0 }, "\(closed.filter { !$0 }.count) of 300 still open after 10 s")
            #expect(ContinuousClock.now - started >= .milliseconds(900), "not before the timeout")
        }
    }

    @Test func aKeptAliveConnectionIsClosedAfterTheIdleTimeout() async throws {
        try await withFletcher(environment: ["HTTP_IDLE_TIMEOUT_SECONDS": "1"]) { api in
            let port = try #require(Int(api.base.split(separator: ":").last ?? ""))
            let socket = try await onThread { try HalfRequest(port: port, sending: "TP/1.1\r\nHost: fletcher\r\n\r\n") }
            defer { socket.close() }
            let sent = ContinuousClock.now
            let closed = try await onThread { HalfRequest.closed([socket], within: .seconds(10)) }
            #expect(closed == [true], "closed once idle")
            #expect(socket.received.hasPrefix("HTTP/1.1 200"), "answered first: \(socket.received.prefix(40))")
            #expect(ContinuousClock.now - sent >= .milliseconds(900), "kept open until the idle timeout")
        }
    }

    @Test func connectionsOverTheCapAreRefusedAndTheServerStillAnswers() async throws {
        let environment = ["MAX_HTTP_CONNECTIONS": "20", "HTTP_HEADER_TIMEOUT_SECONDS": "60"]
        try await withFletcher(environment: environment) { api in
            let port = try #require(Int(api.base.split(separator: ":").last ?? ""))
            let sockets = try await onThread { try (0..<30).map { _ in try HalfRequest(port: port) } }
            // A loaded machine may take a while to accept all 30; wait for the 10 refusals, no longer.
            let closed = try await onThread { HalfRequest.closed(sockets, within: .seconds(20), until: 10) }
            #expect(closed.filter { $0 }.count == 10, "the 10 over the cap are refused, the 20 within it kept")
            let late = try await onThread { try HalfRequest(port: port) }
            defer { late.close() }
            let lateClosed = try await onThread { HalfRequest.closed([late], within: .seconds(20)) }
            #expect(lateClosed == [true], "a connection over the cap is refused while the 20 stay")
            #expect(
                try await onThread { HalfRequest.closed(sockets, within: .zero) }.filter { $0 }.count <= 10,
                "the 20 within the cap were not closed meanwhile")
            for socket in sockets { socket.close() }
            try await eventually("the cap frees up as clients leave") {
                (try? await api.call("GET", "/healthz").status) == 200
            }
        }
    }
}

/// A TCP connection that sent the start of a request line and nothing more.
private final class HalfRequest: Sendable {
    let descriptor: Int32
    private let bytes = Mutex<[UInt8]>([])
    /// What the server sent before closing.
    var received: String { String(decoding: bytes.withLock { $0 }, as: UTF8.self) }

    /// `sending` follows the start of the request line (the rest of a request, to complete one).
    init(port: Int, sending rest: String = "") throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw APIFailure("connect failed: \(errno)") }
        let partial = Array(("GET /healthz HT" + rest).utf8)
        _ = partial.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) }
    }

    /// For each socket, whether the server closed it before `timeout` passed, all watched at once;
    /// returns early once `enough` of them are closed (all by default).
    static func closed(_ sockets: [HalfRequest], within timeout: Duration, until enough: Int? = nil) -> [Bool] {
        let deadline = ContinuousClock.now + timeout
        var closed = Array(repeating: false, count: sockets.count)
        func done() -> Bool { closed.filter { $0 }.count >= (enough ?? sockets.count) }
        repeat {
            let open = sockets.indices.filter { !closed[$0] }
            var descriptors = open.map { pollfd(fd: sockets[$0].descriptor, events: Int16(POLLIN), revents: 0) }
            let wait = Int32(max(1, (deadline - ContinuousClock.now) / .milliseconds(1)))
            guard poll(&descriptors, nfds_t(descriptors.count), wait) > 0 else { continue }
            for (position, index) in open.enumerated() where descriptors[position].revents != 0 {
                var byte: UInt8 = 0
                if recv(sockets[index].descriptor, &byte, 1, 0) <= 0 {
                    closed[index] = true
                } else {
                    sockets[index].bytes.withLock { $0.append(byte) }
                }
            }
        } while !done() && ContinuousClock.now < deadline
        return closed
    }

    func close() { _ = Glibc.close(descriptor) }
}

/// Runs blocking socket work on a thread of its own, off Swift's cooperative pool.
private func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
