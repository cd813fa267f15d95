import Foundation
import FuzzTargets
import PluginHost

/// The target named on the command line; a global, as libFuzzer's callback cannot capture.
enum Selection {
    static let targets = FuzzTarget.all(plugins: instrumentedPlugins())
    static let target = CommandLine.arguments.count > 1 ? targets.first { $0.name == CommandLine.arguments[1] } : nil

    /// The bundled plugins as the fuzz build made them: instrumented, so the digests in Manifests/
    /// (which pin the normal debug build) do not match them. The manifests are copied to a
    /// temporary folder and re-pinned there by `ManifestDigest.refresh` (`plugins refresh-digests`).
    private static func instrumentedPlugins() -> PluginCatalog {
        guard let bundled = HostEnvironment.current.bundledPlugins else { return PluginCatalog.load([]) }
        let files = FileManager.default
        let folder = files.temporaryDirectory.appendingPathComponent("switchboard-fuzz-\(getpid())").path
        defer { try? files.removeItem(atPath: folder) }
        do {
            try files.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for name in try files.contentsOfDirectory(atPath: bundled.manifests) where name.hasSuffix(".json") {
                try files.copyItem(atPath: bundled.manifests + "/" + name, toPath: folder + "/" + name)
            }
        } catch {
            report("cannot copy the bundled manifests: \(error)")
        }
        let candidates = PluginSearchPath(bundled: BundledPlugins(manifests: folder, libraries: bundled.libraries), dropIns: [])
            .discover().candidates
        for candidate in candidates { _ = try? ManifestDigest.refresh(candidate) }
        let catalog = PluginCatalog.load(candidates)
        for entry in catalog.rejected { report("plugin not loaded: \(entry.error.map(String.init(describing:)) ?? "?")") }
        return catalog
    }

    /// A line on standard error.
    static func report(_ text: String) {
        FileHandle.standardError.write(Data("switchboard-fuzz: \(text)\n".utf8))
    }
}

/// One input for the selected target; a broken property stops the run like a crash. Exported under
/// libFuzzer's name because its own main, linked in but unused, refers to it.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let target = Selection.target else { return 0 }
    if case .broken(let problem) = target.run(Array(UnsafeBufferPointer(start: data, count: size))) {
        fatalError("\(target.name): \(problem)")
    }
    return 0
}
