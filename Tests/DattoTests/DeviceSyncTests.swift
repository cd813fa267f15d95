import Datto
import DattoEmulator
import Foundation
import SwitchboardStore
import TestSupport
import Testing

/// Device sync end to end: the real Datto plugin, real HTTP to the emulated account, a real SQLite file.
@Suite struct DeviceSyncTests {
    @Test func everyPageIsSyncedIntoTheMappedTenantsWithTheFieldMapping() async throws {
        let account = DattoAccountData.generated(sites: 3, devicesPerSite: 300, seed: 7)
        let sandbox = try await DattoSandbox.start(account)
        _ = try sandbox.store.recordSites(try await sandbox.client().sites(), at: Date())
        _ = try sandbox.store.setSiteMapping(account.sites[0].uid, tenant: "acme", audit: AuditEntry(event: "datto.site.mapped"))
        _ = try sandbox.store.setSiteMapping(account.sites[1].uid, tenant: "globex", audit: AuditEntry(event: "datto.site.mapped"))
        let result = try await sandbox.sync().run()
        // 900 devices at 250 a page: 4 pages; the third site is unmapped, so skipped.
        #expect(result.run.pages == 4 && result.run.created == 600 && result.run.skipped == 300 && result.run.outcome == .completed)
        #expect(sandbox.emulator.requestCount(pathPrefix: "/api/v2/account/devices") == 4)
        let devices = try sandbox.store.devices(tenants: nil)
        #expect(devices.count == 600)
        for source in account.devices where source.siteUid != account.sites[2].uid {
            let device = try #require(devices.first { $0.externalID == source.uid })
            let expected = switch source.category {
            case "Desktop", "Laptop": "workstation"
            case "Server", "ESXi Host": "server"
            case "Network Device": "network_device"
            case "Printer": "printer"
            default: "other"
            }
            #expect(device.id == "datto:\(source.uid)" && device.name == source.hostname && device.ciType == expected)
            #expect(device.tenant == (source.siteUid == account.sites[0].uid ? "acme" : "globex"))
            #expect(device.location == (source.siteUid == account.sites[0].uid ? "Site 1" : "Site 2"))
            #expect(device.operatingSystem == (source.os.isEmpty ? nil : source.os) && device.status == (source.online ? "online" : "offline"))
            #expect(device.lastSync.map { abs($0.timeIntervalSince(source.lastSeen)) < 0.001 } == true)
        }
        #expect(try sandbox.events("datto.device.created").count == 600)
        #expect(try sandbox.events("datto.sync.completed").first?.entry.details["created"] == "600")
        // The unmapped site was flagged once.
        #expect(try sandbox.events("datto.site.unmapped").map(\.entry.site) == [account.sites[2].uid])
        #expect(try sandbox.store.verifyAuditChain().isIntact)
    }

    @Test func changesAreUpdatesAndDevicesGoneFromDattoAreMarked() async throws {
        let sandbox = try await DattoSandbox.start()
        try await sandbox.mapDemoSites()
        _ = try await sandbox.sync().run()
        var renamed = DattoAccountData.demo.devices[2]
        renamed.hostname = "ACME-WS014-NEW"
        sandbox.emulator.upsertDevice(renamed)
        sandbox.emulator.removeDevice(DattoAccountData.demo.devices[3].uid)
        let second = try await sandbox.sync().run()
        #expect(second.run.created == 0 && second.run.updated == 1 && second.run.gone == 1 && second.run.unchanged == 10)
        let devices = try sandbox.store.devices(tenants: nil)
        #expect(devices.first { $0.externalID == renamed.uid }?.name == "ACME-WS014-NEW")
        #expect(devices.first { $0.externalID == DattoAccountData.demo.devices[3].uid }?.goneAt != nil)
        #expect(try sandbox.events("datto.device.updated").map { $0.entry.details["changed"] } == ["name"])
        #expect(try sandbox.events("datto.device.gone").count == 1)
    }

    @Test func throttlingServerErrorsAndAnExpiredTokenAreRetriedAndTheSyncCompletes() async throws {
        let sandbox = try await DattoSandbox.start(.generated(sites: 1, devicesPerSite: 600, seed: 3))
        try await mapAll(sandbox)
        sandbox.emulator.inject("/api/v2/account/devices", [
            .init(status: 429, headers: ["Retry-After": "0"], body: ""),
            .init(status: 403, headers: ["Retry-After": "0"], body: #"{"message":"IP blocked for rate limit violation"}"#),
            .init(status: 500, body: #"{"status":500,"error":"Internal Server Error","message":"boom"}"#),
        ])
        // Pages 1 and 2 answer 401 once (a token that expired early): renewed, then read.
        for page in [1, 2] {
            sandbox.emulator.inject("/api/v2/account/devices?max=250&page=\(page)", [.init(status: 401, body: #"{"error":"invalid_token"}"#)])
        }
        let result = try await sandbox.sync().run()
        #expect(result.run.created == 600 && result.run.pages == 3 && result.run.outcome == .completed)
        // One token for listing the sites (another client), one for the sync, and one per 401.
        #expect(sandbox.emulator.requestCount(pathPrefix: "/auth/oauth/token") == 4)
    }

    @Test func aMalformedPageFailsTheSyncWithoutApplyingAnyOfIt() async throws {
        let sandbox = try await DattoSandbox.start(.generated(sites: 1, devicesPerSite: 500, seed: 5))
        try await mapAll(sandbox)
        let first = try await sandbox.sync().run()
        #expect(first.run.created == 500)
        var changed = DattoAccountData.generated(sites: 1, devicesPerSite: 500, seed: 5).devices
        for index in changed.indices { changed[index].hostname += "-v2" }
        sandbox.emulator.setDevices(changed)
        // The second page is malformed: its device has no uid.
        sandbox.emulator.inject("/api/v2/account/devices?max=250&page=1", [
            .init(status: 200, body: #"{"pageDetails":{"count":1,"totalCount":500,"nextPageUrl":null},"devices":[{"hostname":"x","siteUid":"s"}]}"#),
        ])
        await #expect(throws: DeviceSync.Failure.self) { try await sandbox.sync().run() }
        let runs = try sandbox.store.syncRuns(limit: 1)
        #expect(runs.first?.outcome == .failed && runs.first?.pages == 1 && runs.first?.updated == 250)
        #expect(runs.first?.error == "Datto RMM: HTTP 200: malformed devices page: devices[0].uid: missing")
        // Page 0 applied (250 renamed), nothing of the malformed page, nothing marked gone.
        let devices = try sandbox.store.devices(tenants: nil)
        #expect(devices.filter { $0.name.hasSuffix("-v2") }.count == 250 && devices.allSatisfy { $0.goneAt == nil })
        #expect(try sandbox.events("datto.sync.failed").count == 1)
    }

    @Test func wrongCredentialsFailWithAnAuthenticationError() async throws {
        let sandbox = try await DattoSandbox.start()
        sandbox.emulator.setCredentials(key: "other", secret: "other")
        await #expect(throws: DeviceSync.Failure.self) { try await sandbox.sync().run() }
        let run = try #require(try sandbox.store.syncRuns(limit: 1).first)
        #expect(run.error == "Datto RMM refused the credentials: HTTP 400: invalid_grant: Bad credentials")
        // The failure alert is raised once per failure streak.
        await #expect(throws: DeviceSync.Failure.self) { try await sandbox.sync().run() }
        #expect(try sandbox.events("datto.failure.raised").map { $0.entry.details["kind"] } == ["authentication"])
    }

    @Test func theRateLimiterKeepsRequestsWithinTheBudget() async throws {
        // 5 requests per 0.5 s: 6 pages and a token request need a second window.
        let sandbox = try await DattoSandbox.start(.generated(sites: 1, devicesPerSite: 6, seed: 9) ) { $0.connection["PageSize"] = .integer(1) }
        try await mapAll(sandbox)
        let started = ContinuousClock.now
        let result = try await sandbox.sync(limiter: RateLimiter(requests: 5, window: .milliseconds(500))).run()
        #expect(result.run.created == 6)
        #expect(ContinuousClock.now - started >= .milliseconds(500))
    }

    func mapAll(_ sandbox: DattoSandbox) async throws {
        for site in try sandbox.store.recordSites(try await sandbox.client().sites(), at: Date()) {
            _ = try sandbox.store.setSiteMapping(site.uid, tenant: "acme", audit: AuditEntry(event: "datto.site.mapped"))
        }
    }
}
