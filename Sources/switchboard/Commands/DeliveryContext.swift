import ArgumentParser
import Delivery
import Foundation
import Logging
import PluginHost
import SwitchboardStore

/// Where delivery reads its configuration and plugins from.
struct DeliveryOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The configuration file (default: SWITCHBOARD_CONFIG, else config.json in the data directory).", valueName: "file"))
    var config: String?
    /// Also holds `--policy`, the administrator's policy file, which wins over the configuration.
    @OptionGroup var paths: PluginPathOptions

    /// Loads plugins, configuration and the store, or prints what is wrong and fails.
    func context() throws -> DeliveryContext {
        let catalog = paths.loadCatalog()
        let environment = HostEnvironment.current
        let configuration: DeliveryConfiguration
        do {
            let sources = try ConfigurationSources.resolve(configOption: config, policyOption: paths.policy,
                                                           environment: ProcessInfo.processInfo.environment,
                                                           dataDirectory: environment.dataDirectory)
            configuration = try DeliveryConfiguration.load(sources, platforms: catalog.platformManifests)
        } catch {
            error.problems.forEach { printError($0.description) }
            throw ExitCode.failure
        }
        let store = try SQLiteStore.openInDataDirectory()
        let engine = DeliveryEngine(configuration: configuration, plugins: catalog.loaded, store: store,
                                    logger: Logger(label: "switchboard.delivery"))
        return DeliveryContext(catalog: catalog, configuration: configuration, store: store, engine: engine)
    }
}

/// Everything a delivery command works with.
struct DeliveryContext {
    let catalog: PluginCatalog
    let configuration: DeliveryConfiguration
    let store: SQLiteStore
    let engine: DeliveryEngine
}

/// How outbox messages are shown.
enum OutboxFormat {
    static func line(_ message: OutboxMessage) -> String {
        let what = "\(message.target) (\(message.platform)):"
        let status = message.lastHTTPStatus.map { "HTTP \($0)" }
        switch message.status {
        case .delivered:
            let facts = [status, message.remoteID.map { "created \($0)" }].compactMap { $0 }
            return "\(what) delivered" + (facts.isEmpty ? "" : " (\(facts.joined(separator: ", ")))")
        case .pending, .sending:
            return "\(what) queued, next attempt \(message.nextAttemptAt.formatted(.iso8601))"
                + (message.lastError.map { " after: \($0)" } ?? "")
        case .dead:
            return "\(what) failed: \(message.lastError ?? status ?? "unknown error")"
        }
    }

    static func json(_ message: OutboxMessage) -> JSONValue {
        func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        return .object([
            "id": .integer(message.id), "target": .string(message.target), "platform": .string(message.platform),
            "kind": .string(message.kind), "status": .string(message.status.rawValue), "attempts": .integer(Int64(message.attempts)),
            "httpStatus": message.lastHTTPStatus.map { .integer(Int64($0)) } ?? .null, "error": text(message.lastError),
            "remoteId": text(message.remoteID), "idempotencyKey": .string(message.idempotencyKey),
            "correlationId": .string(message.correlationID), "createdAt": .string(message.createdAt.formatted(.iso8601)),
            "nextAttemptAt": .string(message.nextAttemptAt.formatted(.iso8601)),
            "deliveredAt": text(message.deliveredAt.map { $0.formatted(.iso8601) }),
        ])
    }

    /// Prints the outcome of a delivery run and fails when a message was dead-lettered.
    static func report(_ messages: [OutboxMessage], json: Bool) throws {
        if json {
            print(JSONValue.array(messages.map(Self.json)).text(pretty: true))
        } else {
            messages.forEach { print(line($0)) }
        }
        if messages.contains(where: { $0.status == .dead }) { throw ExitCode.failure }
    }
}

extension PluginCatalog {
    /// The manifests of the loaded platform plugins, by platform id.
    var platformManifests: [String: Manifest] {
        loaded.reduce(into: [:]) { result, plugin in
            if plugin.manifest.kind == .platform, let platform = plugin.manifest.platform, result[platform] == nil {
                result[platform] = plugin.manifest
            }
        }
    }
}
