import FletcherCore
import FletcherSimulators
import FletcherTestSupport
import Foundation
import Testing

/// R4: platforms that throttle, fail, refuse or answer garbage; and the operator's pause and clear
/// acting on attempts in flight.
@Suite("Dispatch faults and operator actions")
struct DispatchFaultTests {
    /// Runs one eager C-AMS product `A` (child `B`) through Fletcher; `prepare` scripts the simulator.
    private func withOneProduct(
        _ settings: SimulatorSettings = SimulatorSettings(), environment overrides: [String: String] = [:],
        prepare: (Platforms) -> Void = { _ in },
        _ body: (API, Platforms, inout PlanFactory) async throws -> Void
    ) async throws {
        try await withPlatforms(settings) { platforms in
            prepare(platforms)
            try await withFletcher(environment: platforms.environment(overrides)) { api in
                var factory = PlanFactory()
                let plan = dispatchPlan(&factory, ["A", "B"], [("A", "B")])
                let posted = try await api.call("POST", "/api/plan", json: plan, token: try await api.token("admin"))
                #expect(posted.status == 200)
                try await body(api, platforms, &factory)
            }
        }
    }

    @Test func throttlingIsWaitedOutAsTheRetryAfterHeaderAsks() async throws {
        try await withOneProduct(prepare: { $0.cams.inject([.throttle(retryAfter: 1)], on: .submit) }) {
            api, _, factory in
            let (dataset, a) = (factory.datasetID, factory.id("A"))
            try await eventually("A succeeds") { try await api.states(dataset)["A"] == .success }
            let run = try #require(try await api.runs(dataset, a).first)
            let submitted = try #require(run.submittedAt, "the run was submitted")
            let waited = submitted.microsecondsSinceEpoch - run.queuedAt.microsecondsSinceEpoch
            #expect(waited >= 1_000_000, "the retry came \(waited) µs after queueing; Retry-After said 1 s")
            #expect(run.attempts == 2)
        }
    }

    @Test func retryableFailuresEndFailedWhenTheAttemptsRunOut() async throws {
        try await withOneProduct(
            environment: ["DISPATCH_MAX_ATTEMPTS": "3"],
            prepare: { $0.cams.inject([.serverError, .serverError, .serverError], on: .submit) }
        ) { api, platforms, factory in
            let (dataset, a) = (factory.datasetID, factory.id("A"))
            try await eventually("A fails") { try await api.states(dataset)["A"] == .failed }
            let product = try await api.plan(dataset).dataProducts[0]
            let error = try #require(product.passback?["fletcher_error"])
            #expect(error["kind"] == "attempts_exhausted" && error["attempts"] == 3)
            #expect(error["message"].map { "\($0)".contains("503") } == true, "\(error)")
            // The run's record of its attempts is written in the product's commit.
            let run = try #require(try await api.runs(dataset, a).first)
            #expect(run.state == .failed && run.attempts == 3 && run.externalID == nil)
            #expect(run.lastError?.contains("503") == true)
            #expect(platforms.cams.jobs.isEmpty)
            #expect(try await api.states(dataset)["B"] == .waiting)
        }
    }

    @Test func aRefusalFailsAtOnceWithThePlatformsMessage() async throws {
        try await withOneProduct(prepare: { $0.cams.inject([.badRequest("table BKPF does not exist")], on: .submit) }) {
            api, _, factory in
            let dataset = factory.datasetID
            try await eventually("A fails") { try await api.states(dataset)["A"] == .failed }
            let error = try #require(try await api.plan(dataset).dataProducts[0].passback?["fletcher_error"])
            #expect(error["kind"] == "permanent" && error["attempts"] == 1)
            #expect(error["message"].map { "\($0)".contains("table BKPF does not exist") } == true, "\(error)")
        }
    }

    @Test func aSubmitAnsweredWithGarbageFailsWithAClearMessage() async throws {
        try await withOneProduct(prepare: { $0.cams.inject([.garbage], on: .submit) }) { api, _, factory in
            let dataset = factory.datasetID
            try await eventually("A fails") { try await api.states(dataset)["A"] == .failed }
            let error = try #require(try await api.plan(dataset).dataProducts[0].passback?["fletcher_error"])
            #expect(error["message"].map { "\($0)".contains("not JSON") } == true, "\(error)")
        }
    }

    @Test func garbageAndOutagesWhilePollingChangeNothingUntilAnAnswerMakesSense() async throws {
        var settings = SimulatorSettings()
        settings.callbacks = false
        try await withOneProduct(
            settings, environment: ["CAMS_POLL_SECONDS": "0.05"],
            prepare: { $0.cams.inject([.garbage, .serverError, .garbage, .throttle(retryAfter: 0)], on: .status) }
        ) { api, _, factory in
            let dataset = factory.datasetID
            try await eventually("A and B succeed") {
                try await api.states(dataset).values.allSatisfy { $0 == .success }
            }
        }
    }

    @Test func pauseHoldsAQueuedProductBackAndUnpauseReleasesIt() async throws {
        try await withOneProduct(prepare: { $0.cams.inject([.throttle(retryAfter: 3)], on: .submit) }) {
            api, platforms, factory in
            let (dataset, a) = (factory.datasetID, factory.id("A"))
            let token = try await api.token("admin")
            let runID = try #require(try await api.plan(dataset).dataProducts[0].runID)
            try await eventually("the first submit is throttled") {
                platforms.cams.submits(forKey: runID.lowercasedString) == 1
            }
            let throttled = ContinuousClock.now
            #expect(
                try await api.call("PUT", "/api/plan/\(dataset.lowercasedString)/pause", token: token).status == 200)
            // Paused, the retry must not go out once it falls due (3 s after the throttle). Proof
            // that the dispatcher looked: another plan's product, due later, is submitted, and the
            // dispatcher takes due work in the order it fell due.
            try await Task.sleep(until: throttled + .seconds(3.2))
            var other = PlanFactory()
            _ = try await api.call("POST", "/api/plan", json: dispatchPlan(&other, ["C"]), token: token)
            try await eventually("C, due after A's retry, is submitted") {
                platforms.cams.jobs.contains { $0.request["data_product_id"] == other.id("C").lowercasedString }
            }
            #expect(platforms.cams.submits(forKey: runID.lowercasedString) == 1)
            let held = try await api.plan(dataset).dataProducts[0]
            #expect(held.state == .queued, "\(held)")
            #expect(
                try await api.call("PUT", "/api/plan/\(dataset.lowercasedString)/unpause", token: token).status == 200)
            try await eventually("A succeeds after unpause") { try await api.states(dataset)["A"] == .success }
            #expect(try await api.runs(dataset, a).count == 1)
        }
    }

    @Test func clearingARunningProductSupersedesAndCancelsItsRun() async throws {
        var settings = SimulatorSettings()
        settings.runSeconds = 60
        try await withOneProduct(settings) { api, platforms, factory in
            let (dataset, a) = (factory.datasetID, factory.id("A"))
            try await eventually("A is submitted") { try await api.runs(dataset, a).first?.externalID != nil }
            let first = try #require(try await api.runs(dataset, a).first)
            let cleared = try await api.call(
                "PUT", "/api/data_product/\(dataset.lowercasedString)/clear", body: #"["\#(a.lowercasedString)"]"#,
                token: try await api.token("admin"))
            #expect(cleared.status == 200)
            try await eventually("the platform cancels the first run") {
                platforms.cams.jobs.first { $0.id == first.externalID }?.phase == .cancelled
            }
            try await eventually("the new attempt is submitted") {
                let runs = try await api.runs(dataset, a)
                return runs.count == 2 && runs[0].externalID != nil
            }
            let runs = try await api.runs(dataset, a)
            let product = try await api.plan(dataset).dataProducts[0]
            #expect(runs[1].runID == first.runID && runs[1].state == .superseded)
            #expect(runs[0].runID == product.runID && runs[0].runID != first.runID)
            #expect(product.state == .queued)
        }
    }

    /// DBXaaS only hints ("look at run X"); with polling switched off, the poll after the submit
    /// and the polls of the hints are the only way its reports arrive. Each of them failing once
    /// must not strand the run: they are polled again until an answer is applied.
    @Test func failedPollsOfHintsAreRetriedWhenPollingIsOff() async throws {
        var settings = SimulatorSettings()
        settings.runSeconds = 0.2
        settings.stallSeconds = 4
        try await withPlatforms(settings) { platforms in
            platforms.dbxaas.inject([.serverError, .serverError, .serverError, .timeout], on: .status)
            // The stall outlasts the client's timeout by far; an ordinary answer fits in it even on a
            // loaded machine (at 0.3 s, slow submits once used up every attempt before one got through).
            let environment = platforms.environment(["DBXAAS_TIMEOUT_SECONDS": "1.5", "DISPATCH_MAX_ATTEMPTS": "100"])
            try await withFletcher(environment: environment) { api in
                platforms.notify(api)
                var factory = PlanFactory()
                let plan = dispatchPlan(&factory, ["A"], dbxaas: ["A"])
                _ = try await api.call("POST", "/api/plan", json: plan, token: try await api.token("admin"))
                try await eventually("A succeeds") { try await api.states(factory.datasetID)["A"] == .success }
                #expect(platforms.dbxaas.jobs.count == 1)
            }
        }
    }
}
