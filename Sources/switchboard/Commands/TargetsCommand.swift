import ArgumentParser
import Delivery
import Foundation
import PluginHost

/// `switchboard targets list|test`.
struct TargetsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "targets", abstract: "List and test the delivery targets.",
                                                    subcommands: [List.self, Test.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the delivery targets with their settings (secrets redacted).")
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var options: DeliveryOptions

        func run() async throws {
            let context = try options.context()
            let targets: [JSONValue] = context.configuration.targets.map { target in
                .object(target.settings.mapValues { value in
                    if case .string(let text) = value { return .string(context.engine.redactor.redact(text)) }
                    return value
                })
            }
            if json {
                print(JSONValue.array(targets).text(pretty: true))
                return
            }
            for target in context.configuration.targets {
                let state = target.enabled ? "enabled" : "disabled"
                print("\(target.name)  \(target.platform)  \(state)  \(target.endpoint ?? "-")  minimum \(target.minimumSeverity.rawValue)")
            }
            if context.configuration.targets.isEmpty { printError("no targets configured") }
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a test alert to each enabled target (or the named one) and report what each platform answered.",
            discussion: "Test alerts go through the outbox like any message but are not retried. Exits 1 when any target failed.")
        @Argument(help: "A target name; default: every enabled target.") var name: String?
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var options: DeliveryOptions

        func run() async throws {
            let context = try options.context()
            let targets: [DeliveryTarget]
            if let name {
                guard let target = context.configuration.target(named: name) else {
                    printError("no target named '\(name)' (targets: \(context.configuration.targets.map(\.name).joined(separator: ", ")))")
                    throw ExitCode.failure
                }
                targets = [target]
            } else {
                targets = context.configuration.targets.filter(\.enabled)
            }
            guard !targets.isEmpty else {
                printError("no enabled targets to test")
                throw ExitCode.failure
            }
            let queued = try context.engine.enqueueTest(to: targets)
            try OutboxFormat.report(await context.engine.deliver(among: queued.map(\.id), patience: .seconds(0)), json: json)
        }
    }
}

/// `switchboard config check`.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "config", abstract: "Check the configuration.",
                                                    subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate the configuration and say exactly what is wrong.",
            discussion: "Checks every file and environment override, then renders a sample alert for each enabled target through its platform plugin, which catches settings the platform needs. Exits 1 on any problem.")
        @OptionGroup var options: DeliveryOptions

        func run() async throws {
            let context = try options.context()
            var problems = 0
            for target in context.configuration.targets where target.enabled {
                if let problem = context.engine.dryRun(target) {
                    print("\(target.name) (\(target.platform)): \(problem)")
                    problems += 1
                }
            }
            let files = context.configuration.files.isEmpty ? "no configuration file" : context.configuration.files.joined(separator: ", ")
            let enabled = context.configuration.targets.filter(\.enabled).count
            print("\(problems == 0 ? "ok" : "problems"): \(context.configuration.targets.count) targets, \(enabled) enabled (\(files))")
            if problems > 0 { throw ExitCode.failure }
        }
    }
}
