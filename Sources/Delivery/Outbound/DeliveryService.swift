import Foundation
import Logging
import SwitchboardStore

/// What `switchboard serve` runs for delivery: keeps draining the outbox (messages queued by other
/// commands, retries falling due, messages left behind by a crash), and sends the run summary once
/// a day.
///
/// ```swift
/// let service = DeliveryService(engine: engine, summary: (DailySchedule("07:00")!, "/var/lib/agent/results.json"))
/// try await service.run()   // until the task is cancelled
/// ```
public struct DeliveryService: Sendable {
    let engine: DeliveryEngine
    /// When to send the daily summary, and the results file it is read from.
    let summary: (schedule: DailySchedule, results: String)?
    let logger: Logger
    /// The longest the worker sleeps between looks at the outbox.
    let pollInterval: Duration

    public init(engine: DeliveryEngine, summary: (schedule: DailySchedule, results: String)?, pollInterval: Duration = .seconds(2),
                logger: Logger = Logger(label: "switchboard.serve")) {
        self.engine = engine
        self.summary = summary
        self.pollInterval = pollInterval
        self.logger = logger
    }

    /// Runs until cancelled.
    public func run() async throws {
        var nextSummary = summary.map { $0.schedule.next(after: Date()) }
        while !Task.isCancelled {
            if let due = nextSummary, let summary, due <= Date() {
                sendSummary(from: summary.results)
                nextSummary = summary.schedule.next(after: Date())
            }
            do {
                _ = try await engine.deliver(among: nil, patience: .seconds(0))
            } catch {
                logger.error("outbox: \(error)")
            }
            var wait = pollInterval
            if let due = nextSummary {
                let untilSummary = Duration.milliseconds(max(0, Int(due.timeIntervalSinceNow * 1000)))
                wait = min(wait, untilSummary)
            }
            try? await Task.sleep(for: wait)
        }
    }

    private func sendSummary(from file: String) {
        guard let data = FileManager.default.contents(atPath: file) else {
            logger.warning("daily summary: cannot read the results file \(file); nothing sent today")
            return
        }
        do {
            let queued = try engine.enqueue(report: RunSummary(results: data, file: file))
            logger.info("daily summary queued for \(queued.count) targets")
        } catch let error as ConfigurationErrors {
            logger.warning("daily summary: \(error)")
        } catch {
            logger.error("daily summary: \(error)")
        }
    }
}
