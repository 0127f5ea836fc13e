import Foundation

/// Where Fletcher keeps its state: `DATABASE_URL` (`docs/api.md` §4).
public enum DatabaseURL: Hashable, Sendable {
    case sqlite(path: String)
    case postgres(String)

    public static let defaultValue = "sqlite:fletcher.sqlite"

    /// Accepts `sqlite:PATH`, `sqlite://PATH`, `sqlite::memory:`, `postgres://…`, `postgresql://…`
    /// and libpq `key=value` strings.
    public init(parsing text: String) throws(ConfigurationError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("sqlite:") {
            var path = String(trimmed.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path.removeFirst(2) }
            guard !path.isEmpty else {
                throw ConfigurationError("DATABASE_URL '\(text)' names no SQLite file (use sqlite:PATH)")
            }
            self = .sqlite(path: path)
        } else if trimmed.hasPrefix("postgres://") || trimmed.hasPrefix("postgresql://") || trimmed.contains("=") {
            self = .postgres(trimmed)
        } else {
            throw ConfigurationError(
                "DATABASE_URL '\(text)' is not understood: use sqlite:PATH, sqlite::memory:, "
                    + "postgres://… or a libpq key=value string")
        }
    }
}
