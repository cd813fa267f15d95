import ArgumentParser
import Crypto
import Datto
import Delivery
import Foundation
import PluginHost
import SwitchboardStore

/// `switchboard datto connect|test|status|sites|sync|webhook-secret`.
struct DattoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datto", abstract: "Connect a Datto RMM account: sites to tenants, device sync, alert webhooks.",
        discussion: "Settings live in datto.json in the data directory (mode 0600); see the README for the members you can edit by hand.",
        subcommands: [Connect.self, Test.self, Status.self, Sites.self, Sync.self, WebhookSecret.self])

    struct Connect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Store the Datto RMM API connection, then test it (authenticate and list sites).",
            discussion: "The API secret comes from --password-stdin, else SWITCHBOARD_DATTO_PASSWORD, else --password (visible to other users in the process list).")
        @Option(name: .customLong("api-url"), help: ArgumentHelp("The account's API URL, as Datto shows it next to the API keys.", valueName: "url"))
        var apiURL: String
        @Option(help: ArgumentHelp("The API key.", valueName: "key")) var username: String
        @Option(help: ArgumentHelp("The API secret key (prefer --password-stdin or SWITCHBOARD_DATTO_PASSWORD).", valueName: "secret"))
        var password: String?
        @Flag(name: .customLong("password-stdin"), help: "Read the API secret key from standard input (its first line).") var passwordStdin = false
        @Option(name: .customLong("set"), help: ArgumentHelp("Another Datto target setting, e.g. RebootComponentUID=<uid>. Repeatable.", valueName: "name=value"))
        var settings: [String] = []
        @Flag(name: .customLong("no-test"), help: "Store without testing.") var noTest = false
        @OptionGroup var options: DeliveryOptions

        func run() async throws {
            let secret = try readSecret()
            let file = DattoSettingsFile()
            var settings = try file.load()
            var connection: [String: JSONValue] = ["APIEndpoint": .string(apiURL), "APIKey": .string(username), "APISecret": .string(secret)]
            for pair in self.settings {
                guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                    throw ValidationError("--set: expected NAME=VALUE, got '\(pair)'")
                }
                let value = String(pair[pair.index(after: equals)...])
                connection[String(pair[..<equals])] = (try? JSONValue.parse(Data(value.utf8))).flatMap { $0.isScalar ? $0 : nil } ?? .string(value)
            }
            settings.connection = connection
            try file.save(settings)
            let context = try DattoContext(options: options)
            _ = try context.connection()
            try context.audit(AuditEntry(event: "datto.connected", actor: Operator.actor, subject: apiURL, outcome: "stored"))
            print("stored the Datto RMM connection to \(apiURL) in \(file.path)")
            if !noTest { try await Test.check(context) }
        }

        private func readSecret() throws -> String {
            if passwordStdin {
                guard let line = readLine(strippingNewline: true), !line.isEmpty else { throw ValidationError("--password-stdin: standard input is empty") }
                return line
            }
            if let variable = ProcessInfo.processInfo.environment["SWITCHBOARD_DATTO_PASSWORD"], !variable.isEmpty { return variable }
            guard let password, !password.isEmpty else {
                throw ValidationError("no API secret: use --password-stdin, SWITCHBOARD_DATTO_PASSWORD, or --password")
            }
            return password
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Authenticate with the stored connection and list the account's sites.")
        @OptionGroup var options: DeliveryOptions

        func run() async throws { try await Self.check(try DattoContext(options: options)) }

        static func check(_ context: DattoContext) async throws {
            let client = try context.client()
            let sites: [ListedSite]
            do { sites = try await client.sites() } catch {
                if case .authentication = error {
                    await context.deliver((try? context.failures(actor: Operator.actor).syncFailed(error, at: Date())) ?? [])
                }
                printError(error.description)
                throw ExitCode.failure
            }
            let known = try storing { () throws(StoreError) in try context.store.recordSites(sites, at: Date()) }
            print("connected: Datto RMM answered with \(sites.count) site\(sites.count == 1 ? "" : "s")")
            Sites.printTable(known.filter { site in sites.contains { $0.uid == site.uid } })
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the connection and the dashboard figures (devices, alerts, tickets, syncs).")
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let settings = try DattoSettingsFile().load()
            let store = try SQLiteStore.openInDataDirectory()
            let status = try storing { () throws(StoreError) in try DattoStatus(settings: settings, store: store) }
            if json {
                print(status.json.text(pretty: true))
            } else {
                let width = status.figures.map(\.label.count).max() ?? 0
                status.figures.forEach { print($0.label.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.value) }
            }
        }
    }

    struct Sync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sync every Datto device into the CMDB (devices of mapped sites), showing progress on a terminal.")
        @Flag(help: "Print the run as JSON.") var json = false
        @OptionGroup var options: DeliveryOptions

        func run() async throws {
            let context = try DattoContext(options: options)
            let client = try context.client()
            let bar = ProgressBar(enabled: isatty(STDERR_FILENO) == 1 && !json)
            let sync = DeviceSync(client: client, store: context.store, failures: context.failures(actor: Operator.actor), actor: Operator.actor)
            do {
                let result = try await sync.run { bar.show($0) }
                let run = result.run
                bar.finish()
                if json {
                    print(JSONValue.object(["sync": .integer(run.id), "outcome": .string(run.outcome.rawValue), "pages": .integer(Int64(run.pages)),
                                            "created": .integer(Int64(run.created)), "updated": .integer(Int64(run.updated)),
                                            "unchanged": .integer(Int64(run.unchanged)), "skipped": .integer(Int64(run.skipped)),
                                            "gone": .integer(Int64(run.gone))]).text(pretty: true))
                } else {
                    print("sync \(run.id) completed: \(run.pages) pages, \(run.created) created, \(run.updated) updated, \(run.unchanged) unchanged, "
                          + "\(run.skipped) skipped (unmapped or ignored sites), \(run.gone) gone")
                }
                await context.deliver(result.alerts)
            } catch {
                bar.finish()
                await context.deliver(error.alerts)
                printError("sync failed: \(error)")
                throw ExitCode.failure
            }
        }
    }

    struct WebhookSecret: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "webhook-secret",
            abstract: "Generate (default) or set the shared secret Datto webhooks authenticate with, and print it once.",
            discussion: "Datto RMM sends it as the custom header X-Switchboard-Token; signing clients use it as the HMAC key of X-Switchboard-Signature.")
        @Flag(name: .customLong("stdin"), help: "Set the secret read from standard input (at least 16 characters) instead of generating one.")
        var fromStdin = false
        @Flag(help: "Show whether a secret is set, without changing or printing it.") var show = false

        func run() async throws {
            let file = DattoSettingsFile()
            var settings = try file.load()
            if show {
                print(settings.webhookSecret == nil ? "no webhook secret set" : "a webhook secret is set (\(file.path))")
                return
            }
            let secret: String
            if fromStdin {
                guard let line = readLine(strippingNewline: true), line.utf8.count >= 16 else {
                    throw ValidationError("--stdin: expected a secret of at least 16 characters")
                }
                secret = line
            } else {
                secret = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.map { String(format: "%02x", $0) }.joined()
            }
            settings.webhookSecret = secret
            try file.save(settings)
            let store = try SQLiteStore.openInDataDirectory()
            try storing { () throws(StoreError) in
                try store.append([AuditEntry(event: "datto.webhook-secret.changed", actor: Operator.actor, outcome: fromStdin ? "set" : "generated")])
            }
            print(fromStdin ? "webhook secret set" : secret)
        }
    }
}

extension DattoContext {
    func audit(_ entry: AuditEntry) throws {
        try storing { () throws(StoreError) in try store.append([entry]) }
    }
}

extension JSONValue {
    /// A string, number or boolean.
    var isScalar: Bool {
        switch self {
        case .string, .integer, .number, .bool: true
        default: false
        }
    }
}

/// A one-line progress bar on stderr, redrawn in place.
final class ProgressBar: @unchecked Sendable {
    private let enabled: Bool
    private var drawn = false

    init(enabled: Bool) { self.enabled = enabled }

    func show(_ progress: DeviceSync.Progress) {
        guard enabled else { return }
        let width = 30
        let line: String
        if let total = progress.total, total > 0 {
            let done = min(width, progress.devices * width / total)
            line = "[\(String(repeating: "#", count: done))\(String(repeating: "-", count: width - done))] \(progress.devices)/\(total) devices, \(progress.pages) pages"
        } else {
            line = "\(progress.devices) devices, \(progress.pages) pages"
        }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
        drawn = true
    }

    func finish() {
        if drawn { FileHandle.standardError.write(Data("\n".utf8)) }
        drawn = false
    }
}
