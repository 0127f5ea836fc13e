import FletcherCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle

/// `GET /api/plan/{id}/events` (`docs/api.md` §5): Server-Sent Events of one plan. A `plan` event
/// with the current version (and the plan) on connect, then a `change` event per committed change,
/// each with its version as event id. A client reconnecting with `Last-Event-ID` (or connecting
/// with `?after=` a version it has) gets the changes
/// it missed when they are still retained, else a fresh `plan` event. A comment line every
/// `heartbeat` keeps proxies from closing a quiet stream.
enum EventsRoute {
    static func add(
        to router: Router<BasicRequestContext>, orchestrator: Orchestrator, heartbeat: Duration = .seconds(15)
    ) {
        router.get("/api/plan/:dataset_id/events") { request, context in
            let text = try context.parameters.require("dataset_id")
            let id = try APIError.uuid(text, field: "dataset_id")
            // Subscribed before the version is read, so no change can fall in between.
            let subscription = orchestrator.changes.subscribe(id)
            guard let version = try await orchestrator.version(of: id) else { throw CommandError.datasetNotFound(id) }
            // `?after=` is `Last-Event-ID` for a first connection (a page that shows a version);
            // the header, sent by a reconnecting client, is the later of the two.
            let after = try request.uri.queryParameters.get("after").map { text throws(APIError) in
                guard let version = Int64(text) else {
                    throw APIError.badRequest("Invalid value for 'after': '\(text)' is not a whole number")
                }
                return version
            }
            let lastEventID = request.headers[HTTPField.Name("Last-Event-ID")!].flatMap { Int64($0) } ?? after
            let replay = await missed(by: lastEventID, of: id, upTo: version, from: orchestrator.changes)
            return Response(
                status: .ok,
                headers: [
                    .contentType: "text/event-stream", .cacheControl: "no-cache", .init("X-Accel-Buffering")!: "no",
                ],
                body: ResponseBody { writer in
                    if let replay {
                        for change in replay { try await writer.write(event(change)) }
                    } else {
                        // The plan read may be newer than `version`: a change can then arrive
                        // twice, which applying again leaves as it is.
                        guard let plan = try await orchestrator.currentPlan(id) else {
                            return try await writer.finish(nil)
                        }
                        try await writePlanEvent(plan.json, version: version, to: &writer)
                    }
                    try await forward(
                        subscription, after: version, heartbeat: heartbeat,
                        buffered: orchestrator.changes.buffered, to: &writer)
                    try await writer.finish(nil)
                })
        }
    }

    /// What a client that has seen `lastEventID` missed up to `version`, or nil when it has no
    /// version or the feed no longer holds all it missed (then it is sent the plan).
    private static func missed(
        by lastEventID: Int64?, of id: UUID, upTo version: Int64, from changes: ChangeFeed
    ) async -> [FeedChange]? {
        guard let lastEventID else { return nil }
        await changes.catchUp()
        return changes.changes(of: id, after: lastEventID, upTo: version)
    }

    private enum Outgoing: Sendable {
        case change(FeedChange)
        case heartbeat
    }

    private static func forward(
        _ subscription: AsyncStream<FeedChange>, after version: Int64, heartbeat: Duration, buffered: Int,
        to writer: inout any ResponseBodyWriter
    ) async throws {
        // Bounded like the subscription: a client that stops reading ends its stream after the
        // last change it was sent, instead of holding ever more of them here.
        let (outgoing, continuation) = AsyncStream.makeStream(
            of: Outgoing.self, bufferingPolicy: .bufferingOldest(buffered))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await change in subscription {
                    if case .dropped = continuation.yield(.change(change)) { break }
                }
                continuation.finish()
            }
            group.addTask {
                while true {
                    try await Task.sleep(for: heartbeat)
                    continuation.yield(.heartbeat)
                }
            }
            // A stream ends when the server shuts down, not only when the client leaves.
            group.addTask {
                try? await gracefulShutdown()
                continuation.finish()
            }
            var sent = version
            for await item in outgoing {
                switch item {
                case .change(let change) where change.version > sent:
                    try await writer.write(event(change))
                    sent = change.version
                case .change: continue
                case .heartbeat: try await writer.write(ByteBuffer(string: ": heartbeat\n\n"))
                }
            }
            group.cancelAll()
        }
    }

    static func event(_ change: FeedChange) -> ByteBuffer {
        ByteBuffer(string: "id: \(change.version)\nevent: change\ndata: \(change.json)\n\n")
    }

    /// The `plan` event, written in pieces from the plan's cached row encodings.
    static func writePlanEvent(_ plan: PlanJSON, version: Int64, to writer: inout any ResponseBodyWriter)
        async throws
    {
        try await writer.write(ByteBuffer(string: "id: \(version)\nevent: plan\ndata: {\"plan\":"))
        for piece in plan.chunks(of: PlanResponseMiddleware.pieceSize) {
            try await writer.write(ByteBuffer(bytes: piece))
        }
        try await writer.write(ByteBuffer(string: ",\"version\":\(version)}\n\n"))
    }
}
