import ArgumentParser
import Datto
import Delivery
import Foundation
import PluginHost
import SwitchboardStore

/// What the `datto` commands and `serve` work with: the settings file, the store, the plugins, and
/// the delivery engine that failure alerts and notifications go through.
struct DattoContext {
    let settingsFile: String
    let settings: DattoSettings
    let delivery: DeliveryContext

    var store: SQLiteStore { delivery.store }

    /// The delivery context (configuration, plugins, store) and the Datto settings, or what is wrong and a failure exit.
    init(options: DeliveryOptions) throws {
        delivery = try options.context()
        settingsFile = HostEnvironment.current.dataDirectory + "/" + DattoSettings.fileName
        settings = try Self.loadSettings(settingsFile)
    }

    static func loadSettings(_ file: String) throws -> DattoSettings {
        do { return try DattoSettings.load(file: file) } catch {
            error.problems.forEach { printError($0.description) }
            throw ExitCode.failure
        }
    }

    /// The connection, or why there is none and a failure exit.
    func connection() throws -> DattoConnection {
        do { return try DattoConnection(settings: settings, file: settingsFile, plugins: delivery.catalog.loaded) } catch {
            printError(error.description)
            throw ExitCode.failure
        }
    }

    /// A client for the connected account.
    func client(limiter: RateLimiter = .datto()) throws -> DattoClient {
        DattoClient(connection: try connection(), transport: AsyncHTTPTransport(), policy: delivery.configuration.policy, limiter: limiter)
    }

    /// The engine failure alerts go through; nil when no target is enabled.
    var engine: DeliveryEngine? { delivery.configuration.targets.contains(where: \.enabled) ? delivery.engine : nil }

    func failures(actor: String) -> FailureAlerts {
        FailureAlerts(settings: settings.failureAlerts, store: store, engine: engine, actor: actor)
    }

    /// Tries once to deliver what was just queued (failure alerts, notifications); the rest stays in the outbox for `serve`.
    func deliver(_ messages: [OutboxMessage]) async {
        guard !messages.isEmpty else { return }
        do {
            for message in try await delivery.engine.deliver(among: messages.map(\.id), patience: .seconds(0)) where message.status != .delivered {
                printError("failure alert: \(OutboxFormat.line(message))")
            }
        } catch {
            printError(error.description)
        }
    }
}

/// `datto.json`'s path and current settings, for the commands that only change the file.
struct DattoSettingsFile {
    let path = HostEnvironment.current.dataDirectory + "/" + DattoSettings.fileName

    func load() throws -> DattoSettings { try DattoContext.loadSettings(path) }

    func save(_ settings: DattoSettings) throws {
        do { try settings.save(file: path) } catch {
            error.problems.forEach { printError($0.description) }
            throw ExitCode.failure
        }
    }
}
