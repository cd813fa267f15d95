import Foundation
@testable import PluginHost
import Testing

/// Where the repository and the build products are, as seen from the running test bundle.
enum Paths {
    /// The checkout: three levels above this file.
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    /// SwiftPM's products folder: the test runner, the `switchboard` binary and the bundled
    /// plugin libraries all sit in it.
    static let products = ((LibraryFile.realPath("/proc/self/exe") ?? CommandLine.arguments[0]) as NSString).deletingLastPathComponent
    static let header = repository + "/Sources/SwitchboardABI/include/switchboard_plugin.h"
    static let fixtures = repository + "/Tests/Fixtures"
    static let switchboard = products + "/switchboard"
}

/// A temporary folder for one test, removed when the test ends.
final class Sandbox: Sendable {
    let root: String

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// Creates `relative` (and its parents) and returns its path.
    @discardableResult
    func folder(_ relative: String) throws -> String {
        let path = root + "/" + relative
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func write(_ text: String, to relative: String) throws {
        let path = root + "/" + relative
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// The header as a plugin author would have it: copied into an include folder of their own.
    func installHeader() throws -> String {
        let include = try folder("include")
        if !FileManager.default.fileExists(atPath: include + "/switchboard_plugin.h") {
            try FileManager.default.copyItem(atPath: Paths.header, toPath: include + "/switchboard_plugin.h")
        }
        return include
    }

    /// Compiles a C fixture into a shared object with `cc -shared -fPIC`, as an author would.
    func compileC(_ source: String, to output: String, defines: [String] = []) throws {
        let include = try installHeader()
        let result = try runProcess("/usr/bin/env", ["cc", "-shared", "-fPIC", "-O2", "-fvisibility=hidden", "-I", include]
                             + defines.map { "-D" + $0 } + ["-o", output, source])
        guard result.status == 0 else { throw SandboxError.compileFailed(result.stderr) }
        chmod(output, 0o755)
    }

    /// Builds the example plugin with plugin id `id` into `<root>/<folder>/libexample.so` with a
    /// matching manifest. `edit` may change the manifest before it is written; the sha256 is
    /// filled in first.
    @discardableResult
    func examplePlugin(in relative: String, id: String = "example.echo", defines: [String] = [],
                       edit: (inout [String: Any]) -> Void = { _ in }) throws -> String {
        let folder = try self.folder(relative)
        try compileC(Paths.fixtures + "/ExamplePlugin/example.c", to: folder + "/libexample.so",
                     defines: defines + (id == "example.echo" ? [] : ["EXAMPLE_ID=\"\(id)\""]))
        var manifest = Self.exampleManifest
        manifest["id"] = id
        manifest["sha256"] = try sha256(of: folder + "/libexample.so")
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

    /// Runs the real `switchboard` binary with a private data directory and no inherited plugin path.
    func switchboard(_ arguments: [String], environment extra: [String: String] = [:], stdin: String? = nil) throws -> ProcessResult {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SWITCHBOARD_") }
        environment["SWITCHBOARD_HOME"] = root + "/home"
        environment.merge(extra) { $1 }
        return try runProcess(Paths.switchboard, arguments, environment: environment, stdin: stdin)
    }

    func candidate(_ folder: String) -> PluginCandidate {
        PluginCandidate(manifestPath: folder + "/manifest.json", libraryFolder: folder, origin: .pluginPath)
    }
}

struct ProcessResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

enum SandboxError: Error {
    case compileFailed(String)
}

/// Runs a program to completion, capturing its output.
func runProcess(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
         stdin: String? = nil) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = environment ?? ProcessInfo.processInfo.environment
    let out = Pipe(), err = Pipe(), input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    // Read both pipes before waiting, so a chatty child cannot block on a full pipe.
    let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
    let stderrData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
                         stderr: String(decoding: stderrData, as: UTF8.self))
}

func sha256(of path: String) throws -> String {
    let result = try runProcess("/usr/bin/env", ["sha256sum", path])
    return String(result.stdout.prefix(64))
}
