import ArgumentParser
import Delivery
import Foundation
import PluginHost

/// `switchboard alert send`: an alert to every enabled target whose settings let it through.
struct AlertCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "alert", abstract: "Send alerts to the delivery targets.",
                                                    subcommands: [Send.self])

    struct Send: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue an alert in the durable outbox for every target that accepts it, then deliver it.",
            discussion: "A target accepts an alert when it is Enabled, the severity is at least its MinimumSeverity, and its SendOn<Phase> allows the phase. Exits 1 when a target refused the alert for good.")

        @Option(help: "Info, Warning, Error or Critical.") var severity: String
        @Option(help: "What happened.") var message: String
        @Option(help: "The module that raised the alert.") var module: String
        @Option(help: "detection, remediation or verification.") var phase: String?
        @Option(name: .customLong("data-json"), help: ArgumentHelp("Extra data, a JSON object.", valueName: "json")) var dataJSON: String?
        @Option(help: "Seconds to keep retrying before leaving the rest to the outbox (default 30).") var wait: Int = 30
        @Flag(help: "Print the outcome as JSON.") var json = false
        @OptionGroup var options: DeliveryOptions

        func validate() throws {
            guard AlertSeverity(name: severity) != nil else {
                throw ValidationError("--severity: expected one of Info, Warning, Error, Critical, got '\(severity)'")
            }
            if let phase, AlertPhase(rawValue: phase.lowercased()) == nil {
                throw ValidationError("--phase: expected detection, remediation or verification, got '\(phase)'")
            }
            guard !message.isEmpty, !module.isEmpty else { throw ValidationError("--message and --module must not be empty") }
            if let dataJSON {
                guard case .object? = try? JSONValue.parse(Data(dataJSON.utf8)) else { throw ValidationError("--data-json: expected a JSON object") }
            }
        }

        func run() async throws {
            let context = try options.context()
            var data: [String: JSONValue] = [:]
            if let dataJSON, case .object(let members)? = try? JSONValue.parse(Data(dataJSON.utf8)) { data = members }
            let alert = AlertEvent(severity: AlertSeverity(name: severity) ?? .info, module: module, message: message,
                                   phase: phase.flatMap { AlertPhase(rawValue: $0.lowercased()) }, data: data)
            let queued = try context.engine.enqueue(alert: alert)
            guard !queued.isEmpty else {
                printError("no enabled target accepts a \(alert.severity.rawValue) alert\(alert.phase.map { " in the \($0.rawValue) phase" } ?? "")")
                if json { print("[]") }
                return
            }
            try OutboxFormat.report(await context.engine.deliver(among: queued.map(\.id), patience: .seconds(Int64(wait))), json: json)
        }
    }
}

/// `switchboard report send`: a run summary to the targets with SendDailySummary.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "report", abstract: "Send run summaries to the delivery targets.",
                                                    subcommands: [Send.self])

    struct Send: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a run summary (modules, issues found, remediated, failed) to every enabled target with SendDailySummary.",
            discussion: #"The results file holds the counts ({"modules": 12, "issuesFound": 3, "remediated": 2, "failed": 1}) or per-module results ({"modules": [{"name": "Disk", "issuesFound": 1, "remediated": 1, "failed": 0}]})."#)

        @Option(help: ArgumentHelp("The run's results, a JSON file.", valueName: "file")) var results: String
        @Option(help: "Seconds to keep retrying before leaving the rest to the outbox (default 30).") var wait: Int = 30
        @Flag(help: "Print the outcome as JSON.") var json = false
        @OptionGroup var options: DeliveryOptions

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: results) else {
                printError("\(results): cannot read the results file")
                throw ExitCode.failure
            }
            let summary: RunSummary
            do { summary = try RunSummary(results: data, file: results) } catch {
                error.problems.forEach { printError($0.description) }
                throw ExitCode.failure
            }
            let context = try options.context()
            let queued = try context.engine.enqueue(report: summary)
            guard !queued.isEmpty else {
                printError("no enabled target has SendDailySummary")
                if json { print("[]") }
                return
            }
            try OutboxFormat.report(await context.engine.deliver(among: queued.map(\.id), patience: .seconds(Int64(wait))), json: json)
        }
    }
}
