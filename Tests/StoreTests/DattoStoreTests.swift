import Foundation
import SwitchboardStore
import TestSupport
import Testing

/// The Datto tables: sites and their mapping, device pages applied whole, gone devices, alerts to
/// tickets (deduplicated, tenant from the site, device from the CMDB), and resolutions.
@Suite struct DattoStoreTests {
    let folder: TemporaryFolder
    let store: SQLiteStore
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    init() throws {
        folder = try TemporaryFolder()
        store = try SQLiteStore(path: folder.root + "/switchboard.sqlite")
        for tenant in ["acme", "globex"] { _ = try store.addTenant(id: tenant, name: tenant) }
    }

    func device(_ uid: String, site: String, name: String? = nil, status: String = "online", seen: Double = 0) -> SyncedDevice {
        SyncedDevice(uid: uid, name: name ?? "host-\(uid)", siteUid: site, location: "Site \(site)", ciType: "workstation",
                     operatingSystem: "Windows 11", status: status, lastSeen: Date(timeIntervalSince1970: 1_700_000_000 + seen))
    }

    func mapped() throws {
        _ = try store.recordSites([ListedSite(uid: "s1", name: "HQ", devices: 2), ListedSite(uid: "s2", name: "Branch", devices: 1),
                                   ListedSite(uid: "s3", name: "Lab", devices: 1)], at: t0)
        _ = try store.setSiteMapping("s1", tenant: "acme", audit: AuditEntry(event: "datto.site.mapped", actor: "alice"))
        _ = try store.setSiteMapping("s2", tenant: "globex", audit: AuditEntry(event: "datto.site.mapped", actor: "alice"))
        _ = try store.setSiteMapping("s3", tenant: nil, audit: AuditEntry(event: "datto.site.ignored", actor: "alice"))
    }

    func events() throws -> [String] { try store.auditEntries(AuditFilter(), limit: nil).map(\.entry.event) }

    @Test func sitesStartUnmappedAndMappingIsAudited() throws {
        let sites = try store.recordSites([ListedSite(uid: "s1", name: "HQ", devices: 3)], at: t0)
        #expect(sites.map(\.mapping) == [.unmapped])
        let site = try store.setSiteMapping("s1", tenant: "acme", audit: AuditEntry(event: "datto.site.mapped", actor: "alice"))
        #expect(site.mapping == .mapped && site.tenant == "acme")
        let entry = try #require(try store.auditEntries(AuditFilter(), limit: nil).last)
        #expect(entry.entry.event == "datto.site.mapped" && entry.entry.site == "s1" && entry.entry.tenant == "acme")
        // A renamed site keeps its mapping.
        #expect(try store.recordSites([ListedSite(uid: "s1", name: "Head office", devices: 4)], at: t0).first?.tenant == "acme")
    }

    @Test func mappingAnUnknownSiteOrTenantFails() throws {
        _ = try store.recordSites([ListedSite(uid: "s1", name: "HQ", devices: nil)], at: t0)
        #expect(throws: SiteMappingError.unknownSite("nope")) { try store.setSiteMapping("nope", tenant: "acme", audit: AuditEntry(event: "x")) }
        #expect(throws: SiteMappingError.unknownTenant("initech")) { try store.setSiteMapping("s1", tenant: "initech", audit: AuditEntry(event: "x")) }
        #expect(SiteMappingError.unknownSite("nope").description == "unknown Datto site 'nope': run 'switchboard datto sites' to list the sites Datto has")
        #expect(try events().isEmpty)
    }

    @Test func pagesCreateUpdateAndSkipThenGoneDevicesAreMarked() throws {
        try mapped()
        let first = try store.startSync(at: t0, audit: AuditEntry(event: "datto.sync.started", actor: "alice"))
        let counts = try store.applyDevicePage([device("d1", site: "s1"), device("d2", site: "s2"), device("d3", site: "s3"), device("d4", site: "s9")],
                                               sync: first, actor: "alice", at: t0)
        #expect(counts.created == 2 && counts.skipped == 2 && counts.updated == 0)
        _ = try store.applyDevicePage([device("d5", site: "s1")], sync: first, actor: "alice", at: t0)
        let run = try store.finishSync(first, error: nil, at: t0, completion: AuditEntry(event: "datto.sync.completed", actor: "alice"))
        #expect(run.outcome == .completed && run.pages == 2 && run.created == 3 && run.skipped == 2 && run.gone == 0)
        let devices = try store.devices(tenants: nil)
        #expect(devices.map(\.id) == ["datto:d1", "datto:d2", "datto:d5"])
        #expect(devices.map(\.tenant) == ["acme", "globex", "acme"])
        #expect(devices.first?.location == "Site s1" && devices.first?.site == "s1" && devices.first?.platform == "datto")

        // Second sync: d1 renamed, d2 only seen again (lastSeen moves: no audit), d5 gone.
        let second = try store.startSync(at: t0, audit: AuditEntry(event: "datto.sync.started", actor: "alice"))
        let again = try store.applyDevicePage([device("d1", site: "s1", name: "renamed"), device("d2", site: "s2", seen: 60)],
                                              sync: second, actor: "alice", at: t0)
        #expect(again.updated == 1 && again.unchanged == 1 && again.created == 0)
        let done = try store.finishSync(second, error: nil, at: t0, completion: AuditEntry(event: "datto.sync.completed", actor: "alice"))
        #expect(done.gone == 1)
        let gone = try #require(try store.devices(tenants: ["acme"]).first { $0.id == "datto:d5" })
        #expect(gone.goneAt != nil)
        let trail = try store.auditEntries(AuditFilter(), limit: nil)
        #expect(trail.filter { $0.entry.event == "datto.device.created" }.count == 3)
        let updated = try #require(trail.first { $0.entry.event == "datto.device.updated" })
        #expect(updated.entry.details["changed"] == "name" && updated.entry.device == "datto:d1" && updated.entry.tenant == "acme")
        #expect(trail.contains { $0.entry.event == "datto.device.gone" && $0.entry.device == "datto:d5" })
        let completed = try #require(trail.last)
        #expect(completed.entry.event == "datto.sync.completed" && completed.entry.details["gone"] == "1" && completed.entry.details["updated"] == "1")
        #expect(try store.verifyAuditChain().isIntact)
    }

    @Test func aFailedSyncMarksNothingGone() throws {
        try mapped()
        let first = try store.startSync(at: t0, audit: AuditEntry(event: "datto.sync.started"))
        _ = try store.applyDevicePage([device("d1", site: "s1"), device("d2", site: "s1")], sync: first, actor: "x", at: t0)
        _ = try store.finishSync(first, error: nil, at: t0, completion: AuditEntry(event: "datto.sync.completed"))
        let second = try store.startSync(at: t0, audit: AuditEntry(event: "datto.sync.started"))
        _ = try store.applyDevicePage([device("d1", site: "s1")], sync: second, actor: "x", at: t0)
        let failed = try store.finishSync(second, error: "HTTP 500", at: t0, completion: AuditEntry(event: "datto.sync.failed"))
        #expect(failed.outcome == .failed && failed.gone == 0 && failed.error == "HTTP 500")
        #expect(try store.devices(tenants: nil).allSatisfy { $0.goneAt == nil })
        #expect(try store.auditEntries(AuditFilter(), limit: nil).last?.entry.error == "HTTP 500")
    }

    @Test func anInterruptedRunIsClosedAsFailedByTheNextStart() throws {
        let first = try store.startSync(at: t0, audit: AuditEntry(event: "datto.sync.started"))
        _ = try store.startSync(at: t0, audit: AuditEntry(event: "datto.sync.started"))
        let runs = try store.syncRuns(limit: 5)
        #expect(runs.map(\.outcome) == [.running, .failed])
        #expect(runs.last?.id == first && runs.last?.error == "interrupted: the process ended during the sync")
    }

    func intake(_ uid: String, site: String = "s1", device: String? = "d1") -> AlertIntake {
        AlertIntake(uid: uid, siteUid: site, siteName: nil, deviceUid: device, dattoPriority: "High", type: "CPU",
                    ticket: NewTicketFields(title: "CPU alert on host-d1", priority: .high, category: "Performance", queue: "noc", assignee: "alice"),
                    raisedAt: t0, actor: "datto:webhook")
    }

    @Test func alertsBecomeOneTicketEachInTheSitesTenant() throws {
        try mapped()
        let sync = try store.startSync(at: t0, audit: AuditEntry(event: "datto.sync.started"))
        _ = try store.applyDevicePage([device("d1", site: "s1"), device("d2", site: "s2")], sync: sync, actor: "x", at: t0)
        let outcomes = try store.ingestAlerts([intake("a1"), intake("a1"), intake("a2", site: "s3"), intake("a3", site: "new-site"),
                                               intake("a4", device: "d2"), intake("a5", site: "s2", device: "d2")], at: t0)
        guard case .created(let ticket, let device, nil) = outcomes[0] else { Issue.record("\(outcomes[0])"); return }
        #expect(ticket.tenant == "acme" && device == "datto:d1" && ticket.priority == .high && ticket.queue == "noc" && ticket.assignee == "alice")
        #expect(outcomes[1] == .duplicate(ticket: ticket.id))
        #expect(outcomes[2] == .ignored(site: "s3", mapping: .ignored, known: true))
        #expect(outcomes[3] == .ignored(site: "new-site", mapping: .unmapped, known: false))
        // d2 belongs to globex: an acme alert about it is not linked to it.
        guard case .created(let other, nil, "d2") = outcomes[4] else { Issue.record("\(outcomes[4])"); return }
        #expect(other.device == nil && other.tenant == "acme")
        guard case .created(let globex, "datto:d2", nil) = outcomes[5] else { Issue.record("\(outcomes[5])"); return }
        #expect(globex.tenant == "globex")
        #expect(try store.dattoSites().contains { $0.uid == "new-site" && $0.mapping == .unmapped })
        let received = try store.auditEntries(AuditFilter(), limit: nil).filter { $0.entry.event == "datto.alert.received" }
        #expect(received.map { $0.entry.outcome ?? "" } == ["accepted", "duplicate", "ignored", "ignored", "accepted", "accepted"])
        #expect(try store.tickets(tenants: nil, status: nil, limit: 10).count == 3)
        #expect(try store.dattoStatistics(since: t0).ticketsCreated == 3)
    }

    @Test func aResolvedAlertResolvesItsTicketWhenDue() throws {
        try mapped()
        guard case .created(let ticket, _, _) = try store.ingestAlerts([intake("a1")], at: t0)[0] else { Issue.record("not created"); return }
        #expect(try store.markAlertResolved("zz", at: t0, resolveAfter: 60, actor: "datto:webhook") == .unknown)
        #expect(try store.markAlertResolved("a1", at: t0, resolveAfter: 60, actor: "datto:webhook")
            == .scheduled(ticket: ticket.id, due: t0.addingTimeInterval(60)))
        #expect(try store.markAlertResolved("a1", at: t0, resolveAfter: 60, actor: "datto:webhook") == .alreadyResolved(ticket: ticket.id))
        #expect(try store.dueResolutions(at: t0.addingTimeInterval(59), limit: 10).isEmpty)
        let due = try store.dueResolutions(at: t0.addingTimeInterval(60), limit: 10)
        #expect(due.map(\.ticket.id) == [ticket.id])
        let resolved = try store.completeResolution(due[0], at: t0.addingTimeInterval(60), note: "resolved automatically",
                                                    audit: [AuditEntry(event: "datto.ticket.resolved", tenant: "acme")])
        #expect(resolved.status == .resolved && resolved.resolvedAt != nil)
        #expect(try store.notes(ticket: ticket.id).map(\.text) == ["resolved automatically"])
        #expect(try store.dueResolutions(at: t0.addingTimeInterval(3600), limit: 10).isEmpty)
        #expect(try store.dattoStatistics(since: t0).ticketsAutoResolved == 1)
    }
}
