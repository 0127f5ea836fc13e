import FletcherCore
import Testing

@testable import FletcherCAMS
@testable import FletcherDBXaaS

@Suite("Platform status mapping (docs/dispatch.md §4, §5)")
struct StatusMappingTests {
    @Test(arguments: [
        ("queued", State.queued), ("pending", .queued), ("running", .running), ("succeeded", .success),
        ("failed", .failed), ("canceled", .failed), ("cancelled", .failed),
    ])
    func camsWords(word: String, state: State) throws {
        #expect(CAMSStatus.state(of: word) == state)
        let status = try CAMSStatus.runStatus(of: ["status": .string(word), "link": "https://c.test/j/1"])
        #expect(status.state == state && status.link == "https://c.test/j/1")
    }

    @Test func camsOutputIsThePassbackAndAFailureKeepsItsError() throws {
        let success = try CAMSStatus.runStatus(of: ["status": "succeeded", "output": ["rows": 3]])
        #expect(success.passback == ["rows": 3])
        let failure = try CAMSStatus.runStatus(of: ["status": "failed", "error": "disk full"])
        #expect(failure.passback == ["output": nil, "error": "disk full"])
    }

    @Test func anUnknownCamsWordIsAPermanentProtocolError() {
        #expect(throws: AdapterError.self) { try CAMSStatus.runStatus(of: ["status": "exploded"]) }
        #expect(throws: AdapterError.self) { try CAMSStatus.runStatus(of: ["job_id": "1"]) }
    }

    @Test(arguments: [
        ("QUEUED", State.queued), ("PENDING", .queued), ("BLOCKED", .queued), ("WAITING", .queued),
        ("RUNNING", .running), ("TERMINATING", .running),
    ])
    func dbxaasStates(word: String, state: State) throws {
        let status = try DBXaaSStatus.runStatus(of: [
            "status": ["state": .string(word)], "run_page_url": "https://d.test/r",
        ])
        #expect(status.state == state && status.link == "https://d.test/r")
    }

    @Test func dbxaasTerminationDecidesSuccessOrFailure() throws {
        let success = try DBXaaSStatus.runStatus(
            of: ["status": ["state": "TERMINATED", "termination_details": ["code": "SUCCESS"]]])
        #expect(success.state == .success && success.passback == nil)
        let details: JSONValue = ["code": "RUN_EXECUTION_ERROR", "message": "boom"]
        let failure = try DBXaaSStatus.runStatus(of: [
            "status": ["state": "TERMINATED", "termination_details": details]
        ])
        #expect(failure.state == .failed && failure.passback == ["termination_details": details])
    }

    @Test func dbxaasFallsBackToTheLegacyState() throws {
        let running = try DBXaaSStatus.runStatus(of: ["state": ["life_cycle_state": "RUNNING"]])
        #expect(running.state == .running)
        let done = try DBXaaSStatus.runStatus(of: [
            "state": ["life_cycle_state": "TERMINATED", "result_state": "SUCCESS"]
        ])
        #expect(done.state == .success)
        for lifeCycle in ["INTERNAL_ERROR", "SKIPPED"] {
            let failed = try DBXaaSStatus.runStatus(
                of: ["state": ["life_cycle_state": .string(lifeCycle), "state_message": "no cluster"]])
            #expect(failed.state == .failed && failed.passback == ["state_message": "no cluster"])
        }
        let failedResult = try DBXaaSStatus.runStatus(
            of: ["state": ["life_cycle_state": "TERMINATED", "result_state": "FAILED"]])
        #expect(failedResult.state == .failed)
        #expect(throws: AdapterError.self) { try DBXaaSStatus.runStatus(of: ["run_id": 1]) }
    }

    @Test func dbxaasNeedsAnIntegerJobIDAndStringParameters() throws {
        #expect(try DBXaaSAdapter.jobID(["job_id": 12]) == 12)
        #expect(throws: AdapterError(.permanent, "a DBXaaS product needs an integer passthrough.job_id")) {
            try DBXaaSAdapter.jobID(["job_id": "12"])
        }
        #expect(try DBXaaSAdapter.jobParameters(["job_parameters": ["a": "b"]]) == ["a": "b"])
        #expect(throws: AdapterError.self) { try DBXaaSAdapter.jobParameters(["job_parameters": ["a": 1]]) }
        #expect([429, 500, 502, 503, 504].allSatisfy(DBXaaSAdapter.isRetryable))
        #expect(![400, 401, 403, 404, 501].contains(where: DBXaaSAdapter.isRetryable))
    }
}
