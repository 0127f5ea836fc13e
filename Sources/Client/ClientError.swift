/// Why a command against a server did not succeed, with the exit status the CLI gives it
/// (`docs/operations.md`, "The command line as a client").
public enum ClientError: Error, Sendable, CustomStringConvertible {
    /// The server answered and refused: its problem's `detail` (or the status when it sent none).
    case refused(status: Int, detail: String)
    /// No answer: connection refused, DNS, TLS, timeout.
    case unreachable(String)
    /// The server answered something this client cannot read.
    case unreadable(String)

    public var description: String {
        switch self {
        case .refused(_, let detail): detail
        case .unreachable(let reason): "the server cannot be reached: \(reason)"
        case .unreadable(let reason): "the server's answer cannot be read: \(reason)"
        }
    }

    /// 1 for what the server refused or sent garbled, 3 when it could not be reached (2, bad
    /// usage, is the argument parser's).
    public var exitStatus: Int32 {
        switch self {
        case .refused, .unreadable: 1
        case .unreachable: 3
        }
    }
}
