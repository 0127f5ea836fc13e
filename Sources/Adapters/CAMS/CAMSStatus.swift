import FletcherCore
import FletcherPlatform

/// C-AMS status words and job documents, mapped to Fletcher's states (`docs/dispatch.md` §4).
enum CAMSStatus {
    static func state(of word: String) -> State? {
        switch word {
        case "queued", "pending": .queued
        case "running": .running
        case "succeeded": .success
        case "failed", "canceled", "cancelled": .failed
        default: nil
        }
    }

    /// A job document (`GET /jobs/{id}` or a callback): state, link, and the output as passback
    /// (on failure `{"output", "error"}`).
    static func runStatus(of job: JSONValue) throws(AdapterError) -> RunStatus {
        guard let word = job["status"]?.stringValue else {
            throw AdapterError(.permanent, "C-AMS job document without a 'status': \(job.jsonText)")
        }
        guard let state = state(of: word) else {
            throw AdapterError(.permanent, "C-AMS reported an unknown status '\(word)'")
        }
        let output = job["output"].flatMap { $0 == .null ? nil : $0 }
        var passback = output
        if state == .failed {
            passback = ["output": output ?? .null, "error": job["error"] ?? .null]
        }
        return RunStatus(state: state, link: runPageLink(job["link"]), passback: passback)
    }
}
