import Foundation

/// Every change Fletcher can make to a plan (`docs/concepts.md` §3). The engine applies one at a time.
public enum Command: Hashable, Sendable {
    /// Create or merge a plan (`docs/concepts.md` §3.2). The dataset is the one named in the parameter.
    case post(PlanParam)
    /// Client progress reports (`docs/concepts.md` §3.3).
    case update([StateParam])
    /// Re-run products and reset their descendants (`docs/concepts.md` §3.4).
    case clear([UUID])
    /// Remove products from the active plan, permanently (`docs/concepts.md` §3.5).
    case disable([UUID])
    case pause
    case unpause
    /// Queue waiting products whose parents all succeeded, eager or not (`docs/concepts.md` §3.7).
    case trigger([UUID])
    /// A compute platform's report about one run, applied only while still current (`docs/concepts.md` §3.8).
    case report(RunReport)

    /// The command's name in traces and logs.
    public var name: String {
        switch self {
        case .post: "post"
        case .update: "update"
        case .clear: "clear"
        case .disable: "disable"
        case .pause: "pause"
        case .unpause: "unpause"
        case .trigger: "trigger"
        case .report: "report"
        }
    }
}

/// What the engine needs besides the plan: who acts, when, and how to name new attempts.
public struct EngineContext: Sendable {
    /// The acting service: every row the command changes gets it as `modified_by`.
    public var actor: String
    /// The one timestamp of this request: every row the command changes gets it as `modified_date`.
    public var now: Timestamp
    /// The registered platforms; products of the dispatching ones get a fresh `run_id` when queued.
    public var platforms: PlatformCatalog
    /// Names a new attempt. Injected so the engine stays deterministic under test.
    public var newRunID: @Sendable () -> UUID

    public init(
        actor: String, now: Timestamp, platforms: PlatformCatalog,
        newRunID: @escaping @Sendable () -> UUID = { UUID() }
    ) {
        self.actor = actor
        self.now = now
        self.platforms = platforms
        self.newRunID = newRunID
    }

    public var dispatching: Set<Compute> { platforms.dispatching }
}
