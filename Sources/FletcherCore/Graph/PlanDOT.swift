import Foundation

/// The plan's DAG as Graphviz DOT (`docs/ui.md`, plan page): left to right, one box per product
/// labelled `name:version`, filled by state, disabled products dashed and faded, each node
/// linking to its product page. Every string from a client is escaped, so a name can neither end
/// its quoted string nor smuggle attributes or HTML labels into the picture.
public enum PlanDOT {
    /// Fill colours by state; dark text on all of them keeps WCAG AA contrast.
    public static func fill(_ state: State) -> String {
        switch state {
        case .success: "#4caf50"
        case .running: "#b9e4b0"
        case .waiting: "#eeeeee"
        case .queued: "#bdbdbd"
        case .failed: "#e57373"
        case .disabled: "#fafafa"
        }
    }

    public static func render(_ plan: Plan) -> String {
        let dataset = plan.dataset.id.lowercasedString
        var lines = [
            "digraph \"\(dataset)\" {",
            "  graph [rankdir=LR, bgcolor=\"transparent\", fontname=\"sans-serif\"];",
            "  node [shape=box, style=\"rounded,filled\", fontname=\"sans-serif\", fontsize=11, color=\"#424242\"];",
            "  edge [color=\"#757575\"];",
        ]
        for product in plan.dataProducts {
            let id = product.id.lowercasedString
            let label = quoted("\(product.name):\(product.version)")
            var attributes = [
                "id=\(quoted("product-\(id)"))", "label=\(label)",
                "tooltip=\(quoted("\(product.name): \(product.state.rawValue)"))",
                "fillcolor=\(quoted(fill(product.state)))", "URL=\(quoted("/plan/\(dataset)/\(id)"))",
                "class=\(quoted("state-\(product.state.rawValue)"))",
            ]
            if product.state == .disabled {
                attributes += ["style=\"rounded,filled,dashed\"", "fontcolor=\"#757575\"", "color=\"#9e9e9e\""]
            }
            lines.append("  \(quoted(id)) [\(attributes.joined(separator: ", "))];")
        }
        for dependency in plan.dependencies {
            lines.append(
                "  \(quoted(dependency.parentID.lowercasedString)) -> \(quoted(dependency.childID.lowercasedString));")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// A DOT double-quoted string: backslashes and quotes escaped, line breaks made visible as
    /// spaces (a DOT escape such as `\l` in a name must stay literal text).
    static func quoted(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n", "\r", "\r\n": escaped += " "
            default: escaped.append(character)
            }
        }
        return "\"" + escaped + "\""
    }
}
