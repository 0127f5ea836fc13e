import FletcherCore
import Foundation

/// JSON pretty-printed as HTML with syntax colouring done on the server (`docs/ui.md`): every string
/// is escaped, so the result is safe to place in a page as is.
enum JSONHighlighter {
    static func html(_ value: JSONValue?) -> String {
        var out = ""
        write(value ?? .null, indent: 0, into: &out)
        return out
    }

    private static func write(_ value: JSONValue, indent: Int, into out: inout String) {
        let pad = String(repeating: "  ", count: indent + 1)
        let close = String(repeating: "  ", count: indent)
        switch value {
        case .null: out += #"<span class="j-lit">null</span>"#
        case .bool(let flag): out += #"<span class="j-lit">\#(flag)</span>"#
        case .int, .double: out += #"<span class="j-num">\#(value.jsonText)</span>"#
        case .string: out += #"<span class="j-str">\#(HTML.escape(value.jsonText))</span>"#
        case .array(let items):
            guard !items.isEmpty else { return out += "[]" }
            out += "[\n"
            for (index, item) in items.enumerated() {
                out += pad
                write(item, indent: indent + 1, into: &out)
                out += index < items.count - 1 ? ",\n" : "\n"
            }
            out += close + "]"
        case .object(let members):
            guard !members.isEmpty else { return out += "{}" }
            out += "{\n"
            let keys = members.keys.sorted()
            for (index, key) in keys.enumerated() {
                out += pad + #"<span class="j-key">\#(HTML.escape(JSONValue.string(key).jsonText))</span>: "#
                write(members[key]!, indent: indent + 1, into: &out)
                out += index < keys.count - 1 ? ",\n" : "\n"
            }
            out += close + "}"
        }
    }
}
