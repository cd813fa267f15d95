import Delivery
import Foundation
import PluginHost
import SwitchboardStore
import TestSupport

/// A test's temporary folder holding a configuration file and a store.
typealias DeliverySandbox = TemporaryFolder

extension TemporaryFolder {
    /// Writes `json` to `name` (mode 0600 unless given) and returns its path.
    @discardableResult
    func file(_ name: String, _ json: String, mode: mode_t = 0o600) throws -> String {
        try write(json, to: name, mode: mode)
    }

    func configuration(_ json: String, policy: String? = nil, environment: [String: String] = [:]) throws -> DeliveryConfiguration {
        let user = try file("config.json", json)
        let policyFile = try policy.map { try file("policy.json", $0) }
        return try DeliveryConfiguration.load(ConfigurationSources(userFile: user, policyFile: policyFile, environment: environment),
                                              platforms: Paths.platforms)
    }

    func store() throws -> SQLiteStore { try SQLiteStore(path: root + "/switchboard.sqlite") }

    func engine(_ json: String) throws -> (DeliveryEngine, SQLiteStore) {
        let store = try store()
        return (DeliveryEngine(configuration: try configuration(json), plugins: Paths.catalog.loaded, store: store), store)
    }
}

/// A target list with fast retries, for engines under test.
func targets(_ targets: String, timeout: Double = 10, attempts: Int = 8) -> String {
    """
    {"targets": [\(targets)], "delivery": {"TimeoutSeconds": \(timeout), "InitialBackoffSeconds": 0.05, "MaxBackoffSeconds": 0.2, "MaxAttempts": \(attempts)}}
    """
}
