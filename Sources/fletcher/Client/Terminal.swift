import FletcherCore
import Foundation

/// Output lines, flushed as they are written (a watcher's output is read as it comes).
enum Terminal {
    static let coloursStandardOutput =
        isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil

    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// The state's name in its ANSI colour.
    static func coloured(_ state: State) -> String {
        let code =
            switch state {
            case .success: "32"
            case .failed: "31"
            case .running: "34"
            case .queued: "33"
            case .waiting: "0"
            case .disabled: "2"
            }
        return "\u{1B}[\(code)m\(state.rawValue)\u{1B}[0m"
    }
}
