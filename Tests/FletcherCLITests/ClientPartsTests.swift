import FletcherClient
import Testing

@Suite("Client parts: events parser and tables")
struct ClientPartsTests {
    private let stream = Array(
        """
        : keep-alive\r
        event: plan\r
        id: 1\r
        data: {"a":\r
        data: 1}\r
        \r
        event: change
        id: 2
        data:{"b": 2}

        : heartbeat

        """.utf8)

    @Test func eventsAreTheSameWhateverTheChunking() {
        let expected = [
            ServerSentEvent(name: "plan", id: "1", data: "{\"a\":\n1}"),
            ServerSentEvent(name: "change", id: "2", data: "{\"b\": 2}"),
        ]
        var whole = ServerSentEventParser()
        #expect(whole.feed(stream) == expected)
        for size in [1, 2, 3, 7, 13] {
            var parser = ServerSentEventParser()
            var events: [ServerSentEvent] = []
            for start in stride(from: 0, to: stream.count, by: size) {
                events += parser.feed(Array(stream[start..<min(start + size, stream.count)]))
            }
            #expect(events == expected, "chunks of \(size) bytes")
        }
    }

    @Test func anEventIsHandedOverOnlyAtItsBlankLine() {
        var parser = ServerSentEventParser()
        #expect(parser.feed(Array("event: change\nid: 3\ndata: {}\n".utf8)).isEmpty)
        #expect(parser.feed(Array("\n".utf8)) == [ServerSentEvent(name: "change", id: "3", data: "{}")])
        // The id carries over to later events that name none, as the SSE standard says.
        #expect(parser.feed(Array("data: x\n\n".utf8)) == [ServerSentEvent(name: "message", id: "3", data: "x")])
    }

    @Test func tableColumnsAreAsWideAsTheirWidestCell() {
        var table = Table("ID", "NAME", "STATE")
        table.append("1", "a-long-name", "queued")
        table.append("22", "b\nc", "success")
        #expect(
            table.text == """
                ID  NAME         STATE
                1   a-long-name  queued
                22  b c          success
                """)
    }
}
