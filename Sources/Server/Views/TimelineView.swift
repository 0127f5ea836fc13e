import FletcherCore
import Foundation

/// The plan page's timeline (`docs/ui.md`): the latest attempt of each product on the table's
/// page, in the table's order, as a Gantt chart in SVG — waiting from queued to started, running
/// from started to finished (coloured by how it ended), a "now" line while attempts are live, and
/// the critical path outlined. The time axis spans the whole plan's latest attempts, so every
/// page of the table shares one scale. Built here as numbers; the template writes the SVG.
struct TimelineView {
    struct Segment {
        let x: String
        let width: String
        let fill: String
        /// The run's length, for the bar's data (tests compare it with the widths).
        let seconds: String
    }

    struct Bar {
        let id: String
        let name: String
        /// Product, state and durations: the bar's title and accessible name.
        let label: String
        let state: String
        let runID: String
        let y: String
        let textY: String
        let waitX: String
        let waitWidth: String
        let run: Segment?
        let critical: Bool
        let outlineX: String
        let outlineWidth: String
    }

    struct Tick {
        let x: String
        let label: String
    }

    /// One line of the text alternative.
    struct Row {
        let name: String
        let state: String
        let queued: String
        let waited: String
        let ran: String
        let critical: Bool
    }

    static let width = 960.0
    static let chartX = 190.0
    static let chartWidth = 750.0
    static let top = 28.0
    static let rowHeight = 22.0
    static let barHeight = 14.0

    let bars: [Bar]
    let ticks: [Tick]
    let rows: [Row]
    let height: String
    let tickBottom: String
    /// Where the "now" line is drawn, while attempts are live.
    let now: String?
    /// When the plan's first drawn attempt was queued: the axis counts from it.
    let start: String
    /// Why there is nothing to draw.
    let emptyText: String?

    /// Stored, not computed: templates see stored properties only.
    let hasBars: Bool

    init(plan: PlanState, shown: some Collection<DataProduct>, runs: [RunRecord], now: Timestamp) {
        var spans: [Int: AttemptSpan] = [:]
        var latest: [Int: RunRecord] = [:]
        for run in runs {
            guard let position = plan.graph.position(of: run.dataProductID) else { continue }
            latest[position] = run
            spans[position] = AttemptSpan(queued: run.queuedAt, started: run.startedAt, finished: run.finishedAt)
        }
        let critical = Set(plan.graph.criticalPath(spans, now: now))
        let first = spans.values.map(\.queued).min() ?? now
        let last = spans.values.map { $0.end(at: now) }.max() ?? now
        let seconds = max(Self.seconds(from: first, to: last), 0.001)
        let scale = Self.chartWidth / seconds
        func x(_ time: Timestamp) -> Double { Self.chartX + Self.seconds(from: first, to: time) * scale }

        var bars: [Bar] = []
        var rows: [Row] = []
        for product in shown {
            guard let position = plan.graph.position(of: product.id), let run = latest[position],
                let span = spans[position]
            else { continue }
            let y = Self.top + Double(bars.count) * Self.rowHeight
            let waitEnd = span.started ?? span.end(at: now)
            let waited = Self.seconds(from: span.queued, to: waitEnd)
            let ran = span.started.map { Self.seconds(from: $0, to: span.end(at: now)) }
            let ranText =
                ran.map { (span.finished == nil ? "running for " : "ran ") + DurationText.of(seconds: $0) }
                ?? "not started"
            let label =
                "\(product.name): \(run.state.rawValue), waited \(DurationText.of(seconds: waited)), \(ranText)"
                + (critical.contains(position) ? ", on the critical path" : "")
            let running = span.started.map { started in
                Segment(
                    x: Self.number(x(started)), width: Self.number(max(x(span.end(at: now)) - x(started), 1)),
                    fill: Self.fill(run.state), seconds: String(format: "%.6f", ran ?? 0))
            }
            bars.append(
                Bar(
                    id: product.id.lowercasedString, name: Self.shortened(product.name), label: label,
                    state: run.state.rawValue, runID: run.runID.lowercasedString,
                    y: Self.number(y + (Self.rowHeight - Self.barHeight) / 2), textY: Self.number(y + 15),
                    waitX: Self.number(x(span.queued)), waitWidth: Self.number(max(x(waitEnd) - x(span.queued), 1)),
                    run: running, critical: critical.contains(position), outlineX: Self.number(x(span.queued) - 1),
                    outlineWidth: Self.number(max(x(span.end(at: now)) - x(span.queued), 1) + 2)))
            rows.append(
                Row(
                    name: product.name, state: run.state.rawValue, queued: span.queued.description,
                    waited: DurationText.of(seconds: waited), ran: ran.map { DurationText.of(seconds: $0) } ?? "",
                    critical: critical.contains(position)))
        }
        self.bars = bars
        self.rows = rows
        hasBars = !bars.isEmpty
        let bottom = Self.top + Double(bars.count) * Self.rowHeight
        height = Self.number(bottom + 6)
        tickBottom = Self.number(bottom)
        ticks = Self.ticks(seconds: seconds).map { Tick(x: Self.number(Self.chartX + $0 * scale), label: $1) }
        self.now = spans.values.contains { $0.finished == nil } ? Self.number(x(now)) : nil
        start = first.description
        emptyText =
            spans.isEmpty
            ? "No product of this plan has run through Fletcher's dispatch yet."
            : bars.isEmpty ? "No product in this part of the table has run yet." : nil
    }

    private static func seconds(from start: Timestamp, to end: Timestamp) -> Double {
        Double(end.microsecondsSinceEpoch - start.microsecondsSinceEpoch) / 1e6
    }

    /// Axis ticks at a round step, at most eight across the span.
    static func ticks(seconds span: Double) -> [(Double, String)] {
        let steps: [Double] = [
            0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
            172_800, 604_800,
        ]
        let step = steps.first { span / $0 <= 8 } ?? span / 8
        return stride(from: 0, through: span, by: step).map { ($0, DurationText.of(seconds: $0)) }
    }

    private static func fill(_ state: RunState) -> String {
        switch state {
        case .superseded: "#9e9e9e"
        default: PlanDOT.fill(State(rawValue: state.rawValue) ?? .queued)
        }
    }

    private static func shortened(_ name: String) -> String {
        name.count <= 24 ? name : name.prefix(23) + "…"
    }

    private static func number(_ value: Double) -> String {
        String(format: "%.1f", value)
    }
}
