import FletcherCore
import FletcherTestSupport
import Foundation
import Testing

/// Logging out ends the session's token, not only the cookie: a copy of it is refused by this
/// instance at once and by every other instance on the database within a refresh (about 1 s).
@Suite("Logout")
struct LogoutTests {
    @Test(arguments: Backend.available)
    func logoutEndsTheTokenOnEveryInstance(backend: Backend) async throws {
        let directory = try TemporaryDirectory()
        let database = try await TestDatabase.make(backend, in: directory)
        try await withFletcher(store: try await database.open()) { first in
            try await withFletcher(store: try await database.open()) { second in
                var factory = PlanFactory()
                let posted = try await first.call(
                    "POST", "/api/plan", json: factory.plan(["A"]), token: try await first.token("admin"))
                #expect(posted.status == 200)
                // A mutation that can be repeated: marking the same product running again.
                let update = "/api/data_product/\(factory.datasetID.lowercasedString)/update"
                let running = #"[{"id": "\#(factory.id("A").lowercasedString)", "state": "running"}]"#
                func mark(_ api: API, _ token: String) async throws -> API.Reply {
                    try await api.call("PUT", update, body: running, token: token)
                }

                let cookie = try await first.logInThroughTheForm("admin")
                let token = String(try #require(cookie.split(separator: "=", maxSplits: 1).last))
                for api in [first, second] {
                    #expect(try await mark(api, token).status == 200, "the session's token works")
                }
                let home = try await first.call("GET", "/", headers: [("Cookie", cookie)])
                let csrf = try #require(webCSRF(home.text))
                let out = try await first.call(
                    "POST", "/logout", body: "csrf=\(csrf)", contentType: "application/x-www-form-urlencoded",
                    headers: [("Cookie", cookie)])
                #expect(out.status == 303)
                #expect(out.header("Set-Cookie")?.contains("Max-Age=0") == true, "the cookie goes too")

                let here = try await mark(first, token)
                #expect(here.status == 401)
                #expect(here.detail == "Invalid bearer token: the token was ended by a logout")
                let page = try await first.call("GET", "/", headers: [("Cookie", cookie)])
                #expect(!page.text.contains("Logged in as"), "the old cookie is no session")
                try await eventually("the other instance refuses the token") {
                    try await mark(second, token).status == 401
                }
                #expect(
                    !(try await second.call("GET", "/", headers: [("Cookie", cookie)])).text.contains("Logged in as"))

                // Logging in again gives a new token that works everywhere.
                let again = try await second.logInThroughTheForm("admin")
                let fresh = String(try #require(again.split(separator: "=", maxSplits: 1).last))
                #expect(fresh != token)
                #expect(try await mark(first, fresh).status == 200)
            }
        }
    }
}
