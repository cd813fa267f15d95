import Foundation
import PluginHost

/// Where the repository and the build products are, as seen from the running test bundle.
public enum Paths {
    /// The checkout: three levels above this file.
    public static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    /// SwiftPM's products folder: the test runner, the `switchboard` binary and the bundled
    /// plugin libraries all sit in it.
    public static let products = ((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        .split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
    public static let header = repository + "/Sources/SwitchboardABI/include/switchboard_plugin.h"
    public static let fixtures = repository + "/Tests/Fixtures"
    public static let manifests = repository + "/Manifests"
    public static let switchboard = products + "/switchboard"

    /// The bundled plugins, loaded once for the whole test run.
    public static let catalog = PluginCatalog.load(
        PluginSearchPath(bundled: BundledPlugins(manifests: manifests, libraries: products), dropIns: []).discover().candidates)

    /// The bundled platform plugins' manifests by platform id, as configuration loading takes them.
    public static var platforms: [String: Manifest] {
        catalog.loaded.reduce(into: [:]) { if let platform = $1.manifest.platform { $0[platform] = $1.manifest } }
    }
}
