import Dispatch
import FletcherCore
import Foundation
import HummingbirdBcrypt
import JWTKit
import Synchronization

/// Issues and checks bearer tokens (`docs/api.md` §3): services log in with their key, receive a JWT
/// (HS256, one hour), and every protected call is checked against the roles the service has in
/// the current configuration, not the ones in the token.
final class Authenticator: Sendable {
    static let issuer = "Fletcher"
    static let tokenLifetime: Int64 = 3600
    static let invalidLogin = "Attempting to log in with an invalid service or key"

    private let accounts: [String: ServiceAccount]
    private let keys: JWTKeyCollection
    /// bcrypt is slow by design: it runs here, never on a request's event loop or the shared pool.
    private let hashing = DispatchQueue(label: "fletcher.bcrypt")
    /// Verified against when the service is unknown, so both failures take the same time.
    private let decoyHash: String
    /// Tokens ended by a logout before they expire.
    let revocations: TokenRevocations
    /// Tokens whose signature and claims verified: the service each names and when it expires.
    private let verified = Mutex<[String: (service: String, expiry: Date)]>([:])
    static let verifiedLimit = 10_000

    init(services: [ServiceAccount], secret: [UInt8], revocations: TokenRevocations) async {
        self.revocations = revocations
        accounts = Dictionary(services.map { ($0.service, $0) }, uniquingKeysWith: { first, _ in first })
        keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        decoyHash = services.first?.hash ?? Bcrypt.hash("decoy", cost: 4)
    }

    /// `POST /api/authenticate`: the same 401 for an unknown service and a wrong key.
    func logIn(service: String, key: String, now: Date = Date()) async throws -> Components.Schemas.Authenticated {
        let account = accounts[service]
        let hash = account?.hash ?? decoyHash
        let matches = await withCheckedContinuation { continuation in
            hashing.async { continuation.resume(returning: Bcrypt.verify(key, hash: hash)) }
        }
        guard let account, matches else { throw APIError.unauthorized(Self.invalidLogin) }
        let issued = Int64(now.timeIntervalSince1970)
        let roles = account.roles.sorted()
        let claims = Claims(
            sub: SubjectClaim(value: service), iat: IssuedAtClaim(value: Date(timeIntervalSince1970: Double(issued))),
            exp: ExpirationClaim(value: Date(timeIntervalSince1970: Double(issued + Self.tokenLifetime))),
            iss: IssuerClaim(value: Self.issuer), jti: IDClaim(value: UUID().uuidString.lowercased()),
            roles: roles.map(\.rawValue))
        return Components.Schemas.Authenticated(
            accessToken: try await keys.sign(claims), tokenType: .bearer, issued: issued,
            expires: issued + Self.tokenLifetime, ttl: Int(Self.tokenLifetime), issuedBy: Self.issuer, service: service,
            roles: roles.map { Components.Schemas.Role(rawValue: $0.rawValue)! })
    }

    /// Who sent the request, from its `Authorization` header (nil when there is none).
    func identify(authorization: String?, now: Date = Date()) async -> Caller {
        guard let authorization else { return .anonymous }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            return .invalid("the Authorization header must be 'Bearer <token>'")
        }
        do {
            let token = String(parts[1].trimmingBlanks)
            let service = try await verifiedService(token, now: now)
            guard !revocations.isRevoked(token) else { return .invalid("the token was ended by a logout") }
            return .service(service)
        } catch let error as JWTError where error.errorType == .claimVerificationFailure {
            return .invalid("the token has expired or was not issued by Fletcher")
        } catch {
            return .invalid("the token is malformed or its signature does not verify")
        }
    }

    /// The service a token names once its signature and claims verify. A client sends the same
    /// token for its whole hour, so a verified one is remembered until it expires: the next request
    /// skips the signature check and the decoding of its claims.
    private func verifiedService(_ token: String, now: Date) async throws -> String {
        if let known = verified.withLock({ $0[token] }), known.expiry > now { return known.service }
        let claims = try await keys.verify(token, as: Claims.self)
        // Judged by `now`, as a remembered token is.
        guard claims.exp.value > now else {
            throw JWTError.claimVerificationFailure(failedClaim: claims.exp, reason: "expired")
        }
        verified.withLock { verified in
            // A bound against a flood of distinct valid tokens; starting over costs one check each.
            if verified.count >= Self.verifiedLimit { verified.removeAll(keepingCapacity: true) }
            verified[token] = (claims.sub.value, claims.exp.value)
        }
        return claims.sub.value
    }

    /// Ends a token before it expires (a logout), on every instance. A token that no longer
    /// verifies needs nothing.
    func revoke(_ token: String) async throws {
        guard let claims = try? await keys.verify(token, as: Claims.self) else { return }
        let expiry = Int64((claims.exp.value.timeIntervalSince1970 * 1_000_000).rounded(.up))
        try await revocations.revoke(token, until: Timestamp(microsecondsSinceEpoch: expiry))
    }

    /// The acting service's name when it may use `role`; 401 or 403 otherwise.
    func authorize(_ caller: Caller, for role: Role) throws(APIError) -> String {
        switch caller {
        case .anonymous:
            throw .unauthorized(
                "Authentication required: send 'Authorization: Bearer <token>' from POST /api/authenticate")
        case .invalid(let reason):
            throw .unauthorized("Invalid bearer token: \(reason)")
        case .service(let name):
            guard let account = accounts[name] else {
                throw .unauthorized("Service account '\(name)' is no longer configured")
            }
            guard account.roles.contains(role) else {
                throw .forbidden("Service account '\(name)' is missing the following role: '\(role.rawValue)'")
            }
            return name
        }
    }
}

/// The identity a request's token establishes.
enum Caller: Sendable, Equatable {
    case anonymous
    case invalid(String)
    case service(String)

    /// Set for the duration of each API request by `AuthenticationMiddleware`.
    @TaskLocal static var current: Caller = .anonymous
}

struct Claims: JWTPayload {
    var sub: SubjectClaim
    var iat: IssuedAtClaim
    var exp: ExpirationClaim
    var iss: IssuerClaim
    /// Unique per token, so two logins in the same second get different tokens and a logout ends
    /// only its own. Absent from tokens issued before it was added.
    var jti: IDClaim?
    var roles: [String]

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
        guard iss.value == Authenticator.issuer else {
            throw JWTError.claimVerificationFailure(failedClaim: iss, reason: "not issued by Fletcher")
        }
    }
}
