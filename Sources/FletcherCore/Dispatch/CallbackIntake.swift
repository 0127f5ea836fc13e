import Foundation
import Logging

/// Takes platform callbacks (`docs/dispatch.md` §1, §4, §5): the adapter authenticates and decodes,
/// reports go through the guarded update path, replayed deliveries are applied once, and
/// "look at run X" hints become an immediate poll.
public struct CallbackIntake: Sendable {
    public enum Outcome: String, Sendable, Hashable {
        case applied, unchanged, duplicate, stale, polling
    }

    private let store: any DispatchStore
    private let poller: Poller
    private let platforms: [Compute: ComputePlatform]
    private let clock: any WallClock
    /// Remembered deliveries are forgotten after this long; the signature window is 5 minutes.
    private static let rememberSeconds = 3_600.0

    public init(store: any DispatchStore, poller: Poller, platforms: [ComputePlatform], clock: any WallClock) {
        self.store = store
        self.poller = poller
        self.platforms = Dictionary(uniqueKeysWithValues: platforms.map { ($0.compute, $0) })
        self.clock = clock
    }

    /// The platform of `compute`, when Fletcher dispatches to it.
    public func accepts(_ compute: Compute) -> Bool { platforms[compute] != nil }

    /// Handles one callback. Throws `CallbackRejection` when it is not authentic or does not
    /// parse (nothing applied), or the store's error (the platform should retry).
    public func receive(_ compute: Compute, headers: [String: String], body: [UInt8]) async throws -> Outcome {
        do {
            let outcome = try await intake(compute, headers: headers, body: body)
            DispatchMetrics.callback(compute, outcome.rawValue)
            return outcome
        } catch let rejection as CallbackRejection {
            switch rejection {
            case .unauthorized: DispatchMetrics.callback(compute, "unauthorized")
            case .malformed: DispatchMetrics.callback(compute, "malformed")
            }
            throw rejection
        }
    }

    private func intake(_ compute: Compute, headers: [String: String], body: [UInt8]) async throws -> Outcome {
        guard let platform = platforms[compute] else { throw CallbackRejection.unauthorized("not dispatching") }
        return try await take(
            try platform.adapter.verifyCallback(headers: headers, body: body, now: clock.now()), from: platform)
    }

    /// Follows every platform that has something to follow (`ComputeAdapter.follow`) until the
    /// task is cancelled; what they deliver is taken like a callback — several runs at once, each
    /// run's events in order (`EventLanes`).
    public func follow(logger: Logger) async {
        await withDiscardingTaskGroup { group in
            for platform in platforms.values {
                group.addTask {
                    let lanes = EventLanes()
                    await platform.adapter.follow { event in
                        lanes.enqueue(event.lane) {
                            do {
                                let outcome = try await take(event, from: platform)
                                DispatchMetrics.callback(platform.compute, outcome.rawValue)
                            } catch {
                                logger.warning(
                                    "followed event not applied",
                                    metadata: ["compute": "\(platform.compute)", "error": "\(error)"])
                            }
                        }
                    }
                }
            }
        }
    }

    /// Applies an authentic event: a report through the guarded update path (a replayed delivery
    /// once), a hint as an immediate poll.
    private func take(_ event: CallbackEvent, from platform: ComputePlatform) async throws -> Outcome {
        let compute = platform.compute
        let now = clock.now()
        switch event {
        case .report(let runID, let status, let deliveryID):
            if let deliveryID, try await store.callbackSeen(compute, deliveryID: deliveryID) { return .duplicate }
            guard let run = try await store.run(runID), run.compute == compute else { return .stale }
            let outcome = await poller.apply(
                status, runID: run.runID, datasetID: run.datasetID, dataProductID: run.dataProductID, on: compute)
            if let deliveryID {
                try await store.rememberCallback(
                    compute, deliveryID: deliveryID, at: now, forgetBefore: now.adding(seconds: -Self.rememberSeconds))
            }
            switch outcome {
            case .applied: return .applied
            case .unchanged: return .unchanged
            case .stale: return .stale
            case nil: throw StoreUnavailable(reason: "the report could not be applied; send it again")
            }
        case .poll(let externalID):
            guard let ref = try await store.run(compute, externalID: externalID)?.ref else { return .stale }
            // Answered at once; the poll runs on its own (platforms time callbacks out quickly).
            poller.followUp(ref, on: platform)
            return .polling
        }
    }
}
