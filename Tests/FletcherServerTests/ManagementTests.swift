import FletcherCore
import FletcherTestSupport
import Foundation
import Testing

/// Managing plans in the browser (`docs/ui.md`): login by cookie, CSRF on every form, the API's roles,
/// a confirmation before each change, and the same result as the API.
@Suite("Web management")
struct ManagementTests {
    private func seeded(_ api: API) async throws -> PlanFactory {
        var factory = PlanFactory()
        var plan = factory.plan(["A", "B", "C"], [("A", "B"), ("B", "C")])
        plan.dataProducts[0].eager = false
        _ = try await api.call("POST", "/api/plan", json: plan, token: try await api.token("admin"))
        // One at a time, parents first: an update resets its descendants (`docs/concepts.md` §3.3).
        for name in ["A", "B", "C"] {
            _ = try await api.call(
                "PUT", "/api/data_product/\(factory.datasetID.lowercasedString)/update",
                body: #"[{"id": "\#(factory.id(name).lowercasedString)", "state": "success"}]"#,
                token: try await api.token("admin"))
        }
        return factory
    }

    @Test func loginFailuresAndTheLoggedInHeader() async throws {
        try await withFletcher { api in
            let wrong = try await api.call(
                "POST", "/login", body: "csrf=x&service=admin&key=nimda",
                contentType: "application/x-www-form-urlencoded",
                headers: [("Cookie", "fletcher_login=y")])
            #expect(wrong.status == 403, "a login form without its own CSRF nonce is refused")
            let form = try await api.call("GET", "/login")
            let nonceCookie = String(
                try #require(form.header("Set-Cookie"), "the login form sets its nonce").split(separator: ";")[0])
            let nonce = String(nonceCookie.split(separator: "=")[1])
            let badKey = try await api.call(
                "POST", "/login", body: "csrf=\(nonce)&service=admin&key=guess",
                contentType: "application/x-www-form-urlencoded", headers: [("Cookie", nonceCookie)])
            #expect(badKey.status == 401 && badKey.text.contains("Unknown service or wrong key."))
            let cookie = try await api.logInThroughTheForm("admin")
            let page = try await api.call("GET", "/", headers: [("Cookie", cookie)])
            #expect(page.text.contains("Logged in as <strong>admin</strong>"))
            let anonymous = try await api.call("GET", "/")
            #expect(
                anonymous.text.contains(#"<a href="/login">Log in</a>"#) && !anonymous.text.contains("Logged in as"))
        }
    }

    @Test func clearIsConfirmedWithItsDescendantsThenMatchesTheAPI() async throws {
        try await withFletcher { api in
            var factory = try await seeded(api)
            let dataset = factory.datasetID.lowercasedString
            let cookie = try await api.logInThroughTheForm("updater")
            let planPage = try await api.call("GET", "/plan/\(dataset)", headers: [("Cookie", cookie)]).text
            #expect(planPage.contains(#"<form method="post" action="/plan/\#(dataset)/manage" id="manage">"#))
            #expect(planPage.contains(#"aria-label="Select A""#))
            let token = try #require(webCSRF(planPage))
            let a = factory.id("A").lowercasedString
            let form = "csrf=\(token)&action=clear&ids=\(a)"
            let confirm = try await api.call(
                "POST", "/plan/\(dataset)/manage", body: form, contentType: "application/x-www-form-urlencoded",
                headers: [("Cookie", cookie)])
            #expect(confirm.status == 200 && confirm.text.contains("Confirm: clear"))
            #expect(confirm.text.contains("These descendants will reset"))
            #expect(confirm.text.contains("<li>B ") && confirm.text.contains("<li>C "))
            #expect(try await api.states(factory.datasetID)["A"] == .success, "nothing changes before confirming")

            let done = try await api.call(
                "POST", "/plan/\(dataset)/manage", body: form + "&confirm=yes",
                contentType: "application/x-www-form-urlencoded", headers: [("Cookie", cookie)])
            #expect(done.status == 303 && done.header("Location") == "/plan/\(dataset)")
            let plan = try await api.plan(factory.datasetID)
            #expect(plan.dataProducts.map(\.state) == [.waiting, .waiting, .waiting])
            #expect(plan.dataProducts[0].modifiedBy == "updater")
        }
    }

    @Test func actionsNeedLoginRoleAndAValidCSRFToken() async throws {
        try await withFletcher { api in
            var factory = try await seeded(api)
            let dataset = factory.datasetID.lowercasedString
            let b = factory.id("B").lowercasedString
            let post = { (body: String, cookie: String?) in
                try await api.call(
                    "POST", "/plan/\(dataset)/manage", body: body, contentType: "application/x-www-form-urlencoded",
                    headers: cookie.map { [("Cookie", $0)] } ?? [])
            }
            #expect(try await post("action=failed&ids=\(b)&confirm=yes", nil).status == 401)

            let updater = try await api.logInThroughTheForm("updater")
            let page = try await api.call("GET", "/plan/\(dataset)", headers: [("Cookie", updater)]).text
            let token = try #require(webCSRF(page))
            #expect(try await post("action=failed&ids=\(b)&confirm=yes", updater).status == 403, "no CSRF token")
            #expect(
                try await post("csrf=\(String(repeating: "0", count: 64))&action=failed&ids=\(b)&confirm=yes", updater)
                    .status == 403)
            let other = try await api.logInThroughTheForm("disabler")
            #expect(
                try await post("csrf=\(token)&action=failed&ids=\(b)&confirm=yes", other).status == 403,
                "another session's token")

            let reader = try await api.logInThroughTheForm("reader")
            let readerPage = try await api.call("GET", "/plan/\(dataset)", headers: [("Cookie", reader)]).text
            let readerToken = try #require(webCSRF(readerPage), "the reader's page has a form token")
            let refused = try await post("csrf=\(readerToken)&action=failed&ids=\(b)&confirm=yes", reader)
            #expect(
                refused.status == 403 && refused.text.contains("missing the following role: &#39;update&#39;")
                    || refused.text.contains("missing the following role: 'update'"))

            #expect(try await api.states(factory.datasetID)["B"] == .success, "nothing refused was applied")
            let done = try await post("csrf=\(token)&action=failed&ids=\(b)&confirm=yes", updater)
            #expect(done.status == 303)
            #expect(try await api.states(factory.datasetID) == ["A": .success, "B": .failed, "C": .waiting])
        }
    }

    /// Every form action under every single-role account: 403 exactly where the account lacks the
    /// role of the API operation the action performs (`docs/api.md` §3), the confirmation page
    /// (200) where it has it. Unconfirmed, so nothing changes between the cases.
    @Test func eachRoleMayAskForExactlyTheActionsOfItsRole() async throws {
        try await withFletcher { api in
            var factory = try await seeded(api)
            let dataset = factory.datasetID.lowercasedString
            let b = factory.id("B").lowercasedString
            let needs: [String: String] = [
                "clear": "updater", "trigger": "updater", "running": "updater", "success": "updater",
                "failed": "updater", "disable": "disabler", "pause": "pauser", "unpause": "pauser",
            ]
            for service in ["publisher", "pauser", "updater", "disabler"] {
                let cookie = try await api.logInThroughTheForm(service)
                let page = try await api.call("GET", "/plan/\(dataset)", headers: [("Cookie", cookie)]).text
                let token = try #require(webCSRF(page))
                for (action, owner) in needs.sorted(by: { $0.key < $1.key }) {
                    let reply = try await api.call(
                        "POST", "/plan/\(dataset)/manage", body: "csrf=\(token)&action=\(action)&ids=\(b)",
                        contentType: "application/x-www-form-urlencoded", headers: [("Cookie", cookie)])
                    let expected = service == owner ? 200 : 403
                    #expect(reply.status == expected, "\(service) asking to \(action): \(reply.status)")
                }
            }
            #expect(try await api.states(factory.datasetID).values.allSatisfy { $0 == .success }, "nothing changed")
        }
    }

    @Test func pauseDisableAndRefusalsFromTheCore() async throws {
        try await withFletcher { api in
            var factory = try await seeded(api)
            let dataset = factory.datasetID.lowercasedString
            let admin = try await api.logInThroughTheForm("admin")
            let token = try #require(
                webCSRF(try await api.call("GET", "/plan/\(dataset)", headers: [("Cookie", admin)]).text))
            let post = { (body: String) in
                try await api.call(
                    "POST", "/plan/\(dataset)/manage", body: "csrf=\(token)&confirm=yes&" + body,
                    contentType: "application/x-www-form-urlencoded", headers: [("Cookie", admin)])
            }
            #expect(try await post("action=pause").status == 303)
            #expect(try await api.plan(factory.datasetID).dataset.paused)
            let again = try await post("action=pause")
            #expect(again.status == 400 && again.text.contains("pause state is already set"))
            let both = ["B", "C"].map { "ids=\(factory.id($0).lowercasedString)" }.joined(separator: "&")
            #expect(try await post("action=disable&\(both)").status == 303, "several products at once")
            #expect(try await api.states(factory.datasetID) == ["A": .success, "B": .disabled, "C": .disabled])
            let trigger = try await post("action=trigger&ids=\(factory.id("A").lowercasedString)")
            #expect(trigger.status == 409, "the core's refusal is shown with its status")
            let locked = try await post("action=clear&ids=\(factory.id("B").lowercasedString)")
            #expect(locked.status == 403 && locked.text.contains("Data product is locked"))
            #expect(try await post("action=clear").status == 400, "nothing selected")
        }
    }
}
