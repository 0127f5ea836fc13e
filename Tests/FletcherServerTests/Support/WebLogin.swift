import FletcherTestSupport
import Foundation
import Testing

extension API {
    /// Logs in through the login form, as a browser would; returns the session cookie
    /// (`fletcher_session=…`).
    func logInThroughTheForm(_ service: String) async throws -> String {
        let form = try await call("GET", "/login", headers: [("Accept", "text/html")])
        let nonceCookie = try #require(form.header("Set-Cookie")?.split(separator: ";").first.map(String.init))
        let nonce = String(nonceCookie.split(separator: "=")[1])
        #expect(
            form.text.contains(#"<label for="service">Service</label>"#)
                && form.text.contains(#"<label for="key">Key</label>"#))
        let reply = try await call(
            "POST", "/login", body: "csrf=\(nonce)&service=\(service)&key=\(TestServices.key(service))",
            contentType: "application/x-www-form-urlencoded", headers: [("Cookie", nonceCookie)])
        #expect(reply.status == 303, "\(reply.text)")
        let cookie = try #require(reply.header("Set-Cookie"))
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && !cookie.contains("Secure"))
        return String(cookie.split(separator: ";")[0])
    }
}

/// The CSRF token a logged-in page's forms carry.
func webCSRF(_ page: String) -> String? {
    page.firstMatch(of: /name="csrf" value="([0-9a-f]+)"/).map { String($0.1) }
}
