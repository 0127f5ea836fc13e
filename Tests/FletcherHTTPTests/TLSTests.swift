import FletcherChildProcess
import FletcherHTTP
import FletcherTestSupport
import Foundation
import Testing

/// Per-client trust and mutual TLS, against `openssl s_server` on loopback with certificates
/// made for the test by the `openssl` command.
@Suite("HTTP client TLS settings")
struct TLSTests {
    @Test func aPrivateCAIsTrustedOnlyWhenConfigured() async throws {
        let directory = try TemporaryDirectory()
        let pki = try await TestPKI(in: directory)
        let server = try OpenSSLServer(pki: pki, requireClientCertificate: false)
        defer { server.stop() }
        let url = "https://127.0.0.1:\(try await server.port())/"

        await #expect {
            _ = try await HTTPClient().execute(HTTPClientRequest(url: url))
        } throws: { error in
            if case .tls = error as? HTTPClientError { return true }
            return false
        }
        var configuration = HTTPClientConfiguration()
        configuration.caFile = pki.caCertificate
        let response = try await HTTPClient(configuration: configuration).execute(HTTPClientRequest(url: url))
        #expect(response.status == 200)
    }

    @Test func aClientCertificateIsPresentedWhenConfigured() async throws {
        let directory = try TemporaryDirectory()
        let pki = try await TestPKI(in: directory)
        let server = try OpenSSLServer(pki: pki, requireClientCertificate: true)
        defer { server.stop() }
        let url = "https://127.0.0.1:\(try await server.port())/"

        var trusting = HTTPClientConfiguration()
        trusting.caFile = pki.caCertificate
        await #expect(throws: HTTPClientError.self) {
            _ = try await HTTPClient(configuration: trusting).execute(HTTPClientRequest(url: url))
        }
        var mutual = trusting
        mutual.clientCertificate = pki.clientCertificate
        mutual.clientKey = pki.clientKey
        let response = try await HTTPClient(configuration: mutual).execute(HTTPClientRequest(url: url))
        #expect(response.status == 200)
    }
}

/// A throwaway certificate authority with a server certificate for 127.0.0.1 and a client certificate.
struct TestPKI {
    let caCertificate: String
    let serverCertificate: String
    let serverKey: String
    let clientCertificate: String
    let clientKey: String

    init(in directory: borrowing TemporaryDirectory) async throws {
        let root = directory.url
        let path = { (name: String) in root.appendingPathComponent(name).path }
        caCertificate = path("ca.pem")
        serverCertificate = path("server.pem")
        serverKey = path("server.key")
        clientCertificate = path("client.pem")
        clientKey = path("client.key")
        try await openssl([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=Fletcher Test CA",
            "-keyout", path("ca.key"), "-out", caCertificate,
        ])
        try Data("subjectAltName=IP:127.0.0.1\n".utf8).write(to: URL(fileURLWithPath: path("san.ext")))
        for (name, certificate, key) in [
            ("server", serverCertificate, serverKey), ("client", clientCertificate, clientKey),
        ] {
            try await openssl([
                "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=\(name)", "-keyout", key, "-out",
                path("\(name).csr"),
            ])
            try await openssl([
                "x509", "-req", "-in", path("\(name).csr"), "-CA", caCertificate, "-CAkey", path("ca.key"),
                "-CAcreateserial", "-days", "1", "-out", certificate, "-extfile", path("san.ext"),
            ])
        }
    }

    private func openssl(_ arguments: [String]) async throws {
        try await runChecked(["openssl"] + arguments)
    }
}

/// `openssl s_server -www` on an ephemeral loopback port, answering every GET with 200.
final class OpenSSLServer: Sendable {
    private let process: ChildProcess
    private let output: OutputReader
    private let ready: AsyncStream<Int>

    init(pki: TestPKI, requireClientCertificate: Bool) throws {
        var arguments = [
            // Line-buffered, so "ACCEPT" arrives when it is printed and not at exit.
            "-oL", "openssl", "s_server", "-accept", "127.0.0.1:0", "-naccept", "4", "-www", "-cert",
            pki.serverCertificate,
            "-key", pki.serverKey,
        ]
        if requireClientCertificate { arguments += ["-Verify", "1", "-CAfile", pki.caCertificate] }
        process = try ChildProcess("stdbuf", arguments, mergingErrors: true)
        let (ready, continuation) = AsyncStream.makeStream(of: Int.self)
        self.ready = ready
        // s_server prints "ACCEPT 127.0.0.1:PORT" once it listens.
        output = OutputReader(process.output, ended: { continuation.finish() }) { data in
            guard let match = String(decoding: data, as: UTF8.self).firstMatch(of: /ACCEPT [0-9.]+:(\d+)/) else {
                return true
            }
            continuation.yield(Int(match.1)!)
            continuation.finish()
            return false
        }
    }

    func port() async throws -> Int {
        for await port in ready where port > 0 { return port }
        throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "openssl s_server did not start"])
    }

    /// Kills the server; a thread of its own reaps it.
    func stop() {
        process.kill()
        reap(process, readers: [output])
    }
}
