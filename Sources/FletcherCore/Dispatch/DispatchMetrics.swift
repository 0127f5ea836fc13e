import Metrics

/// The dispatch counters of `docs/api.md` §6, through swift-metrics (the server exports them).
enum DispatchMetrics {
    /// A submit's outcome: `submitted`, `retried`, `failed`, `dropped` (superseded before it went
    /// out), or for cancels `cancelled`, `cancel_failed`.
    static func attempt(_ compute: Compute, _ outcome: String) {
        Counter(
            label: "fletcher_dispatch_attempts_total",
            dimensions: [("compute", compute.rawValue), ("outcome", outcome)]
        )
        .increment()
    }

    /// A callback's outcome: the `CallbackIntake.Outcome`, `unauthorized` or `malformed`.
    static func callback(_ compute: Compute, _ outcome: String) {
        Counter(label: "fletcher_callbacks_total", dimensions: [("compute", compute.rawValue), ("outcome", outcome)])
            .increment()
    }

    /// A platform report (callback or poll): `applied`, `unchanged` or `stale` (ignored).
    static func report(_ compute: Compute, _ result: ReportResult) {
        Counter(
            label: "fletcher_reports_total", dimensions: [("compute", compute.rawValue), ("result", result.rawValue)]
        )
        .increment()
    }
}
