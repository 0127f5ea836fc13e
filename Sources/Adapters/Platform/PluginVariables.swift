import FletcherCore
import Foundation

/// The environment as one plugin reads it: its variables by suffix (`TOKEN` is `NOMAD_TOKEN` for a
/// plugin named `nomad`), with the checks most plugins need. Errors name the variable.
public struct PluginVariables: Sendable {
    public let compute: Compute
    private let values: [String: String]

    public init(compute: Compute, values: [String: String]) {
        self.compute = compute
        self.values = values
    }

    /// The name in capitals (`NOMAD` for `nomad`): the prefix of every variable of the plugin.
    public var prefix: String { compute.rawValue.uppercased() }

    public func name(_ suffix: String) -> String { "\(prefix)_\(suffix)" }

    /// The value of `<COMPUTE>_<suffix>`; an empty value counts as unset.
    public subscript(_ suffix: String) -> String? {
        values[name(suffix)].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Two variables that make sense only together: both or neither.
    public func pair(_ first: String, _ second: String) throws(PluginConfigurationError) -> (String, String)? {
        switch (self[first], self[second]) {
        case (let a?, let b?): return (a, b)
        case (nil, nil): return nil
        default: throw PluginConfigurationError("\(name(first)) and \(name(second)) must be set together")
        }
    }

    /// A file the plugin will read: its path, checked readable now.
    public func readableFile(_ suffix: String) throws(PluginConfigurationError) -> String? {
        guard let path = self[suffix] else { return nil }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw PluginConfigurationError("\(name(suffix)): cannot read the file \(path)")
        }
        return path
    }

    /// An absolute http(s) URL.
    public func url(_ suffix: String) throws(PluginConfigurationError) -> String? {
        guard let text = self[suffix] else { return nil }
        guard let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
            url.host?.isEmpty == false
        else { throw PluginConfigurationError("\(name(suffix)) '\(text)' must be an absolute http(s) URL") }
        return text
    }
}

/// A plugin's configuration mistake: one line that names the variable (or option).
public struct PluginConfigurationError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
