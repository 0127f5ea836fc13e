import FletcherCore
import FletcherPlatform

/// DBXaaS run documents (`GET /api/2.2/jobs/runs/get`) mapped to Fletcher's states
/// (`docs/dispatch.md` §5): `status` first, the legacy `state` when `status` is absent.
enum DBXaaSStatus {
    static func runStatus(of run: JSONValue) throws(AdapterError) -> RunStatus {
        let link = runPageLink(run["run_page_url"])
        if let status = run["status"], let word = status["state"]?.stringValue {
            let state: State
            switch word {
            case "QUEUED", "PENDING", "BLOCKED", "WAITING": state = .queued
            case "RUNNING", "TERMINATING": state = .running
            case "TERMINATED":
                let details = status["termination_details"]
                state = details?["code"]?.stringValue == "SUCCESS" ? .success : .failed
                if state == .failed {
                    return RunStatus(state: .failed, link: link, passback: ["termination_details": details ?? .null])
                }
            default: throw AdapterError(.permanent, "DBXaaS reported an unknown run state '\(word)'")
            }
            return RunStatus(state: state, link: link)
        }
        guard let legacy = run["state"], let lifeCycle = legacy["life_cycle_state"]?.stringValue else {
            throw AdapterError(.permanent, "DBXaaS run document has neither 'status' nor 'state': \(run.jsonText)")
        }
        let failed = RunStatus(
            state: .failed, link: link, passback: ["state_message": legacy["state_message"] ?? .null])
        switch lifeCycle {
        case "QUEUED", "PENDING", "BLOCKED", "WAITING_FOR_RETRY": return RunStatus(state: .queued, link: link)
        case "RUNNING", "TERMINATING": return RunStatus(state: .running, link: link)
        case "INTERNAL_ERROR", "SKIPPED": return failed
        case "TERMINATED":
            return legacy["result_state"]?.stringValue == "SUCCESS" ? RunStatus(state: .success, link: link) : failed
        default: throw AdapterError(.permanent, "DBXaaS reported an unknown life cycle state '\(lifeCycle)'")
        }
    }
}
