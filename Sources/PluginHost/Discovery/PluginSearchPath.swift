import Foundation

/// The places plugins are discovered, in order: bundled manifests, `--plugin-path` folders,
/// `SWITCHBOARD_PLUGIN_PATH` folders, then `plugins/` under the data directory.
///
/// ```swift
/// let search = PluginSearchPath(environment: .current, pluginPaths: ["/opt/plugins"])
/// let catalog = PluginCatalog.load(search.discover().candidates)
/// ```
public struct PluginSearchPath: Sendable {
    /// The bundled `Manifests/` folder and the folder holding the bundled libraries.
    public var bundled: BundledPlugins?
    /// Drop-in folders with their origin, searched in order.
    public var dropIns: [(folder: String, origin: PluginOrigin)]

    public init(bundled: BundledPlugins?, dropIns: [(folder: String, origin: PluginOrigin)]) {
        self.bundled = bundled
        self.dropIns = dropIns
    }

    /// The search path of a host process: bundled plugins, then `pluginPaths` (from the command
    /// line), then the environment's `SWITCHBOARD_PLUGIN_PATH`, then the data directory.
    public init(environment: HostEnvironment, pluginPaths: [String]) {
        bundled = environment.bundledPlugins
        dropIns = pluginPaths.map { ($0, .pluginPath) }
            + environment.pluginPath.map { ($0, .environment) }
            + [(environment.dataDirectory + "/plugins", .dataDirectory)]
    }

    /// The manifests found, plus a warning for each explicitly named folder that does not exist.
    public func discover() -> (candidates: [PluginCandidate], warnings: [String]) {
        var candidates: [PluginCandidate] = []
        var warnings: [String] = []
        if let bundled {
            for name in Self.sortedContents(of: bundled.manifests)
            where name.hasSuffix(".json") && !name.hasSuffix(".schema.json") {
                candidates.append(PluginCandidate(manifestPath: bundled.manifests + "/" + name,
                                                  libraryFolder: bundled.libraries, origin: .bundled))
            }
        }
        for (folder, origin) in dropIns {
            guard Self.isDirectory(folder) else {
                if origin != .dataDirectory { warnings.append("plugin folder \(folder) (\(origin.rawValue)) does not exist") }
                continue
            }
            candidates += Self.pluginFolders(in: folder).map {
                PluginCandidate(manifestPath: $0 + "/manifest.json", libraryFolder: $0, origin: origin)
            }
        }
        return (candidates, warnings)
    }

    /// `folder` itself when it holds a `manifest.json`, otherwise its subfolders that do.
    public static func pluginFolders(in folder: String) -> [String] {
        let trimmed = folder.count > 1 && folder.hasSuffix("/") ? String(folder.dropLast()) : folder
        if FileManager.default.fileExists(atPath: trimmed + "/manifest.json") { return [trimmed] }
        return sortedContents(of: trimmed)
            .map { trimmed + "/" + $0 }
            .filter { isDirectory($0) && FileManager.default.fileExists(atPath: $0 + "/manifest.json") }
    }

    private static func sortedContents(of folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
