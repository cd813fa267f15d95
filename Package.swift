// swift-tools-version:6.1
import PackageDescription

// Bundled plugins are pinned by the sha256 in their manifests, so their bytes must not depend on
// where the checkout lives: no debug info or build paths, no package name (SwiftPM derives it from
// the checkout folder's name), no path-derived module hash, a fixed SONAME (gold otherwise records
// the output path), no build id. The C plugin is then also the same in debug and release; the
// Swift plugin's debug build differs from its release build (SwiftPM embeds the module for the
// debugger), and the manifests pin the debug build that `swift build` and `swift test` make.
let reproducibleC: [CSetting] = [.unsafeFlags(["-O2", "-g0", "-fvisibility=hidden"])]
let reproducibleSwift: [SwiftSetting] = [.unsafeFlags(["-gnone", "-Xfrontend", "-disable-incremental-llvm-codegen"])]
/// The bundled plugins written in Swift (platform adapters and action planners): `Plugins/<Name>/`,
/// built into libSwitchboard<Name>.so.
let swiftPlugins = ["Webhook", "Atera", "ConnectWise", "DattoRMM", "NinjaRMM", "Syncro", "RunScript", "RemoteConnection"]

func reproducibleLink(soname: String) -> [LinkerSetting] {
    [.unsafeFlags(["-Xlinker", "--strip-all", "-Xlinker", "--build-id=none", "-Xlinker", "--gc-sections",
                   "-Xlinker", "-soname=\(soname)"])]
}

let package = Package(
    name: "switchboard",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "switchboard", targets: ["switchboard"]),
        .library(name: "SwitchboardReboot", type: .dynamic, targets: ["RebootPlugin"]),
    ] + swiftPlugins.map { name in
        .library(name: "Switchboard\(name)", type: .dynamic, targets: ["\(name)Plugin"])
    },
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // libffi through pkg-config (Debian: libffi-dev).
        .systemLibrary(name: "CFFI", pkgConfig: "libffi", providers: [.apt(["libffi-dev"])]),
        // The versioned C ABI header that plugins compile against.
        .target(name: "SwitchboardABI"),
        // Manifests, verified loading, libffi call interfaces, discovery.
        .target(
            name: "PluginHost",
            dependencies: [
                "CFFI", "SwitchboardABI", "CLocalProcess",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // The SQLite store: migrations, the durable outbox, the hash-chained audit trail.
        .target(
            name: "SwitchboardStore",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Delivery targets, configuration, and sending alerts and reports through platform plugins.
        .target(
            name: "Delivery",
            dependencies: [
                "PluginHost", "SwitchboardStore", "SwitchboardPluginKit",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Tenants, principals, roles and rules: who may do what where (deny by default).
        .target(
            name: "Access",
            dependencies: ["PluginHost", "SwitchboardStore"]
        ),
        // posix_spawn with a working directory and closefrom, for running local scripts (needs _GNU_SOURCE).
        .target(name: "CLocalProcess"),
        // Action requests on tickets: plans from action plugins, their execution, the router.
        .target(
            name: "Actions",
            dependencies: [
                "PluginHost", "SwitchboardStore", "Delivery", "Access", "CLocalProcess",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The HTTP face of `switchboard serve`: Datto webhooks, health, metrics, dashboard.
        .target(
            name: "Server",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // An emulated Datto RMM account on loopback: `switchboard demo`, the benchmarks and the tests.
        .target(
            name: "DattoEmulator",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird"), .product(name: "Logging", package: "swift-log")]
        ),
        // Datto RMM inbound: the connection, sites to tenants, device sync, alert webhooks to tickets, failure alerts.
        .target(
            name: "Datto",
            dependencies: [
                "PluginHost", "Delivery", "SwitchboardStore", "Server",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "switchboard",
            dependencies: [
                "PluginHost", "Delivery", "SwitchboardStore", "Actions", "Access", "Datto", "DattoEmulator", "Server",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),

        // What every Swift plugin shares: ABI plumbing, the JSON data model, request helpers.
        // Linked statically into each plugin, so it is built as reproducibly as they are.
        .target(name: "SwitchboardPluginKit", dependencies: ["SwitchboardABI"], packageAccess: false, swiftSettings: reproducibleSwift),

        // The bundled C plugin (the Swift ones follow the list below). Ordinary targets under
        // Plugins/ need an explicit path.
        .target(
            name: "RebootPlugin", dependencies: ["SwitchboardABI"], path: "Plugins/Reboot",
            cSettings: reproducibleC, linkerSettings: reproducibleLink(soname: "libSwitchboardReboot.so")
        ),

        // Benchmarks: `swift run -c release switchboard-bench`.
        .target(name: "BenchmarkBaselines", dependencies: ["CFFI"], path: "Benchmarks/BenchmarkBaselines"),
        .executableTarget(
            name: "switchboard-bench",
            dependencies: [
                "PluginHost", "BenchmarkBaselines", "CFFI", "Delivery", "SwitchboardStore", "Actions", "Access", "Datto", "DattoEmulator", "Server",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Benchmarks/switchboard-bench"
        ),

        // The fuzz targets: the host's parsers and the plugins' parsing roles, each fed one input
        // (Fuzz/run.sh fuzzes them; Tests/FuzzTests replays the corpus and past findings).
        .target(name: "FuzzTargets", dependencies: ["PluginHost", "Delivery", "Server", "Datto"], path: "Fuzz/Targets"),

        // What the test targets share: paths, temporary folders, the real binary, a platform emulator.
        .target(
            name: "TestSupport",
            dependencies: ["PluginHost", "DattoEmulator", .product(name: "Hummingbird", package: "hummingbird")],
            path: "Tests/TestSupport"
        ),
        .testTarget(name: "AccessTests", dependencies: ["Access", "SwitchboardStore", "PluginHost", "TestSupport"]),
        .testTarget(name: "StoreTests", dependencies: ["SwitchboardStore", "TestSupport", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "PluginHostTests", dependencies: ["PluginHost", "CFFI", "CLocalProcess", "TestSupport"]),
        .testTarget(
            name: "DeliveryTests",
            dependencies: [
                "Delivery", "PluginHost", "SwitchboardStore", "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "DattoTests",
            dependencies: [
                "Datto", "DattoEmulator", "Delivery", "PluginHost", "Server", "SwitchboardStore", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "Server",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "FuzzTests", dependencies: ["FuzzTargets", "PluginHost", "TestSupport"]),
        .testTarget(name: "ActionsTests", dependencies: ["Actions", "Delivery", "PluginHost", "SwitchboardStore", "TestSupport", .product(name: "Hummingbird", package: "hummingbird")]),
    ] + swiftPlugins.map { name in
        .target(
            name: "\(name)Plugin", dependencies: ["SwitchboardABI", "SwitchboardPluginKit"], path: "Plugins/\(name)", packageAccess: false,
            swiftSettings: reproducibleSwift, linkerSettings: reproducibleLink(soname: "libSwitchboard\(name).so")
        )
    }
)

// Fuzzing: Fuzz/run.sh builds with SWITCHBOARD_FUZZ=1 in a scratch folder of its own. The modules
// whose parsers are fuzzed and the bundled plugins get libFuzzer's coverage instrumentation and
// AddressSanitizer, the libFuzzer driver `switchboard-fuzz` is added, and whatever the driver does
// not need (the CLI, the benchmarks, the tests) is left out. A normal build is unchanged.
if Context.environment["SWITCHBOARD_FUZZ"] == "1" {
    let sanitize = "-sanitize=fuzzer,address"
    package.targets += [
        .systemLibrary(name: "CLibFuzzer", path: "Fuzz/CLibFuzzer"),
        .executableTarget(name: "switchboard-fuzz", dependencies: ["FuzzTargets", "PluginHost", "CLibFuzzer"], path: "Fuzz/Driver",
                          linkerSettings: [.unsafeFlags([sanitize])]),
    ]
    // Not the driver: compiled with -sanitize=fuzzer, a main module's entry point becomes LLVMFuzzerTestOneInput.
    let instrumented: Set<String> = Set(["PluginHost", "Delivery", "Server", "Datto", "FuzzTargets", "SwitchboardPluginKit",
                                         "RebootPlugin"] + swiftPlugins.map { "\($0)Plugin" })
    let needed = instrumented.union(["CFFI", "SwitchboardABI", "CLocalProcess", "SwitchboardStore", "CLibFuzzer", "switchboard-fuzz"])
    package.targets.removeAll { !needed.contains($0.name) }
    package.products.removeAll { $0.name == "switchboard" }
    for target in package.targets where instrumented.contains(target.name) {
        if target.name == "RebootPlugin" {
            target.cSettings = (target.cSettings ?? []) + [.unsafeFlags(["-fsanitize=fuzzer-no-link,address"])]
        } else {
            target.swiftSettings = (target.swiftSettings ?? []) + [.unsafeFlags([sanitize])]
        }
    }
}
