import FletcherCore
import FletcherTestSupport
import Foundation
import Testing

@testable import FletcherServer

/// Who may call what, declared once in `openapi.yaml` (`x-fletcher-role`, or `x-fletcher-public`
/// for a call that authenticates itself) and enforced from there. An operation that changes state
/// without a declaration stops the server at start: authorization fails closed.
@Suite("Access rules from the OpenAPI document")
struct AccessTests {
    private func bundledSource() throws -> String {
        let url = try #require(OpenAPIDocument.bundledURL)
        return try String(contentsOf: url, encoding: .utf8)
    }

    @Test func everyOperationOfTheDocumentHasAnAccessRule() throws {
        let document = try OpenAPIDocument.parse(try bundledSource(), baseURL: "http://x", computes: ["cams"])
        let known: Set = ["authenticate", "postPlan", "getPlan", "searchPlans", "updateStates", "disableProducts"]
        #expect(known.isSubset(of: document.access.operations.keys), "\(document.access.operations.keys.sorted())")
        for (operationID, operation) in document.access.operations {
            switch operation.access {
            case .role:
                #expect(operation.method != "GET", "\(operationID): a read needs no role")
            case .public:
                #expect(
                    operation.method == "GET" || ["authenticate", "platformCallback"].contains(operationID),
                    "\(operationID) changes state without a role")
            }
        }
    }

    @Test func aMutationWithoutADeclaredRoleStopsTheStart() throws {
        let source = try bundledSource()
        let stripped = source.replacingOccurrences(of: "      x-fletcher-role: disable\n", with: "")
        #expect(stripped != source)
        #expect {
            try OpenAPIDocument.parse(stripped, baseURL: "http://x", computes: [])
        } throws: { error in
            "\(error)".contains("disableProducts") && "\(error)".contains("x-fletcher-role")
        }
        let unknown = source.replacingOccurrences(of: "x-fletcher-role: publish", with: "x-fletcher-role: publsh")
        #expect {
            try OpenAPIDocument.parse(unknown, baseURL: "http://x", computes: [])
        } throws: { error in
            "\(error)".contains("postPlan") && "\(error)".contains("publsh")
        }
    }

    /// Each single-role account may call exactly the mutations of its role: 403 for the others,
    /// past authorization (whatever the body then earns) for its own.
    @Test func eachRoleGrantsItsOwnMutationsAndNoOthers() async throws {
        try await withFletcher { api in
            let dataset = UUID().lowercasedString
            let mutations = everyMutation(dataset)
            for (service, role) in [
                ("publisher", Role.publish), ("pauser", .pause), ("updater", .update), ("disabler", .disable),
            ] {
                let token = try await api.token(service)
                for (method, path, body, needed) in mutations {
                    let reply = try await api.call(method, path, body: body, token: token)
                    if needed == role {
                        #expect(
                            reply.status != 401 && reply.status != 403, "\(service) \(method) \(path): \(reply.text)")
                    } else {
                        #expect(reply.status == 403, "\(service) \(method) \(path): \(reply.status)")
                    }
                }
            }
        }
    }
}
