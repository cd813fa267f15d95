import Datto
import DattoEmulator
import Delivery
import Foundation
import PluginHost
import SwitchboardStore
import TestSupport

/// An emulated Datto account, a store with tenants `acme` and `globex`, and the Datto settings
/// and client connected to the account through the real Datto plugin over loopback HTTP.
struct DattoSandbox: Sendable {
    let emulator: DattoEmulator
    let folder: TemporaryFolder
    let store: SQLiteStore
    var settings: DattoSettings
    let settingsFile: String

    static func start(_ account: DattoAccountData = .demo, settings change: (inout DattoSettings) -> Void = { _ in }) async throws -> DattoSandbox {
        let emulator = try await DattoEmulator.start(account: account)
        let folder = try TemporaryFolder()
        let store = try SQLiteStore(path: folder.root + "/home/switchboard.sqlite")
        for tenant in ["acme", "globex"] { _ = try store.addTenant(id: tenant, name: tenant) }
        var settings = DattoSettings()
        settings.connection = ["APIEndpoint": .string(emulator.url), "APIKey": .string(account.apiKey), "APISecret": .string(account.apiSecret),
                               "RebootComponentUID": .string("comp-reboot")]
        settings.webhookSecret = "a-shared-secret-for-tests"
        change(&settings)
        let file = folder.root + "/home/datto.json"
        try settings.save(file: file)
        return DattoSandbox(emulator: emulator, folder: folder, store: store, settings: settings, settingsFile: file)
    }

    /// Fast retries: tests go through several failures.
    static var policy: DeliveryPolicy {
        var policy = DeliveryPolicy()
        policy.timeoutSeconds = 10
        policy.initialBackoffSeconds = 0.01
        policy.maxBackoffSeconds = 0.05
        return policy
    }

    func client(limiter: RateLimiter = .datto(), plugins: [LoadedPlugin] = Paths.catalog.loaded) throws -> DattoClient {
        DattoClient(connection: try DattoConnection(settings: settings, file: settingsFile, plugins: plugins),
                    transport: AsyncHTTPTransport(), policy: Self.policy, limiter: limiter)
    }

    var failures: FailureAlerts { FailureAlerts(settings: settings.failureAlerts, store: store, engine: nil, actor: "test") }

    func sync(limiter: RateLimiter = .datto()) throws -> DeviceSync {
        DeviceSync(client: try client(limiter: limiter), store: store, failures: failures, actor: "test")
    }

    /// Maps the demo account's Acme sites to `acme` and Globex to `globex`.
    func mapDemoSites() async throws {
        _ = try store.recordSites(try await client().sites(), at: Date())
        for (site, tenant) in [("site-acme-hq", "acme"), ("site-acme-branch", "acme"), ("site-globex", "globex")] {
            _ = try store.setSiteMapping(site, tenant: tenant, audit: AuditEntry(event: "datto.site.mapped", actor: "test"))
        }
    }

    func events(_ name: String) throws -> [RecordedAuditEntry] {
        try store.auditEntries(AuditFilter(), limit: nil).filter { $0.entry.event == name }
    }
}
