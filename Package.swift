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
        .package(url: "https://github.com/apple/swift-crypto.git", "4.1.0"..<"6.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0", traits: []),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird.git", from: "2.1.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-openapi-generator.git", from: "1.14.0"),
        .package(url: "https://github.com/apple/swift-openapi-runtime.git", from: "1.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.1.0"),
        // OTLP over HTTP only: the gRPC exporter would add gRPC and HTTP/2 to every build.
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.0.0", traits: ["OTLPHTTP"]),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.1.0"),
        .package(url: "https://github.com/jpsim/Yams.git", "5.0.0"..<"7.0.0"),
    ],
    targets: [
        // The functional core: model, DAG, rules and the orchestrator. No I/O, no C, no HTTP.
        .target(
            name: "FletcherCore",
            dependencies: [
                .product(name: "Logging", package: "swift-log"), .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings
        ),

        // Schema migrations, embedded in the binary so a deployed `fletcher` needs no files beside it.
        .target(
            name: "FletcherMigrations",
            path: "migrations",
            exclude: ["README.md"],
            resources: [
                .embedInCode("sqlite/0001_initial.sqlite.sql"),
                .embedInCode("postgres/0001_initial.postgres.sql"),
                .embedInCode("sqlite/0002_dispatch.sqlite.sql"),
                .embedInCode("postgres/0002_dispatch.postgres.sql"),
                .embedInCode("sqlite/0003_open_compute.sqlite.sql"),
                .embedInCode("postgres/0003_open_compute.postgres.sql"),
                .embedInCode("postgres/0004_change_log.postgres.sql"),
                .embedInCode("sqlite/0004_state_counts.sqlite.sql"),
                .embedInCode("postgres/0005_state_counts.postgres.sql"),
                .embedInCode("sqlite/0005_revoked_token.sqlite.sql"),
                .embedInCode("postgres/0006_revoked_token.postgres.sql"),
                .embedInCode("postgres/0007_search_table.postgres.sql"),
                .embedInCode("postgres/0008_dependency_check.postgres.sql"),
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

        // The project's HTTP client over libcurl (Debian libcurl4-openssl-dev); CCurl wraps the
        // variadic setters Swift cannot call.
        .target(
            name: "CCurl",
            path: "Sources/Adapters/CCurl",
            linkerSettings: [.linkedLibrary("curl")]
        ),
        .target(
            name: "FletcherHTTP",
            dependencies: ["CCurl", "CGlibc", .product(name: "Tracing", package: "swift-distributed-tracing")],
            path: "Sources/Adapters/HTTP",
            swiftSettings: swiftSettings
        ),

        // What every platform plugin builds on: the plugin value and its registry, JSON calls with
        // error classification, webhook signatures.
        .target(
            name: "FletcherPlatform",
            dependencies: [
                "FletcherCore", "FletcherHTTP", "FletcherSimulators", .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Sources/Adapters/Platform",
            swiftSettings: swiftSettings
        ),
        // What every simulator builds on: jobs moving through their phases, injected faults, an HTTP server.
        .target(
            name: "FletcherSimulators",
            dependencies: [
                "FletcherCore", "FletcherHTTP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Simulators",
            swiftSettings: swiftSettings
        ),

        // Platform plugins: one folder and one target each, registered in Sources/Adapters/Registry.
        .target(
            name: "FletcherCAMS",
            dependencies: [
                "FletcherCore", "FletcherPlatform", "FletcherSimulators", "FletcherHTTP",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "Sources/Adapters/CAMS",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FletcherDBXaaS",
            dependencies: [
                "FletcherCore", "FletcherPlatform", "FletcherSimulators", "FletcherHTTP",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "Sources/Adapters/DBXaaS",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FletcherKubernetes",
            dependencies: [
                "FletcherCore", "FletcherPlatform", "FletcherSimulators", "FletcherHTTP",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "Sources/Adapters/Kubernetes",
            swiftSettings: swiftSettings
        ),
        // The one registration list.
        .target(
            name: "FletcherPlugins",
            dependencies: ["FletcherPlatform", "FletcherCAMS", "FletcherDBXaaS", "FletcherKubernetes"],
            path: "Sources/Adapters/Registry",
            swiftSettings: swiftSettings
        ),

        // glibc functions the Glibc module lacks: memory trimming, closing descriptors at spawn,
        // naming threads.
        .target(name: "CGlibc", path: "Sources/CGlibc"),

        // Child processes over posix_spawn (Graphviz's dot, and the tests' commands).
        .target(
            name: "FletcherChildProcess",
            dependencies: ["CGlibc"],
            path: "Sources/ChildProcess",
            swiftSettings: swiftSettings
        ),

        // A client of a running server's API (the CLI's `plan` and `product` commands).
        .target(
            name: "FletcherClient",
            dependencies: ["FletcherHTTP"],
            path: "Sources/Client",
            swiftSettings: swiftSettings
        ),

        // The HTTP server: REST API generated from openapi.yaml, auth, configuration, wiring.
        .target(
            name: "FletcherServer",
            dependencies: [
                "CGlibc",
                "FletcherChildProcess",
                "FletcherCore",
                "FletcherSQLite",
                "FletcherPostgres",
                "FletcherHTTP",
                "FletcherPlatform",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Yams", package: "Yams"),
            ],
            path: "Sources/Server",
            resources: [.copy("openapi.yaml"), .copy("Views/Templates"), .copy("Views/Assets")],
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
        ),

        .executableTarget(
            name: "fletcher",
            dependencies: [
                "FletcherClient",
                "FletcherCore",
                "FletcherPostgres",
                "FletcherSQLite",
                "FletcherServer",
                "FletcherSimulators",
                "FletcherPlatform",
                "FletcherPlugins",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "OTel", package: "swift-otel"),
                "FletcherMigrations",
            ],
            swiftSettings: swiftSettings
        ),

        .systemLibrary(
            name: "CLibPQ",
            path: "Sources/Storage/CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .target(
            name: "FletcherPostgres",
            dependencies: [
                "FletcherCore", "FletcherMigrations", "CLibPQ", "CGlibc",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Storage/Postgres",
            swiftSettings: swiftSettings
        ),

        .executableTarget(
            name: "fletcher-bench",
            dependencies: ["FletcherCore", "FletcherSQLite", "FletcherPlatform", "FletcherPlugins"],
            path: "bench/EngineBench",
            swiftSettings: swiftSettings
        ),

        // Helpers shared by the test targets (temporary directories, clocks, plan builders).
        .target(
            name: "FletcherTestSupport",
            dependencies: [
                "FletcherChildProcess", "FletcherCore", "FletcherHTTP", "FletcherSQLite", "FletcherPostgres",
                "FletcherPlatform",
                "FletcherPlugins",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/FletcherTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FletcherCoreTests",
            dependencies: ["FletcherCore", "FletcherTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FletcherStoreTests",
            dependencies: [
                "FletcherCore", "FletcherSQLite", "FletcherPostgres", "FletcherMigrations", "FletcherTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FletcherAdapterTests",
            dependencies: [
                "FletcherCore", "FletcherPlatform", "FletcherCAMS", "FletcherDBXaaS", "FletcherKubernetes",
                "FletcherPlugins",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FletcherHTTPTests",
            dependencies: [
                "FletcherChildProcess", "FletcherHTTP", "FletcherTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FletcherServerTests",
            dependencies: [
                "FletcherChildProcess", "FletcherServer", "FletcherHTTP", "FletcherCore", "FletcherSQLite",
                "FletcherPostgres",
                "FletcherTestSupport", "FletcherSimulators", "FletcherPlatform", "FletcherCAMS", "FletcherDBXaaS",
                "FletcherKubernetes", "FletcherPlugins",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FletcherCLITests",
            dependencies: [
                "fletcher", "FletcherChildProcess", "FletcherClient", "FletcherTestSupport", "FletcherHTTP",
                "FletcherCore", "FletcherMigrations",
                "FletcherSimulators", "FletcherPlatform", "FletcherCAMS",
                "FletcherKubernetes",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
