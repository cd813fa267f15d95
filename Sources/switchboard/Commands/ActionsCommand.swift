import Access
import Actions
import ArgumentParser
import Datto
import Delivery
import Foundation
import PluginHost
import SwitchboardStore

/// `switchboard actions run|list`.
struct ActionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "actions", abstract: "Run remote actions on tickets, under permission checks.",
        discussion: """
            Exit codes of `actions run`: 0 executed (or planned, with --dry-run); 1 failed; \
            65 rejected (invalid request: unknown action, bad parameter, no device, \
            a tenant, platform or plan outside the plugin's capabilities); 77 denied.
            """,
        subcommands: [Run.self, Batch.self, List.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run an action on a ticket's device as a principal.")
        @Argument(help: "The action: reboot, run-script, remote-connection, or one a drop-in plugin adds.") var action: String
        @Option(help: "The ticket.") var ticket: Int64
        @Option(name: .customLong("as"), help: ArgumentHelp("The principal asking; the permission is checked in the ticket's tenant.", valueName: "principal")) var principal: String
        @Option(name: .customLong("param"), help: ArgumentHelp("A parameter as name=value (repeatable).", valueName: "name=value"))
        var parameters: [String] = []
        @Flag(name: .customLong("dry-run"), help: "Check and plan, but do not run.") var dryRun = false
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var options: ActionOptions

        func validate() throws {
            _ = try Self.pairs(parameters)
        }

        static func pairs(_ parameters: [String]) throws -> [String: String] {
            var values: [String: String] = [:]
            for parameter in parameters {
                guard let equals = parameter.firstIndex(of: "="), equals != parameter.startIndex else {
                    throw ValidationError("--param: expected name=value, got '\(parameter)'")
                }
                let name = String(parameter[..<equals])
                guard values[name] == nil else { throw ValidationError("--param: '\(name)' is given twice") }
                values[name] = String(parameter[parameter.index(after: equals)...])
            }
            return values
        }

        func run() async throws {
            let router = try options.router()
            let request = ActionRequest(action: action, ticket: ticket, principal: principal,
                                        parameters: .text(try Self.pairs(parameters)), dryRun: dryRun)
            let result = await router.run(request)
            if json {
                print(ActionFormat.json(result).text(pretty: true))
            } else {
                print(ActionFormat.text(result))
            }
            switch result.outcome {
            case .executed, .planned: return
            case .failed: throw ExitCode.failure
            case .rejected: throw ExitCode(65)
            case .denied: throw ExitCode(77)
            }
        }
    }

    struct Batch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a stream of action requests, one JSON object per line, several at once.",
            discussion: """
                Each line: {"action": "reboot", "ticket": 42, "as": "alice", "params": {"delaySeconds": 60}, "dryRun": false}. \
                Prints one JSON result per line as each finishes. Exit 1 when a line is malformed or any request did not \
                execute. Actions on one device still run one at a time.
                """)
        @Argument(help: "The requests file, or - for stdin.") var file: String
        @Option(help: "How many requests run at once (default 16).") var concurrency: Int = 16
        @OptionGroup var options: ActionOptions

        func validate() throws {
            guard (1...1024).contains(concurrency) else { throw ValidationError("--concurrency: expected 1 to 1024, got \(concurrency)") }
        }

        func run() async throws {
            let data: Data? = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: file)
            guard let data else {
                printError("\(file): cannot read the file")
                throw ExitCode.failure
            }
            var requests: [ActionRequest] = []
            for (index, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() where !line.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) {
                do { requests.append(try Self.request(Data(line))) } catch {
                    printError("\(file): line \(index + 1): \(error)")
                    throw ExitCode.failure
                }
            }
            let router = try options.router()
            var allExecuted = true
            await withTaskGroup(of: ActionResult.self) { group in
                var next = requests.makeIterator()
                for _ in 0..<concurrency {
                    guard let request = next.next() else { break }
                    group.addTask { await router.run(request) }
                }
                while let result = await group.next() {
                    print(ActionFormat.json(result).text())
                    if result.outcome != .executed && result.outcome != .planned { allExecuted = false }
                    if let request = next.next() { group.addTask { await router.run(request) } }
                }
            }
            if !allExecuted { throw ExitCode.failure }
        }

        /// Reads one line of the stream.
        static func request(_ line: Data) throws -> ActionRequest {
            guard case .object(let object) = try JSONValue.parse(line) else { throw ValidationError("expected a JSON object") }
            guard case .string(let action)? = object["action"] else { throw ValidationError("action: expected a string") }
            guard case .integer(let ticket)? = object["ticket"] else { throw ValidationError("ticket: expected an integer") }
            guard case .string(let principal)? = object["as"] else { throw ValidationError("as: expected a string") }
            var parameters: [String: JSONValue] = [:]
            switch object["params"] {
            case nil: break
            case .object(let members)?: parameters = members
            default: throw ValidationError("params: expected an object")
            }
            let dryRun: Bool
            switch object["dryRun"] {
            case nil: dryRun = false
            case .bool(let flag)?: dryRun = flag
            default: throw ValidationError("dryRun: expected a boolean")
            }
            return ActionRequest(action: action, ticket: ticket, principal: principal, parameters: .json(parameters), dryRun: dryRun)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the actions, the permission each requires, its platforms and parameters.")
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var paths: PluginPathOptions

        func run() async throws {
            let actions = paths.loadCatalog().loaded.filter { $0.manifest.kind == .action && $0.manifest.action != nil }
                .sorted { ($0.manifest.action ?? "") < ($1.manifest.action ?? "") }
            if json {
                print(JSONValue.array(actions.map { plugin in
                    .object([
                        "action": .string(plugin.manifest.action ?? ""), "plugin": .string("\(plugin.manifest.id)@\(plugin.manifest.version)"),
                        "permission": .string(plugin.manifest.permission ?? ""),
                        "platforms": .array((plugin.manifest.platforms ?? []).map(JSONValue.string)),
                        "parameters": .array(plugin.manifest.parameters.map { .string(ActionFormat.describe($0)) }),
                    ])
                }).text(pretty: true))
                return
            }
            for plugin in actions {
                print("\(plugin.manifest.action ?? "")\t\(plugin.manifest.permission ?? "")\t\((plugin.manifest.platforms ?? []).joined(separator: ","))\t\(plugin.manifest.id)@\(plugin.manifest.version)")
                plugin.manifest.parameters.forEach { print("    \(ActionFormat.describe($0))") }
            }
        }
    }
}

/// The store, the policy, the plugins and the step runners, as the action commands use them.
struct ActionOptions: ParsableArguments {
    @OptionGroup var access: AccessOptions
    @Option(help: ArgumentHelp("The configuration file with the platform targets (default: SWITCHBOARD_CONFIG, else config.json in the data directory).",
                               valueName: "file"))
    var config: String?

    /// Builds the router: the local runner, and one runner per configured platform.
    func router() throws -> ActionRouter {
        let context = try access.context()
        let environment = HostEnvironment.current
        let configuration: DeliveryConfiguration
        do {
            let sources = try ConfigurationSources.resolve(configOption: config, policyOption: access.paths.policy, environment: ProcessInfo.processInfo.environment,
                                                           dataDirectory: environment.dataDirectory)
            configuration = try DeliveryConfiguration.load(sources, platforms: context.catalog.platformManifests)
        } catch {
            error.problems.forEach { printError($0.description) }
            throw ExitCode.failure
        }
        try storing { () throws(StoreError) in try PluginAudit.record(context.catalog, in: context.store, actor: Operator.actor) }
        let local = LocalStepRunner(settings: LocalActionSettings(environment: ProcessInfo.processInfo.environment, home: environment.dataDirectory))
        var platforms = PlatformStepRunner.runners(configuration: configuration, plugins: context.catalog.loaded, transport: AsyncHTTPTransport())
        // The Datto connection (`datto connect`) serves Datto devices when no configured target does.
        if !platforms.contains(where: { $0.platform == DattoConnection.platform }),
           let connection = try? DattoConnection(settings: DattoSettingsFile().load(), file: DattoSettingsFile().path, plugins: context.catalog.loaded) {
            platforms.append(PlatformStepRunner(target: connection.target, plugin: connection.plugin, policy: configuration.policy,
                                                transport: AsyncHTTPTransport()))
        }
        return ActionRouter(store: context.store, access: context.access, plugins: context.catalog.loaded, runners: [local] + platforms)
    }
}

enum ActionFormat {
    static func describe(_ parameter: ActionParameter) -> String {
        var text = "\(parameter.name): \(parameter.type.rawValue)"
        if parameter.required { text += ", required" }
        if let minimum = parameter.minimum { text += ", >= \(minimum)" }
        if let maximum = parameter.maximum { text += ", <= \(maximum)" }
        if parameter.type == .string { text += ", at most \(parameter.maxLength) characters" }
        if let value = parameter.defaultValue { text += ", default \(value.text())" }
        if parameter.secret { text += ", secret" }
        return text
    }

    static func text(_ result: ActionResult) -> String {
        var lines = ["\(result.action) on ticket \(result.ticket): \(result.outcome.rawValue)" + (result.summary.map { ": \($0)" } ?? "")]
        for step in result.steps {
            lines.append("  \(step.summary)")
            for (key, value) in step.details.sorted(by: { $0.key < $1.key }) { lines.append("    \(key): \(value)") }
            if !step.standardOutput.isEmpty { lines.append(step.standardOutput.split(separator: "\n", omittingEmptySubsequences: false).map { "    | \($0)" }.joined(separator: "\n")) }
        }
        if let plan = result.plan, result.outcome == .planned { lines.append("  \(plan.steps.count) step\(plan.steps.count == 1 ? "" : "s") planned, nothing run") }
        if let error = result.error { lines.append("  error: \(error)") }
        lines.append("  correlation id: \(result.correlationID)")
        return lines.joined(separator: "\n")
    }

    static func json(_ result: ActionResult) -> JSONValue {
        func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        return .object([
            "correlationId": .string(result.correlationID), "outcome": .string(result.outcome.rawValue), "action": .string(result.action),
            "ticket": .integer(result.ticket), "tenant": text(result.tenant), "device": text(result.device), "plugin": text(result.plugin),
            "summary": text(result.summary), "error": text(result.error), "durationMs": .number(result.durationMilliseconds),
            "steps": .array(result.steps.map { step in
                .object([
                    "summary": .string(step.summary), "exitCode": step.exitCode.map { .integer(Int64($0)) } ?? .null,
                    "stdout": .string(step.standardOutput), "stderr": .string(step.standardError), "outputTruncated": .bool(step.outputTruncated),
                    "details": .object(step.details.mapValues(JSONValue.string)),
                ])
            }),
        ])
    }
}

extension AccessCommand {
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Explain whether a principal may run an action on a ticket, without running anything.")
        @Argument(help: "The principal.") var principal: String
        @Argument(help: "The action (reboot, run-script, remote-connection, ...).") var action: String
        @Option(help: "The ticket.") var ticket: Int64
        @Option(name: .customLong("param"), help: ArgumentHelp("A parameter as name=value (repeatable), checked as a run would.", valueName: "name=value"))
        var parameters: [String] = []
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var options: ActionOptions

        func run() async throws {
            let check = try options.router().check(ActionRequest(action: action, ticket: ticket, principal: principal,
                                                                  parameters: .text(try ActionsCommand.Run.pairs(parameters))))
            if json {
                func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
                print(JSONValue.object([
                    "allowed": .bool(check.allowed), "outcome": .string(check.outcome.rawValue), "tenant": text(check.tenant),
                    "device": text(check.device), "plugin": text(check.plugin), "permission": text(check.permission),
                    "explanation": .string(check.explanation),
                ]).text(pretty: true))
            } else {
                print("\(check.allowed ? "allowed" : check.outcome.rawValue): \(principal) \(action) on ticket \(ticket)")
                if let tenant = check.tenant { print("  tenant: \(tenant)") }
                if let device = check.device { print("  device: \(device)") }
                if let plugin = check.plugin { print("  plugin: \(plugin) requires \(check.permission ?? "-")") }
                print("  because: \(check.explanation)")
            }
            if !check.allowed { throw ExitCode.failure }
        }
    }
}
