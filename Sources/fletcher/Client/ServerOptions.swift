import ArgumentParser
import FletcherClient
import FletcherCore
import Foundation

/// Where the server is and who the client is, from options or the environment (the options win).
struct ServerOptions: ParsableArguments {
    @Option(help: "The server's base URL (FLETCHER_URL; default http://127.0.0.1:3000).")
    var url: String?

    @Option(help: "Log in as this service (FLETCHER_SERVICE), with --key.")
    var service: String?

    @Option(help: "The service's key (FLETCHER_KEY).")
    var key: String?

    @Option(help: "A token from POST /api/authenticate (FLETCHER_TOKEN), instead of --service and --key.")
    var token: String?

    @Flag(help: "Print the server's JSON answer instead of a table.")
    var json = false

    func client() throws -> FletcherClient {
        let environment = ProcessInfo.processInfo.environment
        let base = url ?? environment["FLETCHER_URL"] ?? "http://127.0.0.1:3000"
        guard base.hasPrefix("http://") || base.hasPrefix("https://") else {
            throw ValidationError("--url must start with http:// or https://, got '\(base)'")
        }
        let service = service ?? environment["FLETCHER_SERVICE"]
        let key = key ?? environment["FLETCHER_KEY"]
        let token = token ?? environment["FLETCHER_TOKEN"]
        let credentials: Credentials
        switch (service, key, token) {
        case (let service?, let key?, nil): credentials = .login(service: service, key: key)
        case (nil, nil, let token?): credentials = .token(token)
        case (nil, nil, nil): credentials = .none
        case (_?, nil, nil), (nil, _?, nil):
            throw ValidationError("--service and --key (FLETCHER_SERVICE, FLETCHER_KEY) go together")
        default:
            throw ValidationError("give either --token or --service and --key, not both")
        }
        return FletcherClient(baseURL: base, credentials: credentials)
    }

    /// Sends one request and prints its answer: the server's bytes with `--json`, else `render`
    /// of the answer decoded.
    func show<Answer: Decodable>(
        _ type: Answer.Type, _ method: String, _ path: String, json body: [UInt8]? = nil,
        render: (Answer) -> String
    ) async throws {
        let client = try client()
        if json { return printRaw(try await client.send(method, path, json: body)) }
        print(render(try await client.send(type, method, path, json: body)))
    }
}

/// A dataset or product id argument: a UUID, written in lowercase in paths.
func uuidArgument(_ text: String, _ what: String) throws -> String {
    guard let uuid = UUID(text: text) else { throw ValidationError("\(what) '\(text)' is not a UUID") }
    return uuid.lowercasedString
}

/// Writes the server's bytes as they came, with a final newline.
func printRaw(_ body: [UInt8]) {
    var bytes = body
    if bytes.last != UInt8(ascii: "\n") { bytes.append(UInt8(ascii: "\n")) }
    FileHandle.standardOutput.write(Data(bytes))
}
