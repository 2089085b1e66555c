// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "helpline-router",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "HelplineRouting", targets: ["HelplineRouting"]),
        .executable(name: "helpline", targets: ["helpline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        // The HTTP server only (`helpline serve`). No traits: swift-configuration and full
        // Foundation support are not used, and leaving them out shortens a clean build.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // The schema: Migrations/NNNN_what.sql, embedded as Swift string literals at build time.
        .target(
            name: "HelplineMigrations",
            path: "Migrations",
            plugins: ["EmbedMigrations"]
        ),
        .executableTarget(name: "MigrationEmbedder", path: "Sources/MigrationEmbedder"),
        .plugin(
            name: "EmbedMigrations",
            capability: .buildTool(),
            dependencies: ["MigrationEmbedder"]
        ),
        .target(
            name: "HelplineRouting",
            dependencies: [
                "HelplineMigrations",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CSV", package: "CSV.swift"),
            ],
            // Imports are internal unless marked `public import`, so GRDB's types can't leak into
            // the API other services link by accident.
            swiftSettings: [.enableUpcomingFeature("InternalImportsByDefault")]
        ),
        // The commands, as a library: the `helpline` executable is a two-line main, and tests can
        // call the commands in-process.
        .target(
            name: "HelplineCLI",
            dependencies: [
                "HelplineRouting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // `helpline serve`: HTTP for Twilio, SIP proxies and the website. Its own target, so the
        // library and the CLI's commands build and link without a web server.
        .target(
            name: "HelplineServer",
            dependencies: [
                "HelplineRouting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "helpline",
            dependencies: ["HelplineCLI", "HelplineServer", "HelplineRouting", .product(name: "Logging", package: "swift-log")]
        ),
        // The benchmark Scripts/bench.sh runs: routing against raw SQLite, history, reports, CLI, concurrency.
        .executableTarget(
            name: "helpline-bench",
            dependencies: [
                "HelplineRouting",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        // Unit, store and end-to-end tests. It depends on `helpline` so that `swift test` builds
        // the binary the end-to-end tests run.
        .testTarget(
            name: "HelplineRoutingTests",
            dependencies: [
                "HelplineRouting",
                "HelplineCLI",
                "HelplineServer",
                "helpline",
                "helpline-bench",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
