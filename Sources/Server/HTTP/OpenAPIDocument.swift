import Foundation
import Yams

/// The API's OpenAPI document: the same `openapi.yaml` the generator compiled the handlers from,
/// served as `/spec` (JSON) and `/spec.yaml`, and read for the routing facts the middlewares need.
struct OpenAPIDocument: Sendable {
    let yaml: String
    let json: Data
    let routes: RouteTable
    /// Who may call each operation, as the document declares it.
    let access: AccessRules

    static var bundledURL: URL? { Bundle.module.url(forResource: "openapi", withExtension: "yaml") }

    /// Loads the bundled document, pointing its `servers` entry at `baseURL` and listing the
    /// registered platforms' names as the `compute` enum (the file itself only gives their form).
    static func load(baseURL: String, computes: [String]) throws -> OpenAPIDocument {
        guard let url = bundledURL else {
            throw ConfigurationError("openapi.yaml is missing from the server's resources")
        }
        return try parse(try String(contentsOf: url, encoding: .utf8), baseURL: baseURL, computes: computes)
    }

    static func parse(_ source: String, baseURL: String, computes: [String]) throws -> OpenAPIDocument {
        guard var document = try Yams.load(yaml: source) as? [String: Any] else {
            throw ConfigurationError("openapi.yaml is not a YAML mapping")
        }
        document["servers"] = [["url": baseURL]]
        document["paths"] = servedOperations(document["paths"])
        if var components = document["components"] as? [String: Any],
            var schemas = components["schemas"] as? [String: Any], var compute = schemas["Compute"] as? [String: Any]
        {
            compute["enum"] = computes
            schemas["Compute"] = compute
            components["schemas"] = schemas
            document["components"] = components
        }
        let yaml = try Yams.dump(object: document, sortKeys: true)
        let json = try JSONSerialization.data(
            withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])
        return OpenAPIDocument(
            yaml: yaml, json: json, routes: RouteTable(document: document), access: try AccessRules(document: document))
    }
}

/// Says in each operation's description which role it needs, from its `x-fletcher-role`, so
/// the served document states the rule the server enforces without a second copy of it; and marks
/// each `x-fletcher-alias` (an older spelling of a path) deprecated. The file leaves `deprecated`
/// out because the generator would mark the handler methods deprecated and then call them itself,
/// a warning on every build.
private func servedOperations(_ paths: Any?) -> Any? {
    guard var paths = paths as? [String: [String: Any]] else { return paths }
    for (path, methods) in paths {
        var methods = methods
        for (method, value) in methods {
            guard var operation = value as? [String: Any] else { continue }
            if let role = operation["x-fletcher-role"] as? String {
                let note = "Needs a bearer token of a service with the role `\(role)`."
                operation["description"] = [operation["description"] as? String, note].compactMap { $0 }.joined(
                    separator: "\n\n")
            }
            if operation["x-fletcher-alias"] as? Bool == true { operation["deprecated"] = true }
            methods[method] = operation
        }
        paths[path] = methods
    }
    return paths
}

/// The paths and methods of the document, to tell 405 from 404 and to name bad query parameters.
struct RouteTable: Sendable {
    struct Route: Sendable {
        let template: [String]
        let methods: Set<String>
    }

    struct QueryParameter: Sendable {
        let name: String
        let required: Bool
        let isInteger: Bool
        /// The values an enumerated parameter takes (its schema's `enum`, through a `$ref`).
        let allowed: [String]?
    }

    let routes: [Route]
    /// The operations whose request body the document marks required, by operation id.
    let requiredBodies: Set<String>
    /// Each operation's query parameters, by operation id (operations without any are absent).
    let queryParameters: [String: [QueryParameter]]

    /// The keys of a path item that hold operations.
    static let methods: Set<String> = ["get", "put", "post", "delete", "patch"]

    init(document: [String: Any]) {
        let paths = document["paths"] as? [String: [String: Any]] ?? [:]
        let schemas = (document["components"] as? [String: Any])?["schemas"] as? [String: Any] ?? [:]
        func resolved(_ schema: [String: Any]?) -> [String: Any]? {
            guard let reference = schema?["$ref"] as? String else { return schema }
            return schemas[String(reference.split(separator: "/").last ?? "")] as? [String: Any]
        }
        let operations = paths.values.flatMap { item in
            item.compactMap { method, value in Self.methods.contains(method) ? value as? [String: Any] : nil }
        }
        requiredBodies = Set(
            operations.compactMap { operation in
                guard (operation["requestBody"] as? [String: Any])?["required"] as? Bool == true else { return nil }
                return operation["operationId"] as? String
            })
        var queryParameters: [String: [QueryParameter]] = [:]
        for operation in operations {
            guard let id = operation["operationId"] as? String else { continue }
            let query = (operation["parameters"] as? [[String: Any]] ?? [])
                .filter { ($0["in"] as? String) == "query" }
                .compactMap { parameter -> QueryParameter? in
                    guard let name = parameter["name"] as? String else { return nil }
                    let schema = resolved(parameter["schema"] as? [String: Any])
                    return QueryParameter(
                        name: name, required: parameter["required"] as? Bool ?? false,
                        isInteger: schema?["type"] as? String == "integer", allowed: schema?["enum"] as? [String])
                }
            if !query.isEmpty { queryParameters[id] = query }
        }
        self.queryParameters = queryParameters
        routes = paths.map { path, operations in
            Route(
                template: path.split(separator: "/").map(String.init),
                methods: Set(operations.keys.filter(Self.methods.contains).map { $0.uppercased() }))
        }
    }

    func route(for path: String) -> Route? {
        let segments = path.split(separator: "/").map(String.init)
        // Literal segments win over parameters, as in the router (`/api/plan/search` vs `/api/plan/{id}`).
        return routes.filter { matches($0.template, segments) }
            .max { literalCount($0.template) < literalCount($1.template) }
    }

    /// The methods the document defines for `path`, sorted: those of the template the router
    /// picks (the most literal one; it does not fall back to another for a missing method).
    func methods(for path: String) -> [String] {
        route(for: path)?.methods.sorted() ?? []
    }

    private func matches(_ template: [String], _ segments: [String]) -> Bool {
        template.count == segments.count
            && zip(template, segments).allSatisfy { pattern, segment in pattern.hasPrefix("{") || pattern == segment }
    }

    private func literalCount(_ template: [String]) -> Int { template.filter { !$0.hasPrefix("{") }.count }
}
