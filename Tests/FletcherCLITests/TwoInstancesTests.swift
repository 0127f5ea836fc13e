import FletcherHTTP
import FletcherTestSupport
import Foundation
import Testing

/// R7: two `fletcher serve` processes on one PostgreSQL database, requests alternating between
/// them. Parents succeeding at once through different instances queue their child exactly once,
/// no request fails, and both instances answer with the same plan.
@Suite("Two instances on one database", .enabled(if: Backend.available.contains(.postgres)))
struct TwoInstancesTests {
    @Test func commandsThroughTwoInstancesStaySerializable() async throws {
        let directory = try TemporaryDirectory()
        let database = try await TestDatabase.make(.postgres, in: directory)
        let hash = try #require(
            try await fletcher(["hash-key", "--key", "k3y", "--cost", "4"]).stdout.split(separator: " ").last
        )
        .trimmingCharacters(in: .whitespacesAndNewlines)
        let environment = [
            "DATABASE_URL": database.url, "BIND": "127.0.0.1:0", "SECRET_KEY": String(repeating: "z", count: 32),
            "REMOTE_APIS": #"[{"service": "ops", "hash": "\#(hash)", "roles": ["publish", "update"]}]"#,
        ]
        var ports: [Int] = []
        var servers: [LiveProcess] = []
        for _ in 0..<2 {
            let server = try LiveProcess(["serve"], environment: environment, directory: directory.url)
            let line = try await server.line(containing: "Fletcher is serving")
            ports.append(try #require(line.firstMatch(of: /port (\d+)/).map { Int($0.1)! }))
            servers.append(server)
        }
        let client = HTTPClient()
        let endpoints = ports
        @Sendable func call(_ instance: Int, _ method: String, _ path: String, _ body: String?, token: String? = nil)
            async throws
            -> HTTPClientResponse
        {
            var headers: [(name: String, value: String)] = [("Content-Type", "application/json")]
            if let token { headers.append(("Authorization", "Bearer \(token)")) }
            return try await client.execute(
                HTTPClientRequest(
                    method: method, url: "http://127.0.0.1:\(endpoints[instance % 2])\(path)", headers: headers,
                    body: body.map { Array($0.utf8) }))
        }
        let login = try await call(1, "POST", "/api/authenticate", #"{"service": "ops", "key": "k3y"}"#)
        let token = try #require(
            (try JSONSerialization.jsonObject(with: Data(login.body)) as? [String: Any])?["access_token"] as? String)

        for _ in 0..<3 {
            let dataset = UUID().uuidString.lowercased()
            let (a, b, c) = (
                UUID().uuidString.lowercased(), UUID().uuidString.lowercased(), UUID().uuidString.lowercased()
            )
            let product = { (id: String, name: String) in
                #"{"id": "\#(id)", "compute": "cams", "name": "\#(name)", "version": "1", "eager": \#(name == "C")}"#
            }
            let plan =
                #"{"dataset": {"id": "\#(dataset)"}, "data_products": [\#(product(a, "A")), \#(product(b, "B")), \#(product(c, "C"))], "dependencies": [{"parent_id": "\#(a)", "child_id": "\#(c)"}, {"parent_id": "\#(b)", "child_id": "\#(c)"}]}"#
            #expect(try await call(0, "POST", "/api/plan", plan, token: token).status == 200)

            let results = try await withThrowingTaskGroup(of: (Int, Int, String).self) { group in
                for index in 0..<32 {
                    group.addTask {
                        switch index {
                        case 0, 1:
                            let body = #"[{"id": "\#(index == 0 ? a : b)", "state": "success"}]"#
                            let reply = try await call(
                                index, "PUT", "/api/data_product/\(dataset)/update", body, token: token)
                            return (index, reply.status, reply.text)
                        case let index where index % 2 == 0:
                            let reply = try await call(index, "POST", "/api/plan", plan, token: token)
                            return (index, reply.status, "")
                        default:
                            let reply = try await call(index, "GET", "/api/plan/\(dataset)", nil)
                            return (index, reply.status, "")
                        }
                    }
                }
                return try await group.reduce(into: [(Int, Int, String)]()) { $0.append($1) }
            }
            #expect(results.allSatisfy { $0.1 == 200 }, "\(results.filter { $0.1 != 200 })")
            // Exactly one of the two parent updates saw both parents succeeded and queued C.
            let queuedBy = results.filter { $0.0 < 2 }.filter { result in
                guard let plan = try? JSONSerialization.jsonObject(with: Data(result.2.utf8)) as? [String: Any],
                    let products = plan["data_products"] as? [[String: Any]]
                else { return false }
                return products.contains { $0["id"] as? String == c && $0["state"] as? String == "queued" }
            }
            #expect(queuedBy.count == 1)
            for instance in 0..<2 {
                let reply = try await call(instance, "GET", "/api/plan/\(dataset)", nil)
                let plan = try JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any]
                let states = (plan?["data_products"] as? [[String: Any]])?.map { $0["state"] as? String }
                #expect(states == ["success", "success", "queued"], "instance \(instance)")
            }
        }
        for server in servers { #expect(try await server.terminate() == 0) }
    }
}
