import Foundation

/// Durations as people read them (`docs/ui.md`): "2.0 s", "4 min 12 s", "3 h 5 min", "2 d 4 h".
enum DurationText {
    static func of(seconds: Double) -> String {
        let seconds = max(seconds, 0)
        if seconds < 60 { return String(format: "%.1f s", seconds) }
        let whole = Int(seconds.rounded(.down))
        let (minutes, hours, days) = (whole / 60 % 60, whole / 3600 % 24, whole / 86400)
        if whole < 3600 { return pair(whole / 60, "min", whole % 60, "s") }
        if whole < 86400 { return pair(hours, "h", minutes, "min") }
        return pair(days, "d", hours, "h")
    }

    private static func pair(_ major: Int, _ majorUnit: String, _ minor: Int, _ minorUnit: String) -> String {
        minor == 0 ? "\(major) \(majorUnit)" : "\(major) \(majorUnit) \(minor) \(minorUnit)"
    }
}
