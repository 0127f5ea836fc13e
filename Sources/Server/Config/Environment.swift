import Foundation

/// Configuration variables: the process environment over a `.env` file (`docs/api.md` §4).
public struct Environment: Sendable {
    public private(set) var values: [String: String]

    public init(_ values: [String: String]) { self.values = values }

    /// The process environment, with the variables of `envFile` (default `.env` in the working
    /// directory, if present) underneath: a variable set in the real environment wins.
    public static func load(envFile: String?) throws(ConfigurationError) -> Environment {
        var values: [String: String] = [:]
        let path = envFile ?? ".env"
        if FileManager.default.fileExists(atPath: path) {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ConfigurationError("cannot read the environment file \(path)")
            }
            values = try parse(text, file: path)
        } else if envFile != nil {
            throw ConfigurationError("the environment file \(path) does not exist")
        }
        values.merge(ProcessInfo.processInfo.environment) { _, real in real }
        return Environment(values)
    }

    public subscript(_ key: String) -> String? {
        values[key].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// `KEY=value` lines; `#` comments, blank lines, an `export ` prefix, and single or double
    /// quotes around a value are understood, as in the `.env` files other tools read.
    static func parse(_ text: String, file: String) throws(ConfigurationError) -> [String: String] {
        var values: [String: String] = [:]
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst("export ".count)) }
            guard let equals = line.firstIndex(of: "=") else {
                throw ConfigurationError("\(file):\(number + 1): expected KEY=value")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            values[key] = value
        }
        return values
    }
}
