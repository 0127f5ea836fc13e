import FletcherCore
import FletcherServer
import Foundation
import JWTKit
import Testing

@Suite("Authentication and roles (docs/api.md §3)")
struct AuthTests {
    @Test func loggingInReturnsATokenOfTheDocumentedShape() async throws {
        try await withFletcher { api in
            let before = Int64(Date().timeIntervalSince1970)
            let reply = try await api.call(
                "POST", "/api/authenticate", body: #"{"service": "pauser", "key": "resuap"}"#)
            #expect(reply.status == 200)
            let body = reply.object
            #expect(body["token_type"] as? String == "Bearer")
            #expect(body["ttl"] as? Int == 3600)
            #expect(body["issued_by"] as? String == "Fletcher")
            #expect(body["service"] as? String == "pauser")
            #expect(body["roles"] as? [String] == ["pause"])
            let issued = try #require(body["issued"] as? Int64)
            #expect(issued >= before && issued <= before + 5)
            #expect(body["expires"] as? Int64 == issued + 3600)
            let admin = try await api.call("POST", "/api/authenticate", body: #"{"service": "admin", "key": "nimda"}"#)
            #expect(admin.object["roles"] as? [String] == ["disable", "pause", "publish", "update"])
        }
    }

    @Test func aWrongKeyAndAnUnknownServiceGetTheSameAnswer() async throws {
        try await withFletcher { api in
            let wrongKey = try await api.call(
                "POST", "/api/authenticate", body: #"{"service": "admin", "key": "admin"}"#)
            let unknown = try await api.call("POST", "/api/authenticate", body: #"{"service": "nobody", "key": "x"}"#)
            for reply in [wrongKey, unknown] {
                #expect(reply.status == 401)
                #expect(reply.detail == "Attempting to log in with an invalid service or key")
                #expect(reply.header("Content-Type") == "application/problem+json")
            }
        }
    }

    @Test func malformedLoginsAreBadRequests() async throws {
        try await withFletcher { api in
            let missing = try await api.call("POST", "/api/authenticate", body: #"{"service": "admin"}"#)
            #expect(missing.status == 400 && missing.detail == "Missing required field 'key'")
            let notJSON = try await api.call("POST", "/api/authenticate", body: "service=admin")
            #expect(notJSON.status == 400)
            let noType = try await api.call(
                "POST", "/api/authenticate", body: #"{"service": "admin", "key": "nimda"}"#, contentType: nil)
            #expect(noType.status == 415)
        }
    }

    /// Every mutation, every alias: no token → 401 with a challenge; a token without the role → 403.
    @Test func everyMutationChecksTheRole() async throws {
        try await withFletcher { api in
            let reader = try await api.token("reader")
            let dataset = UUID().lowercasedString
            let mutations = everyMutation(dataset)
            for (method, path, body, role) in mutations {
                let anonymous = try await api.call(method, path, body: body)
                #expect(anonymous.status == 401, "\(method) \(path)")
                #expect(anonymous.header("WWW-Authenticate") == "Bearer", "\(method) \(path)")
                let forbidden = try await api.call(method, path, body: body, token: reader)
                #expect(forbidden.status == 403, "\(method) \(path)")
                #expect(
                    forbidden.detail == "Service account 'reader' is missing the following role: '\(role.rawValue)'")
            }
        }
    }

    @Test func badTokensAreUnauthorized() async throws {
        try await withFletcher { api in
            let path = "/api/plan/\(UUID().lowercasedString)/pause"
            let good = try await api.token("admin")
            var tampered = Array(good)
            tampered[tampered.count - 3] = tampered[tampered.count - 3] == "A" ? "B" : "A"
            let otherSecret = try await signedToken(secret: String(repeating: "x", count: 32), expiresIn: 3600)
            let expired = try await signedToken(secret: String(repeating: "s", count: 32), expiresIn: -60)
            for authorization in [
                "Bearer", "Basic YWRtaW46bmltZGE=", "Bearer not.a.jwt", "Bearer \(String(tampered))",
                "Bearer \(otherSecret)", "Bearer \(expired)",
            ] {
                let reply = try await api.call("PUT", path, headers: [("Authorization", authorization)])
                #expect(reply.status == 401, "\(authorization)")
                #expect(reply.header("WWW-Authenticate") == "Bearer")
                #expect(reply.detail?.hasPrefix("Invalid bearer token") == true, "\(reply.detail ?? "")")
            }
            // The valid token gets past authentication (the dataset does not exist).
            #expect(try await api.call("PUT", path, token: good).status == 404)
        }
    }

    /// Roles come from the current configuration, not the token: a service removed from
    /// REMOTE_APIS is refused even with a token that has not expired.
    @Test func aServiceNoLongerConfiguredIsRefused() async throws {
        let token = try await withFletcher { api in try await api.token("pauser") }
        let remaining = TestServices.accounts.filter { $0.service != "pauser" }
        try await withFletcher(services: remaining) { api in
            let reply = try await api.call("PUT", "/api/plan/\(UUID().lowercasedString)/pause", token: token)
            #expect(reply.status == 401)
            #expect(reply.detail == "Service account 'pauser' is no longer configured")
        }
    }

    /// A token for `admin`, signed by `secret`, the way another issuer might make one.
    private func signedToken(secret: String, expiresIn seconds: Double) async throws -> String {
        struct Payload: JWTPayload {
            var sub: SubjectClaim
            var iat: IssuedAtClaim
            var exp: ExpirationClaim
            var iss: IssuerClaim
            var roles: [String]
            func verify(using algorithm: some JWTAlgorithm) async throws {}
        }
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        return try await keys.sign(
            Payload(
                sub: "admin", iat: IssuedAtClaim(value: Date()), exp: ExpirationClaim(value: Date() + seconds),
                iss: "Fletcher", roles: ["publish", "pause", "update", "disable"]))
    }
}
