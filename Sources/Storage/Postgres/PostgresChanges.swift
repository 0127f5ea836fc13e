import FletcherCore
import Foundation

/// Plan changes across instances: each commit notifies `fletcher_changes` with the change as
/// JSON (`PlanChange`), or, when that exceeds NOTIFY's 8,000-byte payload, with a marker that
/// makes listeners read the plan instead.
public enum PostgresChanges {
    static let channel = "fletcher_changes"
    static let maxPayload = 7_900

    static func reload(_ datasetID: UUID, _ version: Int64) -> String {
        #"{"dataset_id":"\#(datasetID.lowercasedString)","reload":true,"version":\#(version)}"#
    }

    /// Feeds the changes every instance commits into `feed` until the task is cancelled.
    public static func relay(from store: PostgresPlanStore, into feed: ChangeFeed) async {
        let listener = store.listen(channel: channel)
        await withTaskCancellationHandler {
            for await notification in listener.notifications {
                guard let change = await decode(notification.payload, store: store) else { continue }
                feed.publish(change)
            }
        } onCancel: {
            listener.stop()
        }
    }

    /// A change as sent, or for a reload marker the whole plan as one change of every product.
    static func decode(_ payload: String, store: PostgresPlanStore) async -> PlanChange? {
        guard let value = try? JSONValue(jsonText: payload) else { return nil }
        if value["reload"] == .bool(true) {
            guard case .string(let text) = value["dataset_id"], let id = UUID(uuidString: text),
                case .int(let version) = value["version"], let plan = try? await store.plan(id)
            else { return nil }
            return PlanChange(
                datasetID: id, version: version,
                changes: plan.dataProducts.map(PlanChange.Product.init), paused: plan.dataset.paused)
        }
        return try? JSONDecoder().decode(PlanChange.self, from: Data(payload.utf8))
    }
}
