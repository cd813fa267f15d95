import Access
import Actions
import ArgumentParser
import AsyncHTTPClient
import Datto
import DattoEmulator
import Delivery
import Foundation
import NIOCore
import PluginHost
import Server
import SwitchboardStore

/// `switchboard demo`: the whole Datto flow on loopback, with no account anywhere.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the whole Datto RMM flow on loopback against an emulated Datto API: connect, map sites, sync, alert webhook to ticket, an allowed and a denied reboot, auto-resolve, audit.",
        discussion: "Uses a fresh data directory (kept afterwards so you can look around with SWITCHBOARD_HOME=<dir> switchboard ...).")

    @Option(help: ArgumentHelp("The data directory to use; must not exist yet or be empty (default: a new temporary one).", valueName: "dir"))
    var home: String?
    @OptionGroup var paths: PluginPathOptions

    func run() async throws {
        let home = try dataDirectory()
        let catalog = paths.loadCatalog()
        let demo = Demo(home: home, catalog: catalog)
        do { try await demo.run() } catch let error as DemoFailure {
            printError("demo failed: \(error.text)")
            throw ExitCode.failure
        }
    }

    private func dataDirectory() throws -> String {
        guard let home else {
            return FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-demo-\(UUID().uuidString.prefix(8).lowercased())").path
        }
        let existing = (try? FileManager.default.contentsOfDirectory(atPath: home)) ?? []
        guard existing.isEmpty else { throw ValidationError("--home: '\(home)' is not empty; the demo needs a fresh data directory") }
        return home
    }
}

struct DemoFailure: Error {
    let text: String
}

/// The demo's steps, narrated on stdout.
private struct Demo {
    let home: String
    let catalog: PluginCatalog
    let secret = "demo-webhook-secret-" + UUID().uuidString.prefix(8).lowercased()

    func step(_ text: String) { print("\n== \(text)") }

    func check<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch { throw DemoFailure(text: "\(what): \(error)") }
    }

    func run() async throws {
        print("Switchboard demo: everything runs on loopback; data in \(home)")
        let account = DattoAccountData.demo
        let datto = try await check("starting the emulated Datto API") { try await DattoEmulator.start(account: account) }
        defer { Task { await datto.stop() } }
        step("1. An emulated Datto RMM API at \(datto.url): \(account.sites.count) sites, \(account.devices.count) devices, \(account.alerts.count) open alerts")

        // Connect.
        let store = try await check("opening the store") { try SQLiteStore(path: home + "/switchboard.sqlite") }
        var settings = DattoSettings()
        settings.connection = ["APIEndpoint": .string(datto.url), "APIKey": .string(account.apiKey), "APISecret": .string(account.apiSecret),
                               "RebootComponentUID": .string("comp-reboot-demo"), "JobPollSeconds": .number(0.1)]
        settings.webhookSecret = secret
        settings.queues = ["Performance": "noc", "Hardware": "field"]
        settings.assignees = ["noc": "alice"]
        settings.autoResolve.delaySeconds = 0
        let file = home + "/" + DattoSettings.fileName
        try await check("writing \(file)") { try settings.save(file: file) }
        let connection = try await check("the connection") { try DattoConnection(settings: settings, file: file, plugins: catalog.loaded) }
        let client = DattoClient(connection: connection, transport: AsyncHTTPTransport())
        let sites = try await check("datto test") { try await client.sites() }
        step("2. datto connect: OAuth password grant accepted, \(sites.count) sites listed")

        // Tenants, principals, sites.
        try await check("tenants and principals") {
            for (tenant, name) in [("acme", "Acme Corp"), ("globex", "Globex")] { _ = try store.addTenant(id: tenant, name: name) }
            for name in ["alice", "bob"] { try store.addPrincipal(Principal(name: name, kind: .technician)) }
            _ = try store.addRule(StoredAccessRule(principal: "alice", tenant: "acme", effect: .grant, subject: "technician"))
            _ = try store.addRule(StoredAccessRule(principal: "bob", tenant: "globex", effect: .grant, subject: "technician"))
            _ = try store.recordSites(sites, at: Date())
            for (site, tenant) in [("site-acme-hq", "acme"), ("site-acme-branch", "acme"), ("site-globex", "globex")] {
                _ = try store.setSiteMapping(site, tenant: tenant, audit: AuditEntry(event: "datto.site.mapped", actor: "operator:demo", outcome: "ok"))
            }
        }
        step("3. Tenants acme and globex; technicians alice (acme) and bob (globex); sites mapped:")
        for site in try store.dattoSites() { print("   \(site.name) (\(site.uid)) -> \(site.tenant ?? site.mapping.rawValue)") }

        // Sync.
        let failures = FailureAlerts(settings: settings.failureAlerts, store: store, engine: nil, actor: "operator:demo")
        let result = try await check("datto sync") {
            try await DeviceSync(client: client, store: store, failures: failures, actor: "operator:demo").run()
        }
        step("4. datto sync: \(result.run.pages) page(s), \(result.run.created) devices created in the CMDB")
        for device in try store.devices(tenants: nil) where device.platform == "datto" {
            print("   \(device.tenant)  \(device.name)  \(device.ciType)  \(device.operatingSystem ?? "-")  \(device.status ?? "-")")
        }

        // Serve and receive a signed webhook.
        let resolver = AutoResolver(store: store, settings: settings.autoResolve, engine: nil)
        let ingest = AlertIngest(store: store, client: client, settings: settings, failures: failures, resolver: resolver)
        let secret = self.secret
        let server = SwitchboardServer(configuration: ServerConfiguration(port: 0), receiver: ingest, secret: { secret },
                                       dashboard: { DashboardPage(title: "demo") })
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let serving = Task { try await server.run { port in continuation.yield(port) } }
        defer { serving.cancel() }
        var port = 0
        for await bound in ports { port = bound; break }
        let alert = account.alerts[0]
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { _ = http.shutdown() }
        let body = #"{"alertUid":"\#(alert.uid)"}"#
        // One signed request, sent twice: the second time it is a replay (a request signed anew
        // would be a new request).
        let signature = WebhookSignature.header(secret: secret, timestamp: Int64(Date().timeIntervalSince1970), body: Array(body.utf8))
        let raised = try await post(http, port: port, body: body, signature: signature)
        step("5. serve on 127.0.0.1:\(port); Datto posts a signed alert webhook {\"alertUid\": \"\(alert.uid)\"} -> HTTP \(raised.status)")
        print("   \(raised.body)")
        let replay = try await post(http, port: port, body: body, signature: signature)
        print("   the same signed request replayed: HTTP \(replay.status) \(replay.body)")
        let again = try await post(http, port: port, body: body, signature: nil)
        print("   Datto sends the alert again, with the X-Switchboard-Token header: HTTP \(again.status) \(again.body)")
        guard raised.status == 201, case .integer(let ticket)? = (try? JSONValue.parse(Data(raised.body.utf8)))?["ticket"] else {
            throw DemoFailure(text: "the alert webhook did not create a ticket: HTTP \(raised.status) \(raised.body)")
        }

        // Actions.
        let access = AccessControl(store: store, policyFile: nil, fileRequired: false, permissions: catalog.entries.compactMap { $0.manifest?.permission })
        let runner = PlatformStepRunner(target: connection.target, plugin: connection.plugin, transport: AsyncHTTPTransport())
        let router = ActionRouter(store: store, access: access, plugins: catalog.loaded, runners: [runner])
        let allowed = await router.run(ActionRequest(action: "reboot", ticket: ticket, principal: "alice"))
        step("6. alice (technician in acme) reboots the ticket's device: \(allowed.outcome.rawValue)")
        print("   " + (allowed.steps.map(\.summary).joined(separator: "; ").nonEmpty ?? allowed.error ?? ""))
        let denied = await router.run(ActionRequest(action: "reboot", ticket: ticket, principal: "bob"))
        step("7. bob (technician in globex only) asks for the same reboot: \(denied.outcome.rawValue)")
        print("   \(denied.error ?? "")")
        guard allowed.outcome == .executed, denied.outcome == .denied else {
            throw DemoFailure(text: "expected an executed and a denied reboot, got \(allowed.outcome.rawValue) and \(denied.outcome.rawValue)")
        }

        // Resolve.
        datto.resolveAlert(alert.uid)
        let resolvedBody = #"{"alertUid":"\#(alert.uid)","resolved":true}"#
        let resolved = try await post(http, port: port, body: resolvedBody, signature: WebhookSignature.header(
            secret: secret, timestamp: Int64(Date().timeIntervalSince1970), body: Array(resolvedBody.utf8)))
        step("8. The alert resolves in Datto; the resolved-alert webhook -> HTTP \(resolved.status) \(resolved.body)")

        // Results.
        step("9. Tickets")
        for item in try store.tickets(tenants: nil, status: nil, limit: 100) {
            try TicketFormat.print(item, notes: try store.notes(ticket: item.id), json: false)
        }
        step("10. Audit trail")
        let entries = try store.auditEntries(AuditFilter(), limit: nil)
        print(TextTable.render(["SEQ", "TIME", "EVENT", "TENANT", "ACTOR", "SUBJECT", "OUTCOME", "ERROR"], entries.map(AuditCommand.List.row)))
        step("11. audit verify")
        switch try store.verifyAuditChain() {
        case .intact(let count, let head): print("   intact: \(count) entries, head \(head)")
        case .broken(let problem): throw DemoFailure(text: "the audit chain is broken: \(problem)")
        }
        print("\nLook around: SWITCHBOARD_HOME=\(home) switchboard tickets list | audit list | datto status")
    }

    /// Posts a webhook signed like a Switchboard client (`X-Switchboard-Signature`), or with the
    /// static `X-Switchboard-Token` header as Datto RMM sends it.
    /// Posts a webhook with `signature` as its X-Switchboard-Signature, or (nil) with the shared
    /// secret as its X-Switchboard-Token.
    func post(_ http: HTTPClient, port: Int, body: String, signature: String?) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/webhooks/datto")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let signature {
            request.headers.add(name: "X-Switchboard-Signature", value: signature)
        } else {
            request.headers.add(name: "X-Switchboard-Token", value: secret)
        }
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await check("posting the webhook") { try await http.execute(request, timeout: .seconds(30)) }
        let text = try await check("reading the answer") { try await response.body.collect(upTo: 1 << 20) }
        return (Int(response.status.code), String(buffer: text))
    }
}

extension String {
    /// nil when empty.
    var nonEmpty: String? { isEmpty ? nil : self }
}
