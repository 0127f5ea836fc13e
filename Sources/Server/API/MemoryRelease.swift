import Foundation
import ServiceLifecycle

#if canImport(Glibc)
    import CGlibc
#endif

/// Keeps the process's memory near what it holds, after requests that pass through a lot.
///
/// A big plan's first post allocates several times the plan's size on its way through decoding,
/// the engine and the database driver, and frees it all. glibc's defaults keep most of that:
/// blocks of any size come from its arenas once a large one was freed (its mmap threshold rises),
/// and freed pages stay mapped. Measured on a 50,000-product plan, posted then read and updated
/// (`docs/benchmarks.md` P11): RSS 300 MB with the defaults, 125 MB with both settings below.
public enum MemoryRelease {
    /// Commands changing at least this many rows are followed by a trim.
    static let rowThreshold = 10_000

    /// A setting of glibc's allocator, and how an operator sets it before start instead.
    struct Setting: Equatable {
        let parameter: Int32
        let value: Int32
        let variable: String
        let tunable: String
    }

    /// Blocks of 256 KiB and more are mapped on their own and unmapped when freed, whatever was
    /// freed before; an arena keeps up to 1 MiB free at its top. (Setting the first fixes glibc's
    /// trim threshold at its 128 KiB default, so a thread's arena handed pages back and faulted
    /// them in again nearly every request: `madvise`, its TLB flushes on every core and the page
    /// faults were a seventh of the server's CPU time under small updates.) And one arena per
    /// core (two at least) instead of eight: each arena keeps its own freed pages.
    ///
    /// A setting the operator made through glibc's own variables is left as it is.
    static func settings(cores: Int, environment: [String: String]) -> [Setting] {
        #if canImport(Glibc)
            let tunables = environment["GLIBC_TUNABLES"] ?? ""
            return [
                Setting(
                    parameter: M_MMAP_THRESHOLD, value: 256 * 1024, variable: "MALLOC_MMAP_THRESHOLD_",
                    tunable: "glibc.malloc.mmap_threshold"),
                Setting(
                    parameter: M_TRIM_THRESHOLD, value: 1024 * 1024, variable: "MALLOC_TRIM_THRESHOLD_",
                    tunable: "glibc.malloc.trim_threshold"),
                Setting(
                    parameter: M_ARENA_MAX, value: Int32(clamping: max(2, cores)), variable: "MALLOC_ARENA_MAX",
                    tunable: "glibc.malloc.arena_max"),
            ].filter { environment[$0.variable] == nil && !tunables.contains($0.tunable) }
        #else
            return []
        #endif
    }

    /// Call once at start.
    public static func configure() {
        #if canImport(Glibc)
            let process = ProcessInfo.processInfo
            for setting in settings(cores: process.activeProcessorCount, environment: process.environment) {
                _ = mallopt(setting.parameter, setting.value)
            }
        #endif
    }

    /// After a command: hands freed pages back soon when the command changed many rows;
    /// otherwise `Trimmer` does, later.
    static func afterCommand(changingRows rows: Int) {
        if rows >= rowThreshold { queue.async { trim() } }
    }

    /// Where every trim runs. A trim takes under a millisecond mostly, but up to tens after many
    /// evictions or a big plan's post, so it runs on a thread of its own rather than holding one
    /// of the few that run requests.
    private static let queue = DispatchQueue(label: "fletcher.memory-trim", qos: .utility)

    private static func trim() {
        #if canImport(Glibc)
            _ = malloc_trim(0)
        #endif
    }

    /// Hands freed pages back every few seconds. Small commands and reports free their memory
    /// among rows that stay cached, so pages come free only as cached plans are evicted, and
    /// glibc returns none of them by itself unless they are at the top of an arena. (On a process
    /// that has freed nothing since, a trim finds little to do.)
    public struct Trimmer: Service {
        let interval: Duration

        public init(interval: Duration = .seconds(2)) {
            self.interval = interval
        }

        public func run() async throws {
            try? await cancelWhenGracefulShutdown {
                while true {
                    try await Task.sleep(for: interval)
                    await withCheckedContinuation { done in
                        queue.async {
                            trim()
                            done.resume()
                        }
                    }
                }
            }
        }
    }
}
