import Actions
import ArgumentParser
import Datto
import Delivery
import Foundation
import Logging
import Server
import SwitchboardStore

/// `switchboard serve`: the long-running host.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the host: Datto webhooks, health, metrics and dashboard over HTTP; device sync; the outbox; the daily summary.",
        discussion: """
            Serves POST /v1/webhooks/datto (authenticated with the secret from switchboard datto webhook-secret), GET /healthz, \
            GET /metrics (Prometheus) and GET / (dashboard). When Datto RMM is connected, syncs devices at start and then every \
            --sync-interval. Resolves the tickets of resolved alerts after the configured delay, raises failure alerts, keeps \
            delivering the outbox, and sends the daily summary to every enabled target with SendDailySummary. Stops gracefully on \
            SIGINT or SIGTERM: requests in flight finish, and nothing they committed is lost.
            """)

    @Option(help: ArgumentHelp("The address to listen on.", valueName: "addr")) var bind = "127.0.0.1"
    @Option(help: ArgumentHelp("The port to listen on (0: any free port, printed at start).", valueName: "n")) var port = 8080
    @Option(name: .customLong("sync-interval"), help: ArgumentHelp("How often to sync Datto devices: 15m, 1h or 4h (default: datto.json's syncInterval, else 1h).", valueName: "interval"))
    var syncInterval: String?
    @Flag(name: .customLong("no-sync"), help: "Do not sync Datto devices.") var noSync = false
    @Option(name: .customLong("body-limit"), help: ArgumentHelp("The largest webhook body accepted, in bytes.", valueName: "bytes")) var bodyLimit = 65_536
    @Option(help: ArgumentHelp("The results file the daily summary is read from.", valueName: "file")) var results: String?
    @Option(name: .customLong("summary-at"), help: ArgumentHelp("Local time of the daily summary, HH:MM or HH:MM:SS (default 08:00).", valueName: "time"))
    var summaryAt: String = "08:00"
    @OptionGroup var options: DeliveryOptions

    func validate() throws {
        guard DailySchedule(summaryAt) != nil else { throw ValidationError("--summary-at: expected HH:MM or HH:MM:SS, got '\(summaryAt)'") }
        if let syncInterval, DattoSettings.SyncInterval(rawValue: syncInterval) == nil {
            throw ValidationError("--sync-interval: expected one of 15m, 1h, 4h, got '\(syncInterval)'")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port: expected 0 to 65535, got \(port)") }
        guard bodyLimit > 0 else { throw ValidationError("--body-limit: expected a positive number of bytes, got \(bodyLimit)") }
    }

    func run() async throws {
        let context = try DattoContext(options: options)
        let delivery = context.delivery
        try storing { () throws(StoreError) in try PluginAudit.record(delivery.catalog, in: delivery.store, actor: Operator.actor) }
        let logger = Logger(label: "switchboard.serve")
        let settings = context.settings
        let client = settings.isConnected ? try context.client() : nil
        let failures = context.failures(actor: "switchboard:serve")
        let resolver = AutoResolver(store: context.store, settings: settings.autoResolve, engine: context.engine)
        let ingest = AlertIngest(store: context.store, client: client, settings: settings, failures: failures, resolver: resolver)
        let interval = syncInterval.flatMap(DattoSettings.SyncInterval.init(rawValue:)) ?? settings.syncInterval
        let sync = noSync ? nil : client.map { DeviceSync(client: $0, store: context.store, failures: failures, actor: "switchboard:serve") }
        let datto = DattoService(sync: sync, interval: interval.duration, resolver: resolver, failures: failures)
        let schedule = DailySchedule(summaryAt).map { ($0, results) }
        let outbox = DeliveryService(engine: delivery.engine, summary: schedule.flatMap { schedule, file in file.map { (schedule, $0) } })
        let store = context.store
        let secretFile = context.settingsFile
        let server = SwitchboardServer(
            configuration: ServerConfiguration(bind: bind, port: port, bodyLimit: bodyLimit), receiver: ingest,
            secret: { (try? DattoSettings.load(file: secretFile))?.webhookSecret },
            metrics: { (try? DattoStatus(settings: settings, store: store))?.metricFamilies ?? [] },
            dashboard: {
                guard let status = try? DattoStatus(settings: settings, store: store) else { return DashboardPage(title: "Switchboard: the store cannot be read") }
                return status.dashboardPage(sites: (try? store.dattoSites()) ?? [], syncs: (try? store.syncRuns(limit: 10)) ?? [])
            },
            onRejection: { rejection in
                try? store.append([AuditEntry(event: "datto.webhook.rejected", actor: AlertIngest.actor, outcome: rejection.reason.rawValue,
                                              error: rejection.message, details: ["status": String(rejection.status), "remote": rejection.remoteAddress ?? "-"])])
            })
        let serving = Task {
            await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await server.run { port in
                        FileHandle.standardOutput.write(Data("listening on http://\(bind):\(port) (POST /v1/webhooks/datto, GET /healthz, /metrics, /)\n".utf8))
                    }
                }
                group.addTask { try await outbox.run() }
                group.addTask { await datto.run() }
                do { try await group.next() } catch { logger.error("serve stopped: \(error)") ; printError("\(error)") }
                group.cancelAll()
            }
        }
        logger.info("serving: \(delivery.configuration.targets.count) targets, Datto \(client == nil ? "not connected" : "connected")")
        let signals = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler { serving.cancel() }
            source.resume()
            return source
        }
        await serving.value
        signals.forEach { $0.cancel() }
        printError("stopped")
    }
}
