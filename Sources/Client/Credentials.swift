/// How the client proves who it is: a token it was given, or a service and key it logs in with.
public enum Credentials: Sendable, Hashable {
    case none
    case token(String)
    case login(service: String, key: String)
}
