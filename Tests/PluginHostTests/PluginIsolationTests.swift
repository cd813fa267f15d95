import CLocalProcess
import Foundation
@testable import PluginHost
import Synchronization
import TestSupport
import Testing

/// Process-isolated plugins: real workers (`switchboard plugin-worker`) loading real C plugins
/// that crash, hang and print on request.
@Suite struct PluginIsolationTests {
    /// The faults a catalog reported.
    final class Faults: Sendable {
        let recorded = Mutex<[PluginFault]>([])
        var all: [PluginFault] { recorded.withLock { $0 } }
        var sink: @Sendable (PluginFault) -> Void { { fault in self.recorded.withLock { $0.append(fault) } } }
    }

    static func render(_ plugin: LoadedPlugin, _ json: String) throws(PluginCallError) -> String {
        String(decoding: try plugin.call(.renderAlert, input: Data(json.utf8)), as: UTF8.self)
    }

    @Test func aDropInRunsInAWorkerAndAnswersAsItWouldInProcess() async throws {
        let sandbox = try Sandbox()
        let folder = try await sandbox.examplePlugin(in: "example")
        let isolated = try PluginCatalog.load([sandbox.candidate(folder)]).plugin(id: "example.echo")
        let local = try PluginCatalog.load([sandbox.candidate(folder)], isolation: .inProcessOnly).plugin(id: "example.echo")
        #expect(isolated.isolation == .process)
        #expect(isolated.interface(for: .renderAlert) == nil)
        #expect(local.isolation == .inProcess)
        for input in [#"{"a":[1,2]}"#, #"{"text":"\u00e9\n"}"#, "{\"big\":\"" + String(repeating: "x", count: 200_000) + "\"}"] {
            #expect(try Self.render(isolated, input) == Self.render(local, input))
        }
        // The plugin's own error status and message cross the socket as they are.
        #expect(throws: PluginCallError.failed(plugin: "example.echo", role: .renderAlert, status: 1, message: "input: empty")) {
            try isolated.call(.renderAlert, input: Data())
        }
    }

    struct Crash: Sendable, CustomTestStringConvertible {
        let word: String
        let cause: String
        var testDescription: String { word }
    }

    @Test(arguments: [Crash(word: "segfault", cause: "SIGSEGV"), Crash(word: "abort", cause: "SIGABRT"), Crash(word: "exit", cause: "exit status 3")])
    func aCrashCostsOneCallAndTheWorkerRestarts(_ crash: Crash) async throws {
        let sandbox = try Sandbox()
        let faults = Faults()
        let folder = try await sandbox.faultyPlugin(in: "faulty")
        let plugin = try PluginCatalog.load([sandbox.candidate(folder)], isolation: .workers(sink: faults.sink)).plugin(id: "example.faulty")
        #expect(try Self.render(plugin, #"{"n":1}"#) == #"{"echo":{"n":1}}"#)
        let expected = PluginCallError.crashed(plugin: "example.faulty", role: .renderAlert, cause: crash.cause)
        #expect(throws: expected) { try Self.render(plugin, #"{"do":"\#(crash.word)"}"#) }
        #expect(expected.description == "example.faulty: render_alert crashed the plugin's worker process (\(crash.cause)); the worker will be restarted")
        #expect(try Self.render(plugin, #"{"n":2}"#) == #"{"echo":{"n":2}}"#)
        #expect(faults.all == [PluginFault(pluginID: "example.faulty", version: "1.0.0", sha256: plugin.sha256, role: .renderAlert,
                                           kind: .crashed(cause: crash.cause), message: expected.description)])
    }

    @Test func aWorkerThatDiesWhileIdleCostsNoCall() async throws {
        let sandbox = try Sandbox()
        let faults = Faults()
        let folder = try await sandbox.faultyPlugin(in: "faulty")
        let plugin = try PluginCatalog.load([sandbox.candidate(folder)], isolation: .workers(sink: faults.sink)).plugin(id: "example.faulty")
        #expect(try Self.render(plugin, #"{"n":1}"#) == #"{"echo":{"n":1}}"#)
        let pid = try #require(pluginWorkers(serving: folder + "/manifest.json").first)
        kill(pid, SIGKILL)
        // Dead and not yet reaped (the host reaps it at its next call).
        while sb_has_exited(pid) != 1 { try await Task.sleep(for: .milliseconds(5)) }
        #expect(try Self.render(plugin, #"{"n":2}"#) == #"{"echo":{"n":2}}"#)
        #expect(faults.all == [PluginFault(pluginID: "example.faulty", version: "1.0.0", sha256: plugin.sha256, role: nil, kind: .crashed(cause: "SIGKILL"),
                                           message: "example.faulty: the plugin's worker process ended while idle (SIGKILL)")])
    }

    @Test func aHangIsCutAtTheEntryPointsTimeout() async throws {
        let sandbox = try Sandbox()
        let faults = Faults()
        let folder = try await sandbox.faultyPlugin(in: "faulty", timeoutMs: 200)
        let plugin = try PluginCatalog.load([sandbox.candidate(folder)], isolation: .workers(sink: faults.sink)).plugin(id: "example.faulty")
        let started = ContinuousClock.now
        let expected = PluginCallError.timedOut(plugin: "example.faulty", role: .renderAlert, milliseconds: 200)
        #expect(throws: expected) { try Self.render(plugin, #"{"do":"hang"}"#) }
        let elapsed = ContinuousClock.now - started
        #expect(elapsed >= .milliseconds(200) && elapsed < .seconds(5))
        #expect(expected.description == "example.faulty: render_alert did not answer within 200 ms; the worker was killed and will be restarted")
        #expect(try Self.render(plugin, #"{"n":1}"#) == #"{"echo":{"n":1}}"#)
        #expect(faults.all.map(\.kind) == [.timedOut(milliseconds: 200)])
    }

    @Test func whatAPluginPrintsDoesNotCorruptItsAnswers() async throws {
        let sandbox = try Sandbox()
        let folder = try await sandbox.faultyPlugin(in: "faulty")
        let plugin = try PluginCatalog.load([sandbox.candidate(folder)], isolation: .workers()).plugin(id: "example.faulty")
        for index in 0..<3 {
            #expect(try Self.render(plugin, #"{"print":\#(index)}"#) == #"{"echo":{"print":\#(index)}}"#)
        }
    }

    @Test func concurrentCallsAllGetTheirOwnAnswers() async throws {
        let sandbox = try Sandbox()
        let folder = try await sandbox.faultyPlugin(in: "faulty")
        let plugin = try PluginCatalog.load([sandbox.candidate(folder)], isolation: .workers()).plugin(id: "example.faulty")
        let wrong = await withTaskGroup(of: Int.self) { group in
            for task in 0..<4 {
                group.addTask {
                    (0..<250).filter { call in
                        (try? Self.render(plugin, #"{"t":\#(task),"c":\#(call)}"#)) != #"{"echo":{"t":\#(task),"c":\#(call)}}"#
                    }.count
                }
            }
            return await group.reduce(0, +)
        }
        #expect(wrong == 0)
    }

    @Test func repeatedFaultsQuarantineThePluginUntilItIsReleased() async throws {
        let sandbox = try Sandbox()
        let faults = Faults()
        let drop = try sandbox.folder("drop")
        let folder = try await sandbox.faultyPlugin(in: "drop/faulty")
        let file = sandbox.root + "/home/plugin-quarantine.json"
        let plugin = try PluginCatalog.load([sandbox.candidate(folder)], isolation: .workers(quarantine: file, faultLimit: 3, sink: faults.sink))
            .plugin(id: "example.faulty")
        for _ in 0..<3 {
            #expect(throws: PluginCallError.crashed(plugin: "example.faulty", role: .renderAlert, cause: "SIGSEGV")) {
                try Self.render(plugin, #"{"do":"segfault"}"#)
            }
        }
        let reason = "3 faults within 60 s, the last: SIGSEGV"
        let refused = PluginCallError.quarantined(plugin: "example.faulty", reason: reason)
        #expect(throws: refused) { try Self.render(plugin, #"{"n":1}"#) }
        #expect(refused.description == "example.faulty: quarantined (\(reason)); run `switchboard plugins release example.faulty` to allow calls again")
        #expect(faults.all.map(\.kind) == [.crashed(cause: "SIGSEGV"), .crashed(cause: "SIGSEGV"), .crashed(cause: "SIGSEGV"),
                                           .quarantined(faults: 3, windowSeconds: 60)])
        #expect(plugin.quarantine?.reason == reason)

        // Every host sees it: the CLI lists the plugin as quarantined, and releases it.
        let list = try await sandbox.switchboard(["plugins", "list", "--plugin-path", drop])
        #expect(list.stdout.contains("example.faulty                 platform  1.0.0    1    quarantined  process     plugin-path"))
        #expect(list.stdout.contains("Quarantined (switchboard plugins release ID):\n  example.faulty: since "))
        #expect(list.stdout.contains(": \(reason)"))
        let release = try await sandbox.switchboard(["plugins", "release", "example.faulty"])
        #expect(release.status == 0)
        #expect(release.stdout == "released example.faulty\n")
        let again = try await sandbox.switchboard(["plugins", "release", "example.faulty"])
        #expect(again.status == 1)
        #expect(again.stderr == "switchboard: plugin 'example.faulty' is not quarantined\n")
        // The running host notices the release and calls go through again.
        #expect(plugin.quarantine == nil)
        #expect(try Self.render(plugin, #"{"n":2}"#) == #"{"echo":{"n":2}}"#)
        let audit = try await sandbox.switchboard(["audit", "list", "--event", "plugin.released", "--json"])
        #expect(audit.stdout.contains(#""event":"plugin.released","tenant":null,"actor":"operator:\#(NSUserName())","subject":"plugin:example.faulty""#))
    }

    @Test func aCrashDuringDeliveryCostsThatAlertAndIsAudited() async throws {
        let sandbox = try Sandbox()
        let drop = try sandbox.folder("drop")
        try await sandbox.faultyPlugin(in: "drop/faulty")
        try sandbox.write("""
            {"targets": [{"Name": "faulty", "Platform": "example", "Enabled": true, "APIEndpoint": "http://127.0.0.1:9/x", "MinimumSeverity": "Info"}],
             "delivery": {"MaxAttempts": 1}}
            """, to: "home/config.json")
        let crash = "example.faulty: render_alert crashed the plugin's worker process (SIGSEGV); the worker will be restarted"
        let sent = try await sandbox.switchboard(["alert", "send", "--severity", "Error", "--message", "segfault", "--module", "Disk", "--plugin-path", drop])
        #expect(sent.status == 1)
        #expect(sent.stdout == "faulty (example): failed: \(crash)\n")
        let audit = try await sandbox.switchboard(["audit", "list", "--event", "plugin.*", "--json"])
        guard case .array(let entries) = try JSONValue.parse(Data(audit.stdout.utf8)) else { Issue.record("not a list"); return }
        #expect(entries.count == 1)
        #expect(entries.first?["event"] == .string("plugin.crashed"))
        #expect(entries.first?["outcome"] == .string("SIGSEGV"))
        #expect(entries.first?["error"] == .string(crash))
        #expect(entries.first?["plugin"] == .string("example.faulty@1.0.0"))
        #expect(try await sandbox.switchboard(["audit", "verify"]).status == 0)
    }

    @Test func aPluginItsWorkerCannotLoadIsRejectedWithTheLoadersReason() async throws {
        let sandbox = try Sandbox()
        let folder = try await sandbox.examplePlugin(in: "example", defines: ["EXAMPLE_INIT_STATUS=SB_ERR_INTERNAL"])
        let catalog = PluginCatalog.load([sandbox.candidate(folder)], isolation: .workers())
        #expect(catalog.rejected.first?.error?.description == "\(folder)/manifest.json: example_init: init returned SB_ERR_INTERNAL (3)")
        var missing = IsolationSettings.workers()
        missing.workerExecutable = sandbox.root + "/no-such-switchboard"
        let unavailable = PluginCatalog.load([sandbox.candidate(folder)], isolation: missing)
        #expect(unavailable.rejected.first?.error?.description
                == "\(folder)/manifest.json: worker: cannot start \(sandbox.root)/no-such-switchboard: No such file or directory")
    }

    @Test func aWorkerNeverOutlivesItsHostEvenWhenTheHostIsKilled() async throws {
        let sandbox = try Sandbox()
        let drop = try sandbox.folder("drop")
        let folder = try await sandbox.faultyPlugin(in: "drop/faulty", timeoutMs: 60_000)
        let host = Process()
        host.executableURL = URL(fileURLWithPath: Paths.switchboard)
        host.arguments = ["plugins", "call", "example.faulty", "render_alert", "--input", try sandbox.write(#"{"do":"hang"}"#, to: "hang.json"),
                          "--plugin-path", drop]
        host.environment = ["SWITCHBOARD_HOME": sandbox.root + "/home", "PATH": "/usr/bin:/bin"]
        host.standardError = FileHandle.nullDevice
        try host.run()
        let deadline = ContinuousClock.now + .seconds(30)
        var worker: Int32?
        while worker == nil, ContinuousClock.now < deadline {
            worker = pluginWorkers(serving: folder + "/manifest.json").first
            try await Task.sleep(for: .milliseconds(20))
        }
        let pid = try #require(worker)
        // The worker is busy in the hanging call; the host dies without a chance to clean up.
        try await Task.sleep(for: .milliseconds(200))
        kill(host.processIdentifier, SIGKILL)
        while host.isRunning { try await Task.sleep(for: .milliseconds(5)) }
        var gone = false
        while !gone, ContinuousClock.now < deadline {
            gone = kill(pid, 0) != 0 || Self.isZombie(pid)
            if !gone { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(gone, "worker \(pid) outlived its host")
    }

    @Test func theManifestsIsolationAndTimeoutAreValidated() throws {
        /// The error for a manifest with `isolation` and a render_alert `timeoutMs` (JSON texts), or nil.
        func error(isolation: String = #""process""#, timeout: String = "5000") throws -> String? {
            let text = """
                {"id": "a.b", "name": "A", "version": "1.0.0", "kind": "platform", "platform": "x", "abi": 1, "library": "liba.so",
                 "sha256": "\(String(repeating: "a", count: 64))", "isolation": \(isolation),
                 "entryPoints": [{"role": "describe", "symbol": "d", "signature": "pointer()"},
                                 {"role": "init", "symbol": "i", "signature": "int32(pointer)"},
                                 {"role": "render_alert", "symbol": "r", "signature": "int32(pointer,size,pointer)", "timeoutMs": \(timeout)}]}
                """
            do {
                _ = try Manifest(json: JSONValue.parse(Data(text.utf8)), file: "m.json")
                return nil
            } catch let error as PluginLoadError {
                return error.description
            }
        }
        #expect(try error() == nil)
        #expect(try error(isolation: #""sandbox""#) == "m.json: isolation: unknown isolation 'sandbox' (expected in-process or process)")
        #expect(try error(isolation: "1") == "m.json: isolation: expected string, got integer")
        for bad in ["0", "-5", "600001"] {
            #expect(try error(timeout: bad) == "m.json: entryPoints[2].timeoutMs: must be 1..600000 milliseconds")
        }
        #expect(try error(timeout: #""5s""#) == "m.json: entryPoints[2].timeoutMs: expected integer, got string")
    }

    @Test func theManifestOrTheAdministratorChoosesWhereAPluginRuns() async throws {
        let sandbox = try Sandbox()
        let folder = try await sandbox.examplePlugin(in: "example") { $0["isolation"] = "in-process" }
        var settings = IsolationSettings(environment: .current)
        #expect(try PluginCatalog.load([sandbox.candidate(folder)], isolation: settings).plugin(id: "example.echo").isolation == .inProcess)
        settings.overrides["example.echo"] = .process
        #expect(try PluginCatalog.load([sandbox.candidate(folder)], isolation: settings).plugin(id: "example.echo").isolation == .process)

        // Through the binary: the administrator moves a bundled plugin into a worker; it answers the same.
        let input = #"{"action": "reboot", "ticket": "T-1", "device": {"id": "local", "platform": "local"}, "parameters": {}}"#
        let environment = ["SWITCHBOARD_PLUGIN_ISOLATION": "switchboard.reboot=process"]
        let inWorker = try await sandbox.switchboard(["plugins", "call", "switchboard.reboot", "plan_action", "--input", "-"], environment: environment, stdin: input)
        let inHost = try await sandbox.switchboard(["plugins", "call", "switchboard.reboot", "plan_action", "--input", "-"], stdin: input)
        #expect(inWorker.status == 0)
        #expect(inWorker.stdout == inHost.stdout)
        let list = try await sandbox.switchboard(["plugins", "list", "--json"], environment: environment)
        #expect(list.stdout.contains(#""isolation" : "process""#))
        // The same from the administrator's policy file; the environment wins for one run.
        let policy = try sandbox.write(#"{"plugins": {"isolation": {"switchboard.reboot": "process"}}}"#, to: "policy.json")
        let fromPolicy = try await sandbox.switchboard(["plugins", "inspect", "switchboard.reboot"], environment: ["SWITCHBOARD_POLICY": policy])
        #expect(fromPolicy.stdout.contains("\nisolation   process\n"))
        let overridden = try await sandbox.switchboard(["plugins", "inspect", "switchboard.reboot"],
                                                       environment: ["SWITCHBOARD_POLICY": policy, "SWITCHBOARD_PLUGIN_ISOLATION": "*=in-process"])
        #expect(overridden.stdout.contains("\nisolation   in-process\n"))
        let bad = try await sandbox.switchboard(["plugins", "list"], environment: ["SWITCHBOARD_PLUGIN_ISOLATION": "switchboard.reboot=sandbox"])
        #expect(bad.stderr == "switchboard: warning: SWITCHBOARD_PLUGIN_ISOLATION: 'switchboard.reboot=sandbox' is not ID=in-process or ID=process; ignored\n")
    }

    static func isZombie(_ pid: Int32) -> Bool {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        return status.split(separator: ")").last?.trimmingCharacters(in: .whitespaces).hasPrefix("Z") ?? true
    }
}
