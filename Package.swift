// swift-tools-version: 6.2
import PackageDescription

/// One list of settings for every target: Swift 6 mode comes from the tools version.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")

let package = Package(
    name: "pr-review",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "webhook-ingest", targets: ["webhook-ingest"]),
        .executable(name: "review-job", targets: ["review-job"]),
        .executable(name: "redis-rest", targets: ["redis-rest"]),
        .executable(name: "reviewctl", targets: ["reviewctl"]),
    ],
    // Exact versions: Package.resolved is not committed, so two builds (two images) resolve the same packages.
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto", exact: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.3"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", exact: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
        // The long calls (GitHub, the model) wait on NIO's event loops, which sleep in epoll while
        // nothing arrives; URLSession on Linux spins a core for the whole wait (docs/ARCHITECTURE.md).
        .package(url: "https://github.com/swift-server/async-http-client", exact: "1.37.0"),
    ],
    targets: [
        .target(
            name: "ReviewCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // Reads the commit and tag at build time for --version and the User-Agent (no git binary needed).
        .executableTarget(name: "version-stamp", path: "Sources/version-stamp"),
        .plugin(name: "VersionStamp", capability: .buildTool(), dependencies: ["version-stamp"]),
        .target(
            name: "ReviewRuntime",
            dependencies: [
                "ReviewCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings,
            plugins: ["VersionStamp"]
        ),
        // The Upstash-compatible REST server in front of redis-server: only redis-rest and the tests link it.
        .target(
            name: "RedisBridge",
            dependencies: [
                "ReviewCore", "ReviewRuntime",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ReviewTesting",
            dependencies: [
                "ReviewCore", "ReviewRuntime", "RedisBridge",
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The command line every function executable shares (--help with its modes and environment, --version).
        .target(
            name: "FunctionCLI",
            dependencies: ["ReviewRuntime", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "webhook-ingest", dependencies: ["FunctionCLI", "ReviewRuntime", argumentParser], swiftSettings: swiftSettings),
        .executableTarget(name: "review-job", dependencies: ["FunctionCLI", "ReviewRuntime", argumentParser], swiftSettings: swiftSettings),
        .executableTarget(name: "redis-rest", dependencies: ["ReviewRuntime", "RedisBridge", argumentParser], swiftSettings: swiftSettings),
        // Measurements for make bench (not shipped).
        .executableTarget(name: "review-bench", dependencies: ["ReviewRuntime"], swiftSettings: swiftSettings),
        // The GitHub stand-in as a server, for the demo (tests use it in process).
        .executableTarget(
            name: "github-standin",
            dependencies: ["ReviewTesting", "ReviewRuntime", .product(name: "_CryptoExtras", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "reviewctl",
            dependencies: [
                "ReviewRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "ReviewCoreTests", dependencies: ["ReviewCore", "ReviewTesting"], swiftSettings: swiftSettings),
        // Unit tests of the I/O layer: scripted transports, no redis-server, no built binaries (make unit).
        .testTarget(
            name: "ReviewUnitTests",
            dependencies: ["ReviewRuntime", "RedisBridge", "ReviewTesting", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ReviewRuntimeTests",
            dependencies: [
                "ReviewRuntime", "RedisBridge", "ReviewTesting",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
