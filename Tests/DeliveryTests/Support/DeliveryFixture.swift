import Delivery
import Foundation
import PluginHost
import SwitchboardStore

/// The repository, the build products, and the bundled plugins, as the tests use them.
enum Fixture {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let products: String = {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return (executable as NSString).deletingLastPathComponent
    }()
    static let catalog = PluginCatalog.load(
        PluginSearchPath(bundled: BundledPlugins(manifests: repository + "/Manifests", libraries: products), dropIns: []).discover().candidates)
    static var platforms: [String: Manifest] {
        catalog.loaded.reduce(into: [:]) { if let platform = $1.manifest.platform { $0[platform] = $1.manifest } }
    }
}

/// A temporary folder with a configuration file and a store.
final class DeliverySandbox: Sendable {
    let root: String

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-delivery-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// Writes `json` to `name` (mode 0600 unless given) and returns its path.
    @discardableResult
    func file(_ name: String, _ json: String, mode: mode_t = 0o600) throws -> String {
        let path = root + "/" + name
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, mode)
        return path
    }

    func configuration(_ json: String, policy: String? = nil, environment: [String: String] = [:]) throws -> DeliveryConfiguration {
        let user = try file("config.json", json)
        let policyFile = try policy.map { try file("policy.json", $0) }
        return try DeliveryConfiguration.load(ConfigurationSources(userFile: user, policyFile: policyFile, environment: environment),
                                              platforms: Fixture.platforms)
    }

    func store() throws -> SQLiteStore { try SQLiteStore(path: root + "/switchboard.sqlite") }

    func engine(_ json: String) throws -> (DeliveryEngine, SQLiteStore) {
        let store = try store()
        return (DeliveryEngine(configuration: try configuration(json), plugins: Fixture.catalog.loaded, store: store), store)
    }
}

/// A target list with fast retries, for engines under test.
func targets(_ targets: String, timeout: Double = 1, attempts: Int = 8) -> String {
    """
    {"targets": [\(targets)], "delivery": {"TimeoutSeconds": \(timeout), "InitialBackoffSeconds": 0.05, "MaxBackoffSeconds": 0.2, "MaxAttempts": \(attempts)}}
    """
}
