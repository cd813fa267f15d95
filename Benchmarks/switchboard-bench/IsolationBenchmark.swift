import Foundation
import PluginHost

/// The same plugin called in the host and in a worker process, and how long a crashed worker
/// takes to come back.
enum IsolationBenchmark {
    static func run(workspace: Workspace, calls: Int, rounds: Int, report: inout Report) throws {
        let bundled = PluginSearchPath(bundled: BundledPlugins(manifests: workspace.bundledManifests, libraries: workspace.products), dropIns: [])
            .discover().candidates
        let inHost = try PluginCatalog.load(bundled, isolation: settings(.inProcess, workspace)).plugin(id: "switchboard.reboot")
        let inWorker = try PluginCatalog.load(bundled, isolation: settings(.process, workspace)).plugin(id: "switchboard.reboot")
        let request = Data(#"{"action":"reboot","ticket":"T-1","device":{"id":"local","platform":"local"},"parameters":{"delaySeconds":5}}"#.utf8)
        guard try inHost.call(.planAction, input: request) == inWorker.call(.planAction, input: request) else {
            throw BenchError.missing("the same answer in the host and in the worker")
        }
        var hostSamples: [Double] = [], workerSamples: [Double] = []
        for _ in 0..<rounds {   // interleaved, so a noisy moment hits both alike
            hostSamples += try latencies(calls) { _ = try inHost.call(.planAction, input: request) }
            workerSamples += try latencies(calls) { _ = try inWorker.call(.planAction, input: request) }
        }
        let (hostP50, hostP99) = (percentile(hostSamples, 0.5), percentile(hostSamples, 0.99))
        let (workerP50, workerP99) = (percentile(workerSamples, 0.5), percentile(workerSamples, 0.99))
        report.row("Reboot plan_action in the host (in-process)", "p50 \(format(hostP50, 2)) µs", "p99 \(format(hostP99, 2)) µs")
        report.row("Reboot plan_action in a worker process (process)", "p50 \(format(workerP50, 2)) µs", "p99 \(format(workerP99, 2)) µs",
                   "p50 \(format(workerP50 / hostP50, 1))x in-process; +\(format(workerP50 - hostP50, 2)) µs a call")

        let faulty = try workspace.buildFaultyPlugin()
        var crashSettings = settings(.process, workspace)
        crashSettings.faultLimit = Int.max
        let crashing = try PluginCatalog.load([faulty], isolation: crashSettings).plugin(id: "example.faulty")
        let normal = Data(#"{"n":1}"#.utf8), crash = Data(#"{"do":"segfault"}"#.utf8)
        var detected: [Double] = [], restarted: [Double] = [], steady: [Double] = []
        for _ in 0..<max(rounds * 4, 20) {
            steady += try latencies(100) { _ = try crashing.call(.renderAlert, input: normal) }
            let start = ContinuousClock.now
            guard (try? crashing.call(.renderAlert, input: crash)) == nil else { throw BenchError.missing("a crash") }
            let crashed = ContinuousClock.now
            _ = try crashing.call(.renderAlert, input: normal)
            detected.append((crashed - start).microseconds / 1000)
            restarted.append((ContinuousClock.now - crashed).microseconds / 1000)
        }
        let restart = percentile(restarted, 0.5)
        report.row("a crash (SIGSEGV) seen by the caller", "p50 \(format(percentile(detected, 0.5), 2)) ms", "p99 \(format(percentile(detected, 0.99), 2)) ms")
        report.row("first call after a crash: restart (spawn, load, checks, init) + the call", "p50 \(format(restart, 2)) ms",
                   "p99 \(format(percentile(restarted, 0.99), 2)) ms", "\(format(restart * 1000 / percentile(steady, 0.5), 0))x a call to a running worker",
                   "target 50 ms: \(format(restart / 50, 2))x")
    }

    private static func settings(_ isolation: Isolation, _ workspace: Workspace) -> IsolationSettings {
        var settings = IsolationSettings(environment: .current)
        settings.overrides["*"] = isolation
        settings.workerExecutable = workspace.switchboard
        settings.workerEnvironment = workspace.environment
        settings.quarantine = nil
        return settings
    }

    /// Each call's wall time in microseconds.
    private static func latencies(_ count: Int, _ call: () throws -> Void) throws -> [Double] {
        var samples: [Double] = []
        samples.reserveCapacity(count)
        for _ in 0..<count {
            let start = ContinuousClock.now
            try call()
            samples.append((ContinuousClock.now - start).microseconds)
        }
        return samples
    }
}

func percentile(_ values: [Double], _ fraction: Double) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
}

extension Workspace {
    /// Builds the faulty test plugin (it crashes on request) into the workspace.
    func buildFaultyPlugin() throws -> PluginCandidate {
        let folder = root + "/faulty"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try run("/usr/bin/env", ["cc", "-shared", "-fPIC", "-O2", "-fvisibility=hidden", "-I", root + "/include", "-o", folder + "/libfaulty.so",
                                 repository + "/Tests/Fixtures/FaultyPlugin/faulty.c"])
        let manifest = """
            {"id": "example.faulty", "name": "Faulty", "version": "1.0.0", "kind": "platform", "platform": "example", "abi": 1,
             "library": "libfaulty.so", "sha256": "\(String(repeating: "0", count: 64))",
             "entryPoints": [{"role": "describe", "symbol": "faulty_describe", "signature": "pointer()"},
                             {"role": "init", "symbol": "faulty_init", "signature": "int32(pointer)"},
                             {"role": "render_alert", "symbol": "faulty_render_alert", "signature": "int32(pointer,size,pointer)"}]}
            """
        try Data(manifest.utf8).write(to: URL(fileURLWithPath: folder + "/manifest.json"))
        let candidate = PluginCandidate(manifestPath: folder + "/manifest.json", libraryFolder: folder, origin: .pluginPath)
        _ = try ManifestDigest.refresh(candidate)
        return candidate
    }
}
