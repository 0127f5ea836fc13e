// swift-tools-version: 6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "fletcher",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "fletcher", targets: ["fletcher"]),
        .library(name: "FletcherCore", targets: ["FletcherCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
    ],
    targets: [
        // The functional core: model, DAG, rules and the orchestrator. No I/O, no C, no HTTP.
        .target(name: "FletcherCore", swiftSettings: swiftSettings),

        // Schema migrations, embedded in the binary so a deployed `fletcher` needs no files beside it.
        .target(
            name: "FletcherMigrations",
            path: "migrations",
            exclude: ["README.md"],
            resources: [
                .embedInCode("sqlite/0001_initial.sqlite.sql")
            ],
            swiftSettings: swiftSettings
        ),

        .systemLibrary(
            name: "CSQLite",
            path: "Sources/Storage/CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .target(
            name: "FletcherSQLite",
            dependencies: ["FletcherCore", "FletcherMigrations", "CSQLite"],
            path: "Sources/Storage/SQLite",
            swiftSettings: swiftSettings
        ),

        .executableTarget(
            name: "fletcher",
            dependencies: [
                "FletcherCore",
                "FletcherSQLite",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            ],
            swiftSettings: swiftSettings
        ),

        .executableTarget(
            name: "fletcher-bench",
            dependencies: ["FletcherCore", "FletcherSQLite"],
            path: "bench/EngineBench",
            swiftSettings: swiftSettings
        ),

        // Helpers shared by the test targets (temporary directories, clocks, plan builders).
        .target(
            name: "FletcherTestSupport",
            dependencies: ["FletcherCore"],
            path: "Tests/FletcherTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FletcherCoreTests",
            dependencies: ["FletcherCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FletcherSQLiteTests",
            dependencies: ["FletcherCore", "FletcherSQLite", "FletcherTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FletcherCLITests",
            dependencies: ["fletcher", "FletcherTestSupport"],
            swiftSettings: swiftSettings
        ),
    ]
)
