import Actions
import ArgumentParser
import Delivery
import Foundation
import Logging
import SwitchboardStore

/// `switchboard serve`: the long-running host.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the host: keep delivering the outbox, and send the run summary daily.",
        discussion: "Stops on SIGINT or SIGTERM. The daily summary goes to every enabled target with SendDailySummary.")

    @Option(help: ArgumentHelp("The results file the daily summary is read from.", valueName: "file")) var results: String?
    @Option(name: .customLong("summary-at"), help: ArgumentHelp("Local time of the daily summary, HH:MM or HH:MM:SS (default 08:00).", valueName: "time"))
    var summaryAt: String = "08:00"
    @OptionGroup var options: DeliveryOptions

    func validate() throws {
        guard DailySchedule(summaryAt) != nil else { throw ValidationError("--summary-at: expected HH:MM or HH:MM:SS, got '\(summaryAt)'") }
    }

    func run() async throws {
        let context = try options.context()
        try storing { () throws(StoreError) in try PluginAudit.record(context.catalog, in: context.store, actor: Operator.actor) }
        let schedule = DailySchedule(summaryAt).map { ($0, results) }
        let service = DeliveryService(engine: context.engine, summary: schedule.flatMap { schedule, file in file.map { (schedule, $0) } })
        let logger = Logger(label: "switchboard.serve")
        logger.info("serving: \(context.configuration.targets.count) targets")
        let task = Task { try await service.run() }
        let signals = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler { task.cancel() }
            source.resume()
            return source
        }
        _ = try? await task.value
        signals.forEach { $0.cancel() }
        printError("stopped")
    }
}
