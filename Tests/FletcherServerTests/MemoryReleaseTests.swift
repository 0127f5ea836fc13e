import Testing

@testable import FletcherServer

/// `MemoryRelease.configure`: Fletcher's allocator settings, unless the operator chose their own.
@Suite("Allocator settings")
struct MemoryReleaseTests {
    @Test func anArenaPerCoreAndTwoAtLeast() {
        let arenas = { (cores: Int) in
            MemoryRelease.settings(cores: cores, environment: [:]).first { $0.variable == "MALLOC_ARENA_MAX" }?.value
        }
        #expect(arenas(1) == 2)
        #expect(arenas(8) == 8)
        #expect(MemoryRelease.settings(cores: 4, environment: [:]).count == 3)
    }

    @Test func aSettingTheOperatorMadeIsLeftAlone() {
        let byVariable = MemoryRelease.settings(cores: 4, environment: ["MALLOC_ARENA_MAX": "8"])
        #expect(byVariable.map(\.variable) == ["MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"])

        let byTunable = MemoryRelease.settings(
            cores: 4, environment: ["GLIBC_TUNABLES": "glibc.malloc.trim_threshold=0:glibc.malloc.arena_max=1"])
        #expect(byTunable.map(\.variable) == ["MALLOC_MMAP_THRESHOLD_"])
    }
}
