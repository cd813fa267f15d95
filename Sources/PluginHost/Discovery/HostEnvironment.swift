import Foundation

/// What the host reads from its process environment: the data directory, the plugin path
/// variable, and where the bundled plugins are.
public struct HostEnvironment: Sendable {
    /// `SWITCHBOARD_HOME`, else `$XDG_DATA_HOME/switchboard`, else `~/.local/share/switchboard`.
    public let dataDirectory: String
    /// `SWITCHBOARD_PLUGIN_PATH`, split on `:`.
    public let pluginPath: [String]
    /// The bundled `Manifests/` folder and the build output holding the bundled libraries.
    public let bundledPlugins: BundledPlugins?
    /// The folder of the running executable.
    public let executableFolder: String

    public init(variables: [String: String], executablePath: String) {
        if let home = variables["SWITCHBOARD_HOME"], !home.isEmpty {
            dataDirectory = home
        } else if let xdg = variables["XDG_DATA_HOME"], xdg.hasPrefix("/") {
            dataDirectory = xdg + "/switchboard"
        } else {
            let home = variables["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
            dataDirectory = home + "/.local/share/switchboard"
        }
        pluginPath = (variables["SWITCHBOARD_PLUGIN_PATH"] ?? "").split(separator: ":").map(String.init)
        let libraries = (executablePath as NSString).deletingLastPathComponent
        executableFolder = libraries
        if let manifests = variables["SWITCHBOARD_BUNDLED_MANIFESTS"], !manifests.isEmpty {
            bundledPlugins = BundledPlugins(manifests: manifests, libraries: libraries)
        } else {
            bundledPlugins = Self.locateBundledManifests(from: libraries).map { BundledPlugins(manifests: $0, libraries: libraries) }
        }
    }

    /// The environment of this process.
    public static var current: HostEnvironment {
        let executable = LibraryFile.realPath("/proc/self/exe") ?? CommandLine.arguments[0]
        return HostEnvironment(variables: ProcessInfo.processInfo.environment, executablePath: executable)
    }

    /// Finds `Manifests/` for a host running from a build folder (`<checkout>/.build/<triple>/debug`)
    /// or installed beside `share/switchboard/Manifests`.
    private static func locateBundledManifests(from executableFolder: String) -> String? {
        let installed = ((executableFolder as NSString).deletingLastPathComponent as NSString)
            .appendingPathComponent("share/switchboard/Manifests")
        if PluginSearchPath.isDirectory(installed) { return installed }
        var folder = executableFolder
        for _ in 0..<5 {
            folder = (folder as NSString).deletingLastPathComponent
            let candidate = folder + "/Manifests"
            if PluginSearchPath.isDirectory(candidate), FileManager.default.fileExists(atPath: folder + "/Package.swift") {
                return candidate
            }
            if folder == "/" { break }
        }
        return nil
    }
}

/// The plugins shipped with the host: manifests in `Manifests/`, libraries in the build output.
public struct BundledPlugins: Sendable, Equatable {
    public let manifests: String
    public let libraries: String
    public init(manifests: String, libraries: String) {
        self.manifests = manifests
        self.libraries = libraries
    }
}
