/// A manifest found during discovery, with the folder its library must be in.
public struct PluginCandidate: Sendable, Equatable {
    public let manifestPath: String
    /// The only folder the manifest's `library` may resolve into: the plugin's own folder, or
    /// the build output for bundled plugins.
    public let libraryFolder: String
    public let origin: PluginOrigin

    public init(manifestPath: String, libraryFolder: String, origin: PluginOrigin) {
        self.manifestPath = manifestPath
        self.libraryFolder = libraryFolder
        self.origin = origin
    }
}

/// Where a plugin was found.
public enum PluginOrigin: String, Sendable, Equatable {
    /// The `Manifests/` folder shipped with the host, libraries in the build output.
    case bundled
    /// A folder given with `--plugin-path`.
    case pluginPath = "plugin-path"
    /// A folder listed in `SWITCHBOARD_PLUGIN_PATH`.
    case environment = "env"
    /// `plugins/` under the data directory.
    case dataDirectory = "data-dir"
}
