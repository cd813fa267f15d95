import Access
import Actions
import Foundation
import PluginHost
import Synchronization
import SwitchboardStore
import TestSupport

/// A store with two tenants, principals, devices and tickets, and a router over the bundled plugins
/// whose local reboot command only records that it ran.
final class RouterFixture: Sendable {
    let folder: TemporaryFolder
    let store: SQLiteStore
    let access: AccessControl
    /// Where the harmless reboot command appends one line per run.
    let rebootLog: String
    let datto = RecordingRunner(platform: "datto")

    init() throws {
        folder = try TemporaryFolder()
        store = try SQLiteStore(path: folder.root + "/switchboard.sqlite")
        for tenant in ["acme", "globex"] { _ = try store.addTenant(id: tenant, name: tenant) }
        for name in ["alice", "bob", "mallory"] { try store.addPrincipal(Principal(name: name, kind: .technician)) }
        _ = try store.addRule(StoredAccessRule(principal: "alice", tenant: "acme", effect: .grant, subject: "technician"))
        _ = try store.addRule(StoredAccessRule(principal: "alice", tenant: "acme", effect: .deny, subject: "action:run-script"))
        _ = try store.addRule(StoredAccessRule(principal: "bob", tenant: "globex", effect: .grant, subject: "technician"))
        _ = try store.addRule(StoredAccessRule(principal: "mallory", tenant: "acme", effect: .grant, subject: "viewer"))
        try store.saveDevice(Device(id: "local", tenant: "acme", platform: "local", externalID: "local", name: "switchboard-host"), audit: [])
        try store.saveDevice(Device(id: "datto:dev-1", tenant: "acme", platform: "datto", externalID: "dev-1", name: "PC-1"), audit: [])
        try store.saveDevice(Device(id: "datto:dev-9", tenant: "globex", platform: "datto", externalID: "dev-9", name: "PC-9"), audit: [])
        try store.saveDevice(Device(id: "manual:printer", tenant: "acme", platform: nil, externalID: nil, name: "Printer"), audit: [])
        _ = try store.createTicket(NewTicket(tenant: "acme", title: "Disk full", device: "local"), audit: [])          // 1
        _ = try store.createTicket(NewTicket(tenant: "acme", title: "Slow PC", device: "datto:dev-1"), audit: [])     // 2
        _ = try store.createTicket(NewTicket(tenant: "globex", title: "Virus", device: "datto:dev-9"), audit: [])     // 3
        _ = try store.createTicket(NewTicket(tenant: "acme", title: "Jam", device: "manual:printer"), audit: [])       // 4
        _ = try store.createTicket(NewTicket(tenant: "acme", title: "Question"), audit: [])                           // 5
        access = AccessControl(store: store, policyFile: nil, permissions: [])
        rebootLog = folder.root + "/reboots.log"
        let command = try folder.write("#!/bin/sh\necho reboot \"$@\" >> \(rebootLog)\n", to: "fake-reboot.sh", mode: 0o755)
        _ = try folder.folder("scripts")
        localSettings = LocalActionSettings(environment: ["SWITCHBOARD_LOCAL_REBOOT_COMMAND": command], home: folder.root)
    }

    let localSettings: LocalActionSettings

    /// A router over `plugins` (which win over bundled ones of the same action) and the bundled plugins.
    func router(extra runners: [any StepRunner] = [], plugins: [LoadedPlugin] = []) -> ActionRouter {
        ActionRouter(store: store, access: access, plugins: plugins + Paths.catalog.loaded,
                     runners: [LocalStepRunner(settings: localSettings), datto] + runners)
    }

    /// How many times the reboot command ran.
    var reboots: Int {
        ((try? String(contentsOfFile: rebootLog, encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    func events(_ correlation: String) throws -> [String] {
        try store.auditEntries(AuditFilter(), limit: nil).filter { $0.entry.correlationID == correlation }.map(\.entry.event)
    }
}

/// Runs platform steps by recording them, checking that no two steps of one device overlap.
final class RecordingRunner: StepRunner {
    let platform: String
    let steps = Mutex<[PlanStep]>([])
    let running = Mutex<Set<String>>([])
    let overlaps = Mutex(0)

    init(platform: String) { self.platform = platform }

    func run(_ step: PlanStep, correlationID: String) async throws(ActionFailure) -> StepResult {
        let (device, operation): (String, String)
        switch step {
        case .platformJob(_, let target, let name, _): (device, operation) = (target, name)
        case .remoteSession(_, let target): (device, operation) = (target, "remote-session")
        case .localReboot, .localScript: throw .unsupported(step: "\(step)", reason: "not a platform step")
        }
        if !running.withLock({ $0.insert(device).inserted }) { overlaps.withLock { $0 += 1 } }
        try? await Task.sleep(for: .milliseconds(2))
        running.withLock { _ = $0.remove(device) }
        steps.withLock { $0.append(step) }
        return StepResult(summary: "recorded \(operation) on \(device)", details: ["device": device])
    }
}
