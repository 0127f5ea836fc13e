import FletcherCore
import HTTPTypes
import OpenAPIRuntime
import Synchronization

/// Answers with a whole plan from the plan cache's row encodings (`PlanJSON`), streamed in
/// pieces, instead of through the OpenAPI runtime's `JSONEncoder`, which costs O(plan) per answer
/// and dominated every answer about a big plan (`docs/architecture.md`, Plan cache).
///
/// The generated handlers must return a `Codable` body. A handler that answers with a plan offers
/// the plan's JSON here (`offer`) and, when it was taken, returns a placeholder the runtime
/// encodes; this middleware then replaces that body with the offered bytes. Without the middleware
/// `offer` declines and the handler returns the real plan: slower, never wrong.
struct PlanResponseMiddleware: ServerMiddleware {
    /// The size of the pieces a plan is written in.
    static let pieceSize = 64 * 1024

    final class Slot: Sendable {
        let json = Mutex<PlanJSON?>(nil)
    }

    @TaskLocal static var slot: Slot?

    /// Takes `json` as the answer of the current request, if this middleware is serving it.
    static func offer(_ json: PlanJSON) -> Bool {
        guard let slot else { return false }
        slot.json.withLock { $0 = json }
        return true
    }

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        let slot = Slot()
        var (response, encoded) = try await Self.$slot.withValue(slot) { try await next(request, body, metadata) }
        guard let json = slot.json.withLock({ $0 }) else { return (response, encoded) }
        // The runtime stated the placeholder's length.
        response.headerFields[.contentLength] = String(json.count)
        return (response, Self.body(json))
    }

    static func body(_ json: PlanJSON) -> HTTPBody {
        HTTPBody(
            Pieces(json.chunks(of: pieceSize)), length: .known(Int64(json.count)), iterationBehavior: .multiple)
    }

    /// The pieces as the async sequence `HTTPBody` takes; each is produced when the writer asks.
    struct Pieces: AsyncSequence, Sendable {
        typealias Element = HTTPBody.ByteChunk
        let chunks: PlanJSON.Chunks

        init(_ chunks: PlanJSON.Chunks) { self.chunks = chunks }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: chunks.makeIterator()) }

        struct AsyncIterator: AsyncIteratorProtocol {
            var base: PlanJSON.Iterator
            mutating func next() async -> HTTPBody.ByteChunk? { base.next().map { $0[...] } }
        }
    }
}
