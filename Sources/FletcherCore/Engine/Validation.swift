import Foundation

/// Value checks upstream lacked (`docs/concepts.md` §5). Each failure names the offending field.
public enum Validation {
    public static let maxStringLength = 1_000
    public static let maxLinkLength = 4_096

    public static func check(_ param: PlanParam, platforms: PlatformCatalog) throws(CommandError) {
        for (index, product) in param.dataProducts.enumerated() {
            let field = "data_products[\(index)]"
            try platforms.check(product, field: field)
            try checkText(product.name, field: "\(field).name")
            try checkText(product.version, field: "\(field).version")
        }
    }

    /// `docs/concepts.md` §3.3 step 1 (a state clients may not set rejects the whole request), then the link checks.
    public static func check(_ updates: [StateParam]) throws(CommandError) {
        for entry in updates where [.waiting, .queued, .disabled].contains(entry.state) {
            throw .invalidRequestedState(entry.id, entry.state)
        }
        for (index, entry) in updates.enumerated() {
            if let link = entry.link { try checkLink(link, field: "[\(index)].link") }
        }
    }

    static func checkText(_ value: String, field: String) throws(CommandError) {
        if value.isEmpty { throw .invalidValue(field, "must not be empty") }
        if value.count > maxStringLength {
            throw .invalidValue(field, "must be at most \(maxStringLength) characters, got \(value.count)")
        }
    }

    /// A link is shown to operators as a clickable URL, so only absolute http(s) URLs are accepted.
    static func checkLink(_ value: String, field: String) throws(CommandError) {
        if value.count > maxLinkLength {
            throw .invalidValue(field, "must be at most \(maxLinkLength) characters, got \(value.count)")
        }
        guard let url = URL(string: value), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty
        else {
            throw .invalidValue(field, "must be an absolute http(s) URL")
        }
    }
}
