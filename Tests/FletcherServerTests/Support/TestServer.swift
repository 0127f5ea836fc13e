import FletcherCore
import FletcherHTTP
import FletcherPlatform
import FletcherPlugins
import FletcherSQLite
import FletcherServer
import FletcherTestSupport
import Foundation
import Logging
import Synchronization

/// Service accounts the server tests log in as; each key is its name reversed.
enum TestServices {
    static let accounts: [ServiceAccount] = [
        .hashing(service: "admin", key: "nimda", roles: Set(Role.allCases), cost: 4),
        .hashing(service: "reader", key: "redaer", roles: [], cost: 4),
        .hashing(service: "publisher", key: "rehsilbup", roles: [.publish], cost: 4),
        .hashing(service: "pauser", key: "resuap", roles: [.pause], cost: 4),
        .hashing(service: "updater", key: "retadpu", roles: [.update], cost: 4),
        .hashing(service: "disabler", key: "relbasid", roles: [.disable], cost: 4),
    ]

    static func key(_ service: String) -> String { String(service.reversed()) }
}

/// Runs a Fletcher server on loopback over a fresh in-memory SQLite store.
/// `services: nil` keeps what the environment configures (without `REMOTE_APIS`: the generated
/// `local` service, whose key the body finds in `API.localKey`).
enum TestServer {
    /// `FLETCHER_HTTP_STORE=postgres` runs every server a test does not give a store of its own
    /// on a fresh PostgreSQL schema instead of in-memory SQLite (`scripts/test` runs the HTTP
    /// suites both ways).
    static let postgresDefault = ProcessInfo.processInfo.environment["FLETCHER_HTTP_STORE"] == "postgres"
}

func withFletcher<T: Sendable>(
    services: [ServiceAccount]? = TestServices.accounts, secret: String = String(repeating: "s", count: 32),
    environment overrides: [String: String] = [:], store: (any FletcherStore)? = nil,
    configure: (inout ServerConfiguration) -> Void = { _ in }, _ body: (API) async throws -> T
) async throws -> T {
    var environment = ["DATABASE_URL": "sqlite::memory:", "BIND": "127.0.0.1:0", "SECRET_KEY": secret]
    environment.merge(overrides) { _, new in new }
    var configuration = try ServerConfiguration.from(Environment(environment), registry: .builtIn)
    if let services { configuration.services = services }
    configure(&configuration)
    let planStore: any FletcherStore
    // Lives as long as the server: a PostgreSQL schema goes with it.
    let directory = try TemporaryDirectory()
    if let store {
        planStore = store
    } else if TestServer.postgresDefault {
        planStore = try await TestDatabase.make(.postgres, in: directory).open(maxConnections: 4)
    } else {
        let sqlite = try await SQLitePlanStore.open(path: ":memory:")
        try await sqlite.migrate()
        planStore = sqlite
    }
    // Silent while the test passes; its last lines are printed when the body fails.
    let log = LogRecorder()
    let logger = log.logger(label: "fletcher-test")
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let orchestrator = Orchestrator(store: planStore, platforms: configuration.dispatch.catalog)
    // Callback URLs must name the port the server got, known only once it runs.
    let address = Mutex(configuration.baseURL)
    let dispatch = DispatchRuntime(
        configuration: configuration.dispatch, baseURL: { address.withLock { $0 } }, orchestrator: orchestrator,
        store: planStore, logger: logger)
    let application = try await FletcherApplication.make(
        configuration: configuration, orchestrator: orchestrator, dispatch: dispatch, revocations: planStore,
        traced: false, logger: logger,
        onServerRunning: { port in
            address.withLock { $0 = "http://127.0.0.1:\(port)" }
            continuation.yield(port)
        })
    return try await withRunningServer(application, ports: ports) { port in
        try await log.printedOnFailure("server") {
            try await body(API(base: "http://127.0.0.1:\(port)", localKey: configuration.generatedLocalKey))
        }
    }
}

/// A small client for the API under test, over the project's own libcurl client.
struct API: Sendable {
    let base: String
    let localKey: String?
    let client = HTTPClient()

    struct Reply: Sendable {
        let status: Int
        let headers: [(name: String, value: String)]
        let body: [UInt8]

        func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: Any? { try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed]) }
        var object: [String: Any] { json as? [String: Any] ?? [:] }
        /// The problem's `detail`, for error replies.
        var detail: String? { object["detail"] as? String }

        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            try JSONDecoder().decode(type, from: Data(body))
        }
    }

    func call(
        _ method: String, _ path: String, body: String? = nil, token: String? = nil,
        contentType: String? = "application/json", headers extra: [(name: String, value: String)] = []
    ) async throws -> Reply {
        var headers = extra
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        if body != nil, let contentType { headers.append(("Content-Type", contentType)) }
        let response = try await client.execute(
            HTTPClientRequest(method: method, url: base + path, headers: headers, body: body.map { Array($0.utf8) }))
        return Reply(status: response.status, headers: response.headers, body: response.body)
    }

    func call<Body: Encodable>(_ method: String, _ path: String, json: Body, token: String?) async throws -> Reply {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try await call(
            method, path, body: String(decoding: try encoder.encode(json), as: UTF8.self), token: token)
    }

    func token(_ service: String, key: String? = nil) async throws -> String {
        let key = key ?? TestServices.key(service)
        let reply = try await call("POST", "/api/authenticate", body: #"{"service": "\#(service)", "key": "\#(key)"}"#)
        guard reply.status == 200, let token = reply.object["access_token"] as? String else {
            throw APIFailure("login as \(service) failed: \(reply.status) \(reply.text)")
        }
        return token
    }
}

struct APIFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Every state-changing call of the API, aliases included, on `dataset`, with the role it needs.
func everyMutation(_ dataset: String) -> [(method: String, path: String, body: String?, role: Role)] {
    [
        (
            "POST", "/api/plan",
            #"{"dataset": {"id": "\#(dataset)"}, "data_products": [], "dependencies": []}"#, .publish
        ),
        ("PUT", "/api/plan/\(dataset)/pause", nil, .pause),
        ("PUT", "/api/plan/\(dataset)/unpause", nil, .pause),
        ("PUT", "/api/plan/pause/\(dataset)", nil, .pause),
        ("PUT", "/api/plan/unpause/\(dataset)", nil, .pause),
        ("PUT", "/api/data_product/\(dataset)/update", "[]", .update),
        ("PUT", "/api/data_product/update/\(dataset)", "[]", .update),
        ("PUT", "/api/data_product/\(dataset)/clear", "[]", .update),
        ("PUT", "/api/data_product/clear/\(dataset)", "[]", .update),
        ("PUT", "/api/data_product/\(dataset)/trigger", "[]", .update),
        ("DELETE", "/api/data_product/\(dataset)", "[]", .disable),
        ("PUT", "/api/data_product/disable/\(dataset)", "[]", .disable),
        ("DELETE", "/api/data_product/disable/\(dataset)", "[]", .disable),
    ]
}

/// Two Fletcher instances on one fresh PostgreSQL database, and a plan of one lazy product `A`
/// posted through the first: what R7's tests start from. The body gets the dataset's and A's ids.
func withTwoInstancesAndAPlan(
    _ body: (_ writer: API, _ reader: API, _ token: String, _ dataset: String, _ product: String) async throws -> Void
) async throws {
    let directory = try TemporaryDirectory()
    let database = try await TestDatabase.make(.postgres, in: directory)
    try await withFletcher(store: try await database.open()) { writer in
        try await withFletcher(store: try await database.open()) { reader in
            let token = try await writer.token("admin")
            var factory = PlanFactory()
            _ = try await writer.call("POST", "/api/plan", json: factory.plan(["A"], eager: false), token: token)
            let product = factory.id("A").lowercasedString
            try await body(writer, reader, token, factory.datasetID.lowercasedString, product)
        }
    }
}
