import FletcherCore
import FletcherServer
import FletcherTestSupport
import Foundation
import Testing

/// With the default rate limit (10 calls a second) a chain of instant runs waits for rate-limit
/// tokens and for nothing else: the dispatcher must wake when a token comes back, not sleep out
/// its idle interval. The idle interval is raised to 10 s here, so a missed wake-up shows as a
/// 10 s hop that no load on the test machine can be mistaken for.
@Suite("Dispatch pace under the rate limit")
struct DispatchPaceTests {
    @Test(arguments: Backend.available)
    func aChainWaitsOnlyForTheRateLimit(backend: Backend) async throws {
        let directory = try TemporaryDirectory()
        let store = try await TestDatabase.make(backend, in: directory).open()
        try await withPlatforms { platforms in
            let environment = platforms.environment(["CAMS_RATE_PER_SECOND": "10"])
            try await withFletcher(
                environment: environment, store: store, configure: { $0.dispatch.settings.idleSeconds = 10 }
            ) { api in
                var factory = PlanFactory()
                let names = (0..<40).map { "P\($0)" }
                let plan = dispatchPlan(&factory, names, Array(zip(names, names.dropFirst())))
                let posted = try await api.call("POST", "/api/plan", json: plan, token: try await api.token("admin"))
                #expect(posted.status == 200, "\(posted.text)")
                try await eventually("the chain runs through", timeout: .seconds(60)) {
                    try await api.states(factory.datasetID)[names.last!] == .success
                }
                var hops: [Double] = []
                var parent: RunRecord?
                for name in names {
                    let run = try #require(try await api.runs(factory.datasetID, factory.id(name)).first)
                    if let finished = parent?.finishedAt {
                        let submitted = try #require(run.submittedAt, "\(name) was submitted")
                        hops.append(Double(submitted.microsecondsSinceEpoch - finished.microsecondsSinceEpoch) / 1e6)
                    }
                    parent = run
                }
                #expect(hops.count == names.count - 1)
                // One token interval (0.1 s) plus a margin for a loaded machine; the idle look
                // this guards against would cost 10 s.
                let slowest = hops.max() ?? 0
                #expect(slowest < 2.5, "hops in seconds: \(hops.map { ($0 * 1000).rounded() / 1000 })")
            }
        }
    }
}
