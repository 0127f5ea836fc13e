import Crypto
import FletcherPlatform
import Foundation
import HTTPTypes
import Hummingbird

/// Logging in through the browser (`docs/ui.md`, Login): the token `POST /api/authenticate` would
/// issue, kept in an HttpOnly, SameSite=Strict cookie (Secure under https), and a CSRF token for
/// every form, derived from the session with HMAC so nothing is stored on the server.
struct WebSession: Sendable {
    static let sessionCookie = "fletcher_session"
    /// Before login there is no session: the login form's CSRF token is a random cookie value.
    static let loginCookie = "fletcher_login"

    let authenticator: Authenticator
    let key: SymmetricKey
    let secure: Bool

    init(authenticator: Authenticator, secret: [UInt8], secure: Bool) {
        self.authenticator = authenticator
        self.key = SymmetricKey(data: SHA256.hash(data: secret + Array("fletcher-csrf".utf8)))
        self.secure = secure
    }

    /// The logged-in service of a request, with the CSRF token its forms must carry.
    struct User: Sendable {
        let service: String
        let token: String
        let csrf: String
    }

    func user(_ request: Request) async -> User? {
        guard let token = Self.cookie(Self.sessionCookie, in: request),
            case .service(let name) = await authenticator.identify(authorization: "Bearer \(token)")
        else { return nil }
        return User(service: name, token: token, csrf: csrf(for: token))
    }

    func csrf(for token: String) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: Array(token.utf8), using: key)).hex
    }

    /// Whether a submitted form's CSRF token is the one its session's forms carry.
    func accepts(_ submitted: String?, for user: User) -> Bool {
        guard let submitted else { return false }
        return WebhookSignature.constantTimeEqual(Array(submitted.utf8), Array(user.csrf.utf8))
    }

    func sessionCookie(_ token: String, maxAge: Int) -> String {
        cookie(Self.sessionCookie, token, maxAge: maxAge)
    }

    func cookie(_ name: String, _ value: String, maxAge: Int) -> String {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/", secure: secure, httpOnly: true, sameSite: .strict)
            .description
    }

    static func cookie(_ name: String, in request: Request) -> String? {
        request.cookies[name]?.value
    }
}

/// An `application/x-www-form-urlencoded` body: names may repeat (checkbox lists).
struct FormBody {
    private var fields: [(String, String)] = []

    init(_ text: String) {
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map {
                $0.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            fields.append((parts[0], parts.count > 1 ? parts[1] : ""))
        }
    }

    /// The form a request sends.
    init(_ request: Request, upTo limit: Int) async throws {
        self.init(String(buffer: try await request.body.collect(upTo: limit)))
    }

    subscript(_ name: String) -> String? { fields.first { $0.0 == name }?.1 }

    func all(_ name: String) -> [String] { fields.filter { $0.0 == name }.map(\.1) }
}
