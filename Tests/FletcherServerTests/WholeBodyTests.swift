import HTTPTypes
import Hummingbird
import Logging
import Testing

@testable import FletcherServer

/// `WholeBodyMiddleware`: a small answer of known length leaves as one buffer, so the connection
/// writes it with its head in one `write`; anything else keeps its pieces.
@Suite("Answers gathered into one buffer")
struct WholeBodyTests {
    @Test func aSmallAnswerInPiecesIsWrittenAsOne() async throws {
        let pieces = try await written(answer(["{\"changes\":[],", "\"version\":", "7}"], lengthKnown: true))
        #expect(pieces == ["{\"changes\":[],\"version\":7}"])
    }

    @Test func anAnswerOverTheLimitKeepsItsPieces() async throws {
        let half = String(repeating: "x", count: WholeBodyMiddleware<TestContext>.limit / 2 + 1)
        let pieces = try await written(answer([half, half], lengthKnown: true))
        #expect(pieces == [half, half])
    }

    @Test func anAnswerOfUnknownLengthKeepsItsPieces() async throws {
        let pieces = try await written(answer(["data: a\n\n", "data: b\n\n"], lengthKnown: false))
        #expect(pieces == ["data: a\n\n", "data: b\n\n"])
    }

    /// What a route answered, passed through the middleware.
    private func answer(_ pieces: [String], lengthKnown: Bool) async throws -> Response {
        let buffers = pieces.map { ByteBuffer(string: $0) }
        let length = lengthKnown ? buffers.map(\.readableBytes).reduce(0, +) : nil
        let request = Request(
            head: HTTPRequest(method: .get, scheme: "http", authority: "localhost", path: "/"),
            body: RequestBody(buffer: ByteBuffer()))
        let context = TestContext(source: TestSource(logger: Logger(label: "test")))
        return try await WholeBodyMiddleware<TestContext>().handle(request, context: context) { _, _ in
            Response(
                status: .ok,
                body: ResponseBody(contentLength: length) { writer in
                    for buffer in buffers { try await writer.write(buffer) }
                    try await writer.finish(nil)
                })
        }
    }

    /// The pieces the connection would be handed, one per write.
    private func written(_ response: Response) async throws -> [String] {
        let pieces = Pieces()
        try await response.body.write(PieceWriter(pieces: pieces))
        return pieces.list
    }
}

private struct TestSource: RequestContextSource {
    let logger: Logger
}

private struct TestContext: RequestContext {
    typealias Source = TestSource
    var coreContext: CoreRequestContextStorage
    init(source: TestSource) { coreContext = .init(source: source) }
}

private final class Pieces {
    var list: [String] = []
}

private struct PieceWriter: ResponseBodyWriter {
    let pieces: Pieces
    mutating func write(_ buffer: ByteBuffer) async throws { pieces.list.append(String(buffer: buffer)) }
    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
