// Benchmarks for the plugin host, run with `swift run -c release switchboard-bench`.
//
// Every figure is reported next to a baseline measured in the same run: plugin loading per
// plugin, the host's libffi call path against a bare ffi_call and a direct C call to the same
// function, and a cold `switchboard plugins list` process against a process that does nothing.
import BenchmarkBaselines
import Foundation
import PluginHost

@main
struct SwitchboardBench {
    static func main() async throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "load-once" {
            // Child mode: one cold load in a fresh process, so dlopen really maps every library.
            print(try loadOnce(Array(arguments.dropFirst())))
            return
        }
        let rounds = Int(ProcessInfo.processInfo.environment["BENCH_ROUNDS"] ?? "") ?? 15
        let workspace = try Workspace()
        defer { workspace.remove() }
        if arguments.first == "actions" {
            // Only the routed-actions section (its preparation needs no generated plugins).
            try workspace.prepare(generated: 0)
            var report = Report()
            try await actionsSection(workspace: workspace, rounds: rounds, report: &report)
            print(report.text)
            return
        }
        if arguments.first == "isolation" {
            try workspace.prepare(generated: 0)
            var report = Report()
            try isolationSection(workspace: workspace, rounds: rounds, report: &report)
            print(report.text)
            return
        }
        if arguments.first == "datto" {
            try workspace.prepare(generated: 0)
            var report = Report()
            try await dattoSection(workspace: workspace, rounds: rounds, report: &report)
            print(report.text)
            return
        }
        print("Preparing: bundled plugins re-pinned for this build, 100 generated C plugins...")
        try workspace.prepare(generated: 100)

        var report = Report()
        report.section("Plugin loading (fresh process per round: discovery + manifest + checks + sha256 + dlopen + dlsym + ffi_prep_cif + describe + init)")
        for (label, mode) in [("bundled set", ["bundled", workspace.bundledManifests, workspace.products]),
                              ("generated C plugins", ["dropin", workspace.generated])] {
            let samples = try (0..<rounds).map { _ in try workspace.childLoad(mode) }
            let label = "\(label) (\(samples.first?.count ?? 0) plugins)"
            let perPlugin = samples.map { $0.microseconds / Double($0.count) }
            let total = samples.map(\.microseconds)
            report.row(label, "\(format(median(perPlugin), 1)) µs/plugin", "total \(format(median(total) / 1000, 2)) ms",
                       "spread \(format(perPlugin.min() ?? 0, 1))-\(format(perPlugin.max() ?? 0, 1)) µs")
        }

        report.section("Call overhead (median of \(rounds) rounds × 10M calls; same function, same prepared ffi_cif)")
        let catalog = PluginCatalog.load(PluginSearchPath(
            bundled: BundledPlugins(manifests: workspace.bundledManifests, libraries: workspace.products), dropIns: []).discover().candidates)
        let reboot = try catalog.plugin(id: "switchboard.reboot")
        guard let describe = reboot.interface(for: .describe) else { throw BenchError.missing("describe interface") }
        let noop = try CallInterface(signature: CSignature(parsing: "int32(pointer,size,pointer)"),
                                     code: bench_noop_status_address(), symbol: "noop_status")
        for (label, interface, direct, bare, host) in [
            ("describe: pointer()", describe, bench_direct_pointer_calls, bench_ffi_pointer_calls, hostPointerCalls),
            ("noop: int32(pointer,size,pointer)", noop, bench_direct_status_calls, bench_ffi_status_calls, hostStatusCalls),
        ] as [(String, CallInterface, (UnsafeMutableRawPointer?, UInt64) -> UInt64,
               (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UInt64) -> UInt64, (CallInterface, UInt64) -> UInt64)] {
            let iterations: UInt64 = 10_000_000
            var directNs: [Double] = [], bareNs: [Double] = [], hostNs: [Double] = []
            for _ in 0..<rounds {   // interleaved, so a noisy moment hits all three alike
                directNs.append(nanoseconds(per: iterations) { direct(interface.address, iterations) })
                bareNs.append(nanoseconds(per: iterations) { bare(interface.preparedInterface, interface.address, iterations) })
                hostNs.append(nanoseconds(per: iterations) { host(interface, iterations) })
            }
            let (d, b, h) = (median(directNs), median(bareNs), median(hostNs))
            report.row(label, "direct \(format(d, 2)) ns", "bare ffi_call \(format(b, 2)) ns", "host \(format(h, 2)) ns",
                       "host/bare \(format(h / b, 2))x", "host/direct \(format(h / d, 1))x")
        }
        let request = Data(#"{"device":{"id":"local","platform":"local"},"parameters":{"delaySeconds":5}}"#.utf8)
        let dataRole = (0..<rounds).map { _ in
            nanoseconds(per: 100_000) {
                var bytes: UInt64 = 0
                for _ in 0..<100_000 { bytes &+= UInt64((try? reboot.call(.planAction, input: request))?.count ?? 0) }
                return bytes
            }
        }
        report.row("reboot plan_action, JSON in and out (whole data-role call)", "\(format(median(dataRole), 0)) ns/call")

        report.section("Delivery to a loopback receiver (median of \(min(rounds, 5)) rounds × 5000 alerts, 32 in flight)")
        try await DeliveryBenchmark.run(workspace: workspace, alerts: 5000, rounds: min(rounds, 5), report: &report)

        try isolationSection(workspace: workspace, rounds: rounds, report: &report)
        try await actionsSection(workspace: workspace, rounds: rounds, report: &report)
        try await dattoSection(workspace: workspace, rounds: rounds, report: &report)

        report.section("Cold process wall time (median of \(rounds) runs)")
        let floor = try (0..<rounds).map { _ in try workspace.wallMilliseconds("/bin/true", []) }
        let help = try (0..<rounds).map { _ in try workspace.wallMilliseconds(workspace.switchboard, ["--help"]) }
        let list = try (0..<rounds).map { _ in try workspace.wallMilliseconds(workspace.switchboard, ["plugins", "list"]) }
        let listAll = try (0..<rounds).map { _ in
            try workspace.wallMilliseconds(workspace.switchboard, ["plugins", "list", "--plugin-path", workspace.generated])
        }
        report.row("/bin/true (process floor)", "\(format(median(floor), 2)) ms")
        report.row("switchboard --help (no plugins loaded)", "\(format(median(help), 2)) ms")
        report.row("switchboard plugins list (bundled)", "\(format(median(list), 2)) ms", "\(format(median(list) / median(help), 2))x of --help")
        report.row("switchboard plugins list (bundled + 100 drop-ins, each in its own worker)", "\(format(median(listAll), 2)) ms",
                   "\(format(median(listAll) / median(help), 2))x of --help")
        let listInHost = try (0..<rounds).map { _ in
            try workspace.wallMilliseconds(workspace.switchboard, ["plugins", "list", "--plugin-path", workspace.generated],
                                           extra: ["SWITCHBOARD_PLUGIN_ISOLATION": "*=in-process"])
        }
        report.row("switchboard plugins list (bundled + 100 drop-ins, all in process)", "\(format(median(listInHost), 2)) ms",
                   "\(format(median(listInHost) / median(help), 2))x of --help")
        print(report.text)
    }

    static func actionsSection(workspace: Workspace, rounds: Int, report: inout Report) async throws {
        report.section("Routed actions end to end (median of \(min(rounds, 5)) rounds × 20000 reboot requests over 64 devices, 64 in flight)")
        try await ActionBenchmark.run(workspace: workspace, actions: 20_000, devices: 64, concurrency: 64, rounds: min(rounds, 5), report: &report)
    }

    static func isolationSection(workspace: Workspace, rounds: Int, report: inout Report) throws {
        report.section("Process isolation (\(rounds) rounds × 10000 calls each way, interleaved; \(max(rounds * 4, 20)) crashes)")
        try IsolationBenchmark.run(workspace: workspace, calls: 10_000, rounds: rounds, report: &report)
    }

    static func dattoSection(workspace: Workspace, rounds: Int, report: inout Report) async throws {
        let devices = Int(ProcessInfo.processInfo.environment["BENCH_DATTO_DEVICES"] ?? "") ?? 100_000
        report.section("Datto device sync from the emulated API (median of \(min(rounds, 3)) rounds × \(devices) devices, 250 per page, durable store)")
        try await DattoBenchmark.run(workspace: workspace, devices: devices, alerts: 20_000, rounds: min(rounds, 3), report: &report)
    }

    /// Loads the plugins named by `mode` once and returns "<microseconds> <loaded count>".
    static func loadOnce(_ mode: [String]) throws -> String {
        let search: PluginSearchPath
        switch mode.first {
        case "bundled" where mode.count == 3:
            search = PluginSearchPath(bundled: BundledPlugins(manifests: mode[1], libraries: mode[2]), dropIns: [])
        case "dropin" where mode.count == 2:
            search = PluginSearchPath(bundled: nil, dropIns: [(mode[1], .pluginPath)])
        default:
            throw BenchError.missing("load-once mode: bundled MANIFESTS LIBRARIES | dropin DIR")
        }
        var inProcess = IsolationSettings(environment: .current)
        inProcess.overrides["*"] = .inProcess
        let start = ContinuousClock.now
        let catalog = PluginCatalog.load(search.discover().candidates, isolation: inProcess)
        let elapsed = ContinuousClock.now - start
        if let rejected = catalog.rejected.first?.error { throw BenchError.missing("a loadable plugin, got: \(rejected)") }
        return "\(elapsed.microseconds) \(catalog.loaded.count)"
    }

    static func hostPointerCalls(_ interface: CallInterface, _ iterations: UInt64) -> UInt64 {
        var sum: UInt64 = 0
        for _ in 0..<iterations { sum &+= UInt64(UInt(bitPattern: interface.callReturningPointer())) }
        return sum
    }

    static func hostStatusCalls(_ interface: CallInterface, _ iterations: UInt64) -> UInt64 {
        var sum: UInt64 = 0
        withUnsafeMutablePointer(to: &sum) { checksum in
            for index in 0..<iterations {
                checksum.pointee &+= UInt64(bitPattern: Int64(interface.callReturningStatus(checksum, Int(index), nil)))
            }
        }
        return sum
    }
}

enum BenchError: Error {
    case missing(String)
}

/// Temporary files for one benchmark run.
struct Workspace {
    let root: String
    let products: String
    let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    var bundledManifests: String { root + "/Manifests" }
    var generated: String { root + "/generated" }
    var switchboard: String { products + "/switchboard" }

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-bench-\(UUID().uuidString)").path
        products = ((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
            .split(separator: "/").dropLast().reduce("") { $0 + "/" + $1 }
        try FileManager.default.createDirectory(atPath: generated, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }

    /// Copies the bundled manifests and pins them to this build's libraries (release bytes differ
    /// from the debug bytes the committed manifests pin), then builds `generated` C plugins.
    func prepare(generated count: Int) throws {
        try FileManager.default.copyItem(atPath: repository + "/Manifests", toPath: bundledManifests)
        let bundled = PluginSearchPath(bundled: BundledPlugins(manifests: bundledManifests, libraries: products), dropIns: [])
        for candidate in bundled.discover().candidates { _ = try ManifestDigest.refresh(candidate) }

        let include = root + "/include"
        try FileManager.default.createDirectory(atPath: include, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: repository + "/Sources/SwitchboardABI/include/switchboard_plugin.h",
                                        toPath: include + "/switchboard_plugin.h")
        for index in 0..<count {
            let id = String(format: "bench.p%03d", index)
            let folder = generated + "/" + id
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            _ = try run("/usr/bin/env", ["cc", "-shared", "-fPIC", "-O2", "-fvisibility=hidden", "-I", include,
                                         "-DEXAMPLE_ID=\"\(id)\"", "-o", folder + "/libexample.so",
                                         repository + "/Tests/Fixtures/ExamplePlugin/example.c"])
            let manifest = """
                {"id": "\(id)", "name": "Generated \(index)", "version": "0.1.0", "kind": "platform", "platform": "example",
                 "abi": 1, "library": "libexample.so", "sha256": "\(String(repeating: "0", count: 64))",
                 "entryPoints": [
                   {"role": "describe", "symbol": "example_describe", "signature": "pointer()"},
                   {"role": "init", "symbol": "example_init", "signature": "int32(pointer)"},
                   {"role": "render_alert", "symbol": "example_render_alert", "signature": "int32(pointer,size,pointer)"}]}
                """
            try Data(manifest.utf8).write(to: URL(fileURLWithPath: folder + "/manifest.json"))
            _ = try ManifestDigest.refresh(PluginCandidate(manifestPath: folder + "/manifest.json", libraryFolder: folder, origin: .pluginPath))
        }
    }

    /// Runs this benchmark binary in `load-once` mode.
    func childLoad(_ mode: [String]) throws -> (microseconds: Double, count: Int) {
        let output = try run(products + "/switchboard-bench", ["load-once"] + mode).split(separator: " ")
        guard output.count == 2, let microseconds = Double(output[0]), let count = Int(output[1].trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw BenchError.missing("load-once output, got \(output)")
        }
        return (microseconds, count)
    }

    /// Wall time of one run of `executable`, in milliseconds, with the bench's manifests and a
    /// private data directory. Spawned with posix_spawn and reaped with waitpid: Foundation's
    /// Process polls for the child's exit and would add its polling interval to every figure.
    func wallMilliseconds(_ executable: String, _ arguments: [String], extra: [String: String] = [:]) throws -> Double {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.merging(extra) { $1 }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let start = ContinuousClock.now
        guard posix_spawn(&pid, executable, &actions, nil, argv, envp) == 0 else { throw BenchError.missing("spawn \(executable)") }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        let elapsed = ContinuousClock.now - start
        guard status == 0 else { throw BenchError.missing("\(executable) to exit 0 (status \(status))") }
        return elapsed.microseconds / 1000
    }

    /// The environment of every child: no inherited SWITCHBOARD_ settings, a private data
    /// directory, and the bench's own copy of the bundled manifests.
    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SWITCHBOARD_") }
        environment["SWITCHBOARD_HOME"] = root + "/home"
        environment["SWITCHBOARD_BUNDLED_MANIFESTS"] = bundledManifests
        return environment
    }

    @discardableResult
    func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchError.missing("\(executable) \(arguments.joined(separator: " ")) to succeed (exit \(process.terminationStatus))")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// A Markdown report.
struct Report {
    private(set) var text = ""
    mutating func section(_ title: String) { text += "\n### \(title)\n\n" }
    mutating func row(_ cells: String...) { text += "| " + cells.joined(separator: " | ") + " |\n" }
}

func nanoseconds(per iterations: UInt64, _ body: () -> UInt64) -> Double {
    let start = ContinuousClock.now
    let checksum = body()
    let elapsed = ContinuousClock.now - start
    if checksum == 0x5EED_5EED { print("") }   // keeps the loop's result alive
    return elapsed.microseconds * 1000 / Double(iterations)
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

func format(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

extension Duration {
    var microseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1_000_000 + Double(attoseconds) / 1_000_000_000_000
    }
}
