import FletcherCore
import HTTPTypes
import OpenAPIRuntime
import Synchronization

/// Answers about a plan with JSON Fletcher writes itself instead of through the OpenAPI runtime's
/// `JSONEncoder`: a whole plan from the plan cache's row encodings (`PlanJSON`), streamed in
/// pieces, and a `Prefer: return=minimal` answer from `JSONWriter`. The encoder costs O(plan) per
/// whole-plan answer, which dominated every answer about a big plan, and was a tenth of the
/// server's CPU time on a small update (`docs/architecture.md`, Plan cache).
///
/// The generated handlers must return a `Codable` body. A handler offers its answer here
/// (`offer`) and, when it was taken, returns a placeholder the runtime encodes; this middleware
/// then replaces that body with the offered bytes. Without the middleware `offer` declines and the
/// handler returns the real value: slower, never wrong.
struct PlanResponseMiddleware: ServerMiddleware {
    /// The size of the pieces a plan is written in.
    static let pieceSize = 64 * 1024

    enum Answer: Sendable {
        case plan(PlanJSON)
        case written([UInt8])
    }

    final class Slot: Sendable {
        let answer = Mutex<Answer?>(nil)
    }

    @TaskLocal static var slot: Slot?

    /// Takes `json` as the answer of the current request, if this middleware is serving it.
    static func offer(_ json: PlanJSON) -> Bool {
        offer(.plan(json))
    }

    /// Takes the minimal answer to a command, if this middleware is serving the request.
    static func offer(version: Int64, changes: [DataProduct]) -> Bool {
        guard slot != nil else { return false }
        return offer(.written(MutationBody.minimalJSON(version: version, changes: changes)))
    }

    private static func offer(_ answer: Answer) -> Bool {
        guard let slot else { return false }
        slot.answer.withLock { $0 = answer }
        return true
    }

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        let slot = Slot()
        var (response, encoded) = try await Self.$slot.withValue(slot) { try await next(request, body, metadata) }
        let answer = slot.answer.withLock { $0 }
        // The runtime stated the placeholder's length.
        switch answer {
        case nil:
            return (response, encoded)
        case .plan(let json):
            response.headerFields[.contentLength] = String(json.count)
            return (response, Self.body(json))
        case .written(let bytes):
            response.headerFields[.contentLength] = String(bytes.count)
            return (response, HTTPBody(bytes))
        }
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
