import Foundation
@testable import PluginHost
import TestSupport
import Testing

/// A test's temporary folder, with the helpers that build plugins into it.
typealias Sandbox = TemporaryFolder

extension TemporaryFolder {
    /// Builds the example plugin with plugin id `id` into `<root>/<folder>/libexample.so` with a
    /// matching manifest. `edit` may change the manifest before it is written; the sha256 is
    /// filled in first.
    @discardableResult
    func examplePlugin(in relative: String, id: String = "example.echo", defines: [String] = [],
                       edit: (inout [String: Any]) -> Void = { _ in }) async throws -> String {
        let folder = try self.folder(relative)
        try await compileC(Paths.fixtures + "/ExamplePlugin/example.c", to: folder + "/libexample.so",
                     defines: defines + (id == "example.echo" ? [] : ["EXAMPLE_ID=\"\(id)\""]))
        var manifest = Self.exampleManifest
        manifest["id"] = id
        manifest["sha256"] = try await sha256(of: folder + "/libexample.so")
        edit(&manifest)
        let data = try JSONSerialization.data(withJSONObject: manifest, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: folder + "/manifest.json"))
        return folder
    }

    static var exampleManifest: [String: Any] { [
        "id": "example.echo", "name": "Example echo", "version": "0.1.0", "kind": "platform",
        "platform": "example", "abi": 1, "library": "libexample.so",
        "entryPoints": [
            ["role": "describe", "symbol": "example_describe", "signature": "pointer()"],
            ["role": "init", "symbol": "example_init", "signature": "int32(pointer)"],
            ["role": "render_alert", "symbol": "example_render_alert", "signature": "int32(pointer,size,pointer)"],
        ],
    ] }

    /// Builds the faulty fixture plugin (`Tests/Fixtures/FaultyPlugin`) into `<root>/<relative>`
    /// with a manifest; `timeoutMs` bounds its render_alert in a worker.
    @discardableResult
    func faultyPlugin(in relative: String, id: String = "example.faulty", timeoutMs: Int = 5_000) async throws -> String {
        let folder = try self.folder(relative)
        try await compileC(Paths.fixtures + "/FaultyPlugin/faulty.c", to: folder + "/libfaulty.so", defines: ["FAULTY_ID=\"\(id)\""])
        let manifest: [String: Any] = [
            "id": id, "name": "Faulty", "version": "1.0.0", "kind": "platform", "platform": "example", "abi": 1,
            "library": "libfaulty.so", "sha256": try await sha256(of: folder + "/libfaulty.so"),
            "entryPoints": [
                ["role": "describe", "symbol": "faulty_describe", "signature": "pointer()"],
                ["role": "init", "symbol": "faulty_init", "signature": "int32(pointer)"],
                ["role": "render_alert", "symbol": "faulty_render_alert", "signature": "int32(pointer,size,pointer)", "timeoutMs": timeoutMs],
            ],
        ]
        let data = try JSONSerialization.data(withJSONObject: manifest, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: folder + "/manifest.json"))
        return folder
    }

    func candidate(_ folder: String) -> PluginCandidate {
        PluginCandidate(manifestPath: folder + "/manifest.json", libraryFolder: folder, origin: .pluginPath)
    }
}

/// The plugins `plugins list --json` printed.
func listing(_ result: ProcessResult) throws -> [JSONValue] {
    guard case .array(let items) = try JSONValue.parse(Data(result.stdout.utf8)) else { throw SandboxError.notAListing(result.stdout) }
    return items
}

enum SandboxError: Error {
    case notAListing(String)
}

extension IsolationSettings {
    /// Every plugin in the test process, no quarantine file.
    static var inProcessOnly: IsolationSettings {
        var settings = IsolationSettings(environment: .current)
        settings.overrides["*"] = .inProcess
        settings.quarantine = nil
        return settings
    }

    /// Every plugin in a worker, quarantines in `file` (none: this process only), faults to `sink`.
    static func workers(quarantine file: String? = nil, faultLimit: Int = 5,
                        sink: @escaping @Sendable (PluginFault) -> Void = { _ in }) -> IsolationSettings {
        var settings = IsolationSettings(environment: .current)
        settings.overrides["*"] = .process
        settings.quarantine = file.map(PluginQuarantine.init(file:))
        settings.faultLimit = faultLimit
        settings.faultSink = sink
        return settings
    }
}
