import FletcherCore
import FletcherPlatform
import Foundation
import Synchronization

/// The plugin's own variables (generic ones such as `KUBERNETES_POLL_SECONDS` are read by shared
/// code). `KUBERNETES_URL=in-cluster` means the API server of the pod Fletcher runs in, with the
/// pod's service-account token, CA and namespace.
struct KubernetesSettings: Sendable {
    var url: String
    var caFile: String?
    var token: TokenSource?
    var namespace: String
    var linkTemplate: String?
    var ttlSeconds: Int

    static let serviceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// Nil in external mode (`KUBERNETES_URL` unset); every variable is checked either way.
    static func read(_ variables: PluginVariables) throws(PluginConfigurationError) -> KubernetesSettings? {
        if variables["TOKEN"] != nil, variables["TOKEN_FILE"] != nil {
            throw PluginConfigurationError(
                "\(variables.name("TOKEN")) and \(variables.name("TOKEN_FILE")) are both set: set one of them")
        }
        var token: TokenSource?
        if let fixed = variables["TOKEN"] {
            token = .fixed(fixed)
        } else if let file = try variables.readableFile("TOKEN_FILE") {
            token = .file(file)
        }
        var namespace: String?
        if let name = variables["NAMESPACE"] { namespace = try dnsLabel(name, variables.name("NAMESPACE")) }
        var ttl = 86_400
        if let text = variables["TTL_SECONDS"] {
            guard let seconds = Int(text), seconds >= 0 else {
                throw PluginConfigurationError(
                    "\(variables.name("TTL_SECONDS")) must be a whole number of seconds, got '\(text)'")
            }
            ttl = seconds
        }
        let linkTemplate = variables["LINK_TEMPLATE"]
        guard let base = variables["URL"] else { return nil }
        var url = base
        var caFile: String?
        if base == "in-cluster" {
            let directory = variables["SERVICE_ACCOUNT_DIR"] ?? serviceAccountDirectory
            guard let host = variables["SERVICE_HOST"], let port = variables["SERVICE_PORT"] else {
                throw PluginConfigurationError(
                    "\(variables.name("URL")) is in-cluster, but \(variables.name("SERVICE_HOST")) and "
                        + "\(variables.name("SERVICE_PORT")) are not both set: is Fletcher running in a pod?")
            }
            url = host.contains(":") ? "https://[\(host)]:\(port)" : "https://\(host):\(port)"
            caFile = try readable("\(directory)/ca.crt", for: variables.name("URL"))
            if token == nil { token = .file(try readable("\(directory)/token", for: variables.name("URL"))) }
            if namespace == nil {
                let file = try readable("\(directory)/namespace", for: variables.name("URL"))
                let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
                namespace = try dnsLabel(text.trimmingCharacters(in: .whitespacesAndNewlines), file)
            }
        } else {
            url = try variables.url("URL") ?? base
        }
        return KubernetesSettings(
            url: url, caFile: caFile, token: token, namespace: namespace ?? "default", linkTemplate: linkTemplate,
            ttlSeconds: ttl)
    }

    private static func readable(_ path: String, for variable: String) throws(PluginConfigurationError) -> String {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw PluginConfigurationError("\(variable) is in-cluster, but \(path) cannot be read")
        }
        return path
    }

    /// A Kubernetes DNS label (RFC 1123): namespaces must be one.
    static func isDNSLabel(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...63).contains(bytes.count), bytes.first != UInt8(ascii: "-"), bytes.last != UInt8(ascii: "-")
        else { return false }
        return bytes.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "-")
        }
    }

    private static func dnsLabel(_ name: String, _ source: String) throws(PluginConfigurationError) -> String {
        guard isDNSLabel(name) else {
            throw PluginConfigurationError(
                "\(source) '\(name)' must be a DNS label: at most 63 lowercase letters, digits and '-', "
                    + "starting and ending with a letter or digit")
        }
        return name
    }

    /// The run page of a Job, from `KUBERNETES_LINK_TEMPLATE`.
    func link(namespace: String, name: String) -> String? {
        linkTemplate.map {
            $0.replacingOccurrences(of: "{namespace}", with: namespace).replacingOccurrences(of: "{name}", with: name)
        }
    }
}

/// The bearer token: fixed, or a file re-read whenever it changes (projected service-account
/// tokens are rotated by the kubelet).
final class TokenSource: Sendable {
    private let path: String?
    private let cached: Mutex<(stamp: [String]?, token: String?)>

    static func fixed(_ token: String) -> TokenSource { TokenSource(path: nil, token: token) }
    static func file(_ path: String) -> TokenSource { TokenSource(path: path, token: nil) }

    private init(path: String?, token: String?) {
        self.path = path
        self.cached = Mutex((nil, token))
    }

    /// The token now: a file's contents are read again when its modification time or size changed.
    var current: String? {
        guard let path else { return cached.withLock { $0.token } }
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let stamp = [attributes?[.modificationDate], attributes?[.size]].map { "\($0 ?? "none")" }
        return cached.withLock { cached in
            if cached.stamp != stamp || cached.token == nil {
                if let text = try? String(contentsOfFile: path, encoding: .utf8) {
                    cached.token = text.trimmingCharacters(in: .whitespacesAndNewlines)
                    cached.stamp = stamp
                }
            }
            return cached.token
        }
    }
}
