import Foundation
import PluginHost

/// Builds the C fixture plugins of `Tests/Fixtures` as an author would, with `cc -shared -fPIC`.
extension TemporaryFolder {
    /// The header as a plugin author would have it: copied into an include folder of their own.
    public func installHeader() throws -> String {
        let include = try folder("include")
        if !FileManager.default.fileExists(atPath: include + "/switchboard_plugin.h") {
            try FileManager.default.copyItem(atPath: Paths.header, toPath: include + "/switchboard_plugin.h")
        }
        return include
    }

    /// Compiles a C fixture into a shared object.
    public func compileC(_ source: String, to output: String, defines: [String] = []) async throws {
        let include = try installHeader()
        let result = try await runProcess("/usr/bin/env", ["cc", "-shared", "-fPIC", "-O2", "-fvisibility=hidden", "-I", include]
                             + defines.map { "-D" + $0 } + ["-o", output, source])
        guard result.status == 0 else { throw PluginFixtureError.compileFailed(result.stderr) }
        chmod(output, 0o755)
    }

    /// Builds the faulty fixture plugin (`Tests/Fixtures/FaultyPlugin`, which crashes, hangs or
    /// prints on request) into `<root>/<relative>` with its manifest: a platform plugin
    /// (render_alert), or with `action` the action plugin of that name (plan_action, permission
    /// `action:reboot`, on Datto devices). `timeoutMs` bounds its data role in a worker.
    @discardableResult
    public func faultyPlugin(in relative: String, id: String = "example.faulty", action: String? = nil, timeoutMs: Int = 5_000) async throws -> String {
        let folder = try self.folder(relative)
        try await compileC(Paths.fixtures + "/FaultyPlugin/faulty.c", to: folder + "/libfaulty.so", defines: ["FAULTY_ID=\"\(id)\""])
        var manifest: [String: Any] = [
            "id": id, "name": "Faulty", "version": "1.0.0", "abi": 1, "library": "libfaulty.so",
            "sha256": try await sha256(of: folder + "/libfaulty.so"),
        ]
        let data: [String: Any]
        if let action {
            manifest.merge(["kind": "action", "action": action, "permission": "action:reboot", "platforms": ["datto"],
                            "parameters": [["name": "note", "type": "string", "maxLength": 64]]]) { $1 }
            data = ["role": "plan_action", "symbol": "faulty_plan_action", "signature": "int32(pointer,size,pointer)", "timeoutMs": timeoutMs]
        } else {
            manifest.merge(["kind": "platform", "platform": "example"]) { $1 }
            data = ["role": "render_alert", "symbol": "faulty_render_alert", "signature": "int32(pointer,size,pointer)", "timeoutMs": timeoutMs]
        }
        manifest["entryPoints"] = [
            ["role": "describe", "symbol": "faulty_describe", "signature": "pointer()"],
            ["role": "init", "symbol": "faulty_init", "signature": "int32(pointer)"],
            data,
        ]
        let json = try JSONSerialization.data(withJSONObject: manifest, options: [.prettyPrinted, .sortedKeys])
        try json.write(to: URL(fileURLWithPath: folder + "/manifest.json"))
        return folder
    }

    /// The drop-in candidate of a plugin folder.
    public func candidate(_ folder: String) -> PluginCandidate {
        PluginCandidate(manifestPath: folder + "/manifest.json", libraryFolder: folder, origin: .pluginPath)
    }
}

public enum PluginFixtureError: Error {
    case compileFailed(String)
}

extension IsolationSettings {
    /// Every plugin in the test process, no quarantine file.
    public static var inProcessOnly: IsolationSettings {
        var settings = IsolationSettings(environment: .current)
        settings.overrides["*"] = .inProcess
        settings.quarantine = nil
        return settings
    }

    /// Every plugin (or those in `only`) in a worker, quarantines in `file` (none: this process
    /// only), faults to `sink`.
    public static func workers(only: [String]? = nil, quarantine file: String? = nil, faultLimit: Int = 5,
                               sink: @escaping @Sendable (PluginFault) -> Void = { _ in }) -> IsolationSettings {
        var settings = IsolationSettings(environment: .current)
        if let only {
            for id in only { settings.overrides[id] = .process }
        } else {
            settings.overrides["*"] = .process
        }
        settings.quarantine = file.map(PluginQuarantine.init(file:))
        settings.faultLimit = faultLimit
        settings.faultSink = sink
        return settings
    }
}
