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

    /// Lengths count Unicode code points, as JSON Schema's `maxLength` does in the API document.
    static func checkText(_ value: String, field: String) throws(CommandError) {
        let length = value.unicodeScalars.count
        if length == 0 { throw .invalidValue(field, "must not be empty") }
        if length > maxStringLength {
            throw .invalidValue(field, "must be at most \(maxStringLength) characters, got \(length)")
        }
    }

    /// A link is shown to operators as a clickable URL, so only absolute http(s) URLs are accepted:
    /// the scheme, `://`, a host, and no whitespace or control characters anywhere (the `pattern`
    /// of `link` in the API document says the same).
    static func checkLink(_ value: String, field: String) throws(CommandError) {
        let scalars = value.unicodeScalars
        if scalars.count > maxLinkLength {
            throw .invalidValue(field, "must be at most \(maxLinkLength) characters, got \(scalars.count)")
        }
        let rest = ["http://", "https://"].lazy.compactMap { scheme in
            value.utf8.count >= scheme.utf8.count && value.prefix(scheme.count).lowercased() == scheme
                ? value.dropFirst(scheme.count) : nil
        }.first
        guard let rest, !rest.prefix(while: { !"/?#".contains($0) }).isEmpty,
            scalars.allSatisfy({ !$0.properties.isWhitespace && !isControl($0) })
        else {
            throw .invalidValue(field, "must be an absolute http(s) URL")
        }
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}
