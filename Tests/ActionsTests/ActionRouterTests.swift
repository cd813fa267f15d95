import Access
import Actions
import Foundation
import PluginHost
import SwitchboardStore
import TestSupport
import Testing

/// The router end to end: real plugins, a real store, real local execution (a harmless reboot
/// command), and the audit trail.
@Suite struct ActionRouterTests {
    @Test func aGrantedRebootRunsAndIsRecordedOnTheTicketAndInTheAudit() async throws {
        let fixture = try RouterFixture()
        let result = await fixture.router().run(ActionRequest(action: "reboot", ticket: 1, principal: "alice", parameters: .text(["delaySeconds": "0"])))
        #expect(result.outcome == .executed, "\(result.error ?? "")")
        #expect(result.tenant == "acme")
        #expect(result.device == "local")
        #expect(result.summary == "reboot local device local now")
        #expect(fixture.reboots == 1)

        let entries = try fixture.store.auditEntries(AuditFilter(), limit: nil).filter { $0.entry.correlationID == result.correlationID }
        #expect(entries.map(\.entry.event) == [ActionEvent.requested, ActionEvent.executed])
        let reboot = try #require(Paths.catalog.loaded.first { $0.manifest.id == "switchboard.reboot" })
        for entry in entries.map(\.entry) {
            #expect(entry.tenant == "acme")
            #expect(entry.actor == "alice")
            #expect(entry.ticket == "1")
            #expect(entry.device == "local")
            #expect(entry.action == "reboot")
            #expect(entry.plugin == "switchboard.reboot@1.0.0")
            #expect(entry.pluginSHA256 == reboot.sha256)
            #expect(entry.parametersDigest?.count == 64)
        }
        #expect(entries.last?.entry.durationMilliseconds != nil)
        let note = try #require(try fixture.store.notes(ticket: 1).last)
        #expect(note.correlationID == result.correlationID)
        #expect(note.text.hasPrefix("reboot requested by alice: executed: reboot local device local now [\(result.correlationID)]"))
        #expect(try fixture.store.verifyAuditChain().isIntact)
    }

    @Test func aDryRunPlansWithoutRunning() async throws {
        let fixture = try RouterFixture()
        let result = await fixture.router().run(ActionRequest(action: "reboot", ticket: 2, principal: "alice", parameters: .json(["force": .bool(true)]),
                                                              dryRun: true))
        #expect(result.outcome == .planned)
        #expect(result.plan?.steps == [.platformJob(platform: "datto", device: "dev-1", operation: "reboot",
                                                    variables: ["delaySeconds": "0", "force": "true"])])
        #expect(fixture.datto.steps.withLock { $0 }.isEmpty)
        #expect(try fixture.events(result.correlationID) == [ActionEvent.planned])
    }

    /// Every bad request: a clear error, one audit entry, nothing run (no `requested` either).
    @Test(arguments: [
        ("reboot", 1, "mallory", [:], ActionResult.Outcome.denied, "mallory has no grant of action:reboot in tenant acme (deny by default)"),
        ("reboot", 1, "carol", [:], .denied, "unknown principal 'carol'"),
        ("reboot", 1, "bob", [:], .denied, "ticket 1: no such ticket among the tenants where bob may act"),
        ("reboot", 99, "alice", [:], .denied, "ticket 99: no such ticket among the tenants where alice may act"),
        ("reboot", 3, "alice", [:], .denied, "ticket 3: no such ticket among the tenants where alice may act"),
        ("run-script", 1, "alice", ["script": "ok.sh"], .denied,
         "explicitly denied by 'action:run-script' for alice in tenant acme (switchboard access)"),
        ("format-disk", 1, "alice", [:], .rejected, "unknown action 'format-disk' (known: reboot, remote-connection, run-script)"),
        ("reboot", 1, "alice", ["delaySeconds": "soon"], .rejected, "switchboard.reboot: parameter 'delaySeconds': expected an integer, got 'soon'"),
        ("reboot", 1, "alice", ["delaySeconds": "90000"], .rejected, "switchboard.reboot: parameter 'delaySeconds': must be at most 86400, got 90000"),
        ("reboot", 1, "alice", ["when": "now"], .rejected, "switchboard.reboot: unknown parameter 'when' (declared: delaySeconds, force)"),
        ("reboot", 4, "alice", [:], .rejected, "device 'manual:printer' has no platform to act through"),
        ("reboot", 5, "alice", [:], .rejected, "ticket 5 has no linked device to act on"),
        ("remote-connection", 1, "alice", [:], .rejected, "remote-connection cannot run on platform 'local' (switchboard.remote-connection supports datto)"),
    ] as [(String, Int64, String, [String: String], ActionResult.Outcome, String)])
    func badRequestsNeverRun(action: String, ticket: Int64, principal: String, parameters: [String: String],
                             outcome: ActionResult.Outcome, error: String) async throws {
        let fixture = try RouterFixture()
        let result = await fixture.router().run(ActionRequest(action: action, ticket: ticket, principal: principal, parameters: .text(parameters)))
        #expect(result.outcome == outcome)
        #expect(result.error == error)
        #expect(fixture.reboots == 0)
        #expect(fixture.datto.steps.withLock { $0 }.isEmpty)
        let entries = try fixture.store.auditEntries(AuditFilter(), limit: nil).filter { $0.entry.correlationID == result.correlationID }
        #expect(entries.map(\.entry.event) == [outcome == .denied ? ActionEvent.denied : ActionEvent.rejected])
        #expect(entries.first?.entry.outcome == outcome.rawValue)
        #expect(entries.first?.entry.actor == principal)
    }

    /// The audit keeps the real reason a requester is not shown.
    @Test func theAuditRecordsWhyAHiddenTicketWasRefused() async throws {
        let fixture = try RouterFixture()
        let result = await fixture.router().run(ActionRequest(action: "reboot", ticket: 3, principal: "alice"))
        let entry = try #require(try fixture.store.auditEntries(AuditFilter(events: [ActionEvent.denied]), limit: 10).first?.entry)
        #expect(entry.correlationID == result.correlationID)
        #expect(entry.tenant == "globex")
        #expect(entry.details["reason"] == "alice has no grant of action:reboot in tenant globex (deny by default)")
    }

    @Test func aPluginRefusalFailsAfterRequested() async throws {
        let fixture = try RouterFixture()
        _ = try fixture.store.removeRule(StoredAccessRule(principal: "alice", tenant: "acme", effect: .deny, subject: "action:run-script"))
        let result = await fixture.router().run(ActionRequest(action: "run-script", ticket: 1, principal: "alice", parameters: .text(["script": "../etc/passwd"])))
        #expect(result.outcome == .failed)
        #expect(result.error?.hasPrefix("switchboard.run-script@") == true, "\(result.error ?? "")")
        #expect(try fixture.events(result.correlationID) == [ActionEvent.requested, ActionEvent.failed])
        #expect(try fixture.store.notes(ticket: 1).last?.text.contains("error: ") == true)
    }

    @Test func aFailingStepFailsTheAction() async throws {
        let fixture = try RouterFixture()
        _ = try fixture.store.removeRule(StoredAccessRule(principal: "alice", tenant: "acme", effect: .deny, subject: "action:run-script"))
        try fixture.folder.write("#!/bin/sh\necho checking\necho broken >&2\nexit 3\n", to: "scripts/check.sh", mode: 0o755)
        let result = await fixture.router().run(ActionRequest(action: "run-script", ticket: 1, principal: "alice", parameters: .text(["script": "check.sh"])))
        #expect(result.outcome == .failed)
        #expect(result.error?.contains("exit") == true, "\(result.error ?? "")")
        #expect(try fixture.events(result.correlationID) == [ActionEvent.requested, ActionEvent.failed])
    }

    @Test func actionsRunConcurrentlyButEachDevicesOneAtATime() async throws {
        let fixture = try RouterFixture()
        for index in 0..<8 {
            try fixture.store.saveDevice(Device(id: "datto:d\(index)", tenant: "acme", platform: "datto", externalID: "d\(index)", name: "PC \(index)"), audit: [])
            _ = try fixture.store.createTicket(NewTicket(tenant: "acme", title: "t\(index)", device: "datto:d\(index)"), audit: [])
        }
        let router = fixture.router()
        let results = await withTaskGroup(of: ActionResult.self) { group in
            for index in 0..<400 {
                group.addTask { await router.run(ActionRequest(action: "reboot", ticket: Int64(6 + index % 8), principal: "alice")) }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.allSatisfy { $0.outcome == .executed })
        #expect(fixture.datto.steps.withLock { $0.count } == 400)
        #expect(fixture.datto.overlaps.withLock { $0 } == 0)
        #expect(try fixture.store.auditEntries(AuditFilter(events: [ActionEvent.executed]), limit: nil).count == 400)
        #expect(try fixture.store.verifyAuditChain().isIntact)
    }

    /// Random grants and denies for random principals, tenants and actions: nothing runs that
    /// the rules, restated plainly, do not allow; everything they allow runs.
    @Test func randomPoliciesNeverRunWhatTheyDoNotAllow() async throws {
        var generator = SplitMix(seed: 0xacce55)
        let fixture = try RouterFixture()
        let principals = ["alice", "bob", "mallory"]
        let tenants = ["acme", "globex"]
        let subjects = ["action:reboot", "action:remote-connection", "action:*", "technician", "viewer", "administrator", "tickets:*"]
        let tickets: [(Int64, String)] = [(2, "acme"), (3, "globex")]
        let actions = [("reboot", "action:reboot"), ("remote-connection", "action:remote-connection")]
        var executed = 0, checked = 0
        for _ in 0..<40 {
            for rule in try fixture.store.rules(principal: nil) { _ = try fixture.store.removeRule(rule) }
            var rules: [StoredAccessRule] = []
            for _ in 0..<Int(generator.next() % 8) {
                let rule = StoredAccessRule(principal: principals.randomElement(using: &generator) ?? "alice",
                                            tenant: tenants.randomElement(using: &generator) ?? "acme",
                                            effect: generator.next() % 3 == 0 ? .deny : .grant, subject: subjects.randomElement(using: &generator) ?? "viewer")
                if try fixture.store.addRule(rule) { rules.append(rule) }
            }
            let router = fixture.router()
            for _ in 0..<50 {
                let principal = principals.randomElement(using: &generator) ?? "alice"
                let (ticket, tenant) = tickets.randomElement(using: &generator) ?? (2, "acme")
                let (action, permission) = actions.randomElement(using: &generator) ?? ("reboot", "action:reboot")
                func covers(_ subject: String) -> Bool {
                    if let role = Role.builtIn.first(where: { $0.name == subject }) { return role.covers(permission) }
                    return subject == permission || (subject.hasSuffix(":*") && permission.hasPrefix(subject.dropLast()))
                }
                let applicable = rules.filter { $0.principal == principal && $0.tenant == tenant && covers($0.subject) }
                let allowed = applicable.contains { $0.effect == .grant } && !applicable.contains { $0.effect == .deny }
                let before = fixture.datto.steps.withLock { $0.count }
                let result = await router.run(ActionRequest(action: action, ticket: ticket, principal: principal))
                let ran = fixture.datto.steps.withLock { $0.count } > before
                #expect(ran == allowed, "\(rules) \(principal) \(action) ticket \(ticket): \(result.outcome) \(result.error ?? "")")
                #expect((result.outcome == .executed) == allowed)
                checked += 1
                if ran { executed += 1 }
            }
        }
        #expect(checked == 2000)
        #expect(executed > 100)
        #expect(try fixture.store.verifyAuditChain().isIntact)
    }
}

/// The router with the real Datto RMM runner over loopback HTTP: the device's platform (`datto`)
/// reaches the runner that serves it (`dattormm`), and a platform error fails the action after
/// its `requested` entry.
@Suite struct ActionRouterDattoTests {
    func router(_ fixture: RouterFixture, _ account: DattoAccount) throws -> ActionRouter {
        try fixture.store.saveDevice(Device(id: "datto:\(DattoAccount.device)", tenant: "acme", platform: "datto",
                                            externalID: DattoAccount.device, name: "PC-7"), audit: [])
        _ = try fixture.store.createTicket(NewTicket(tenant: "acme", title: "Reboot PC-7", device: "datto:\(DattoAccount.device)"), audit: []) // 6
        return ActionRouter(store: fixture.store, access: fixture.access, plugins: Paths.catalog.loaded,
                            runners: [LocalStepRunner(settings: fixture.localSettings), account.runner])
    }

    @Test func aRebootOnADattoDeviceRunsAsAQuickJob() async throws {
        let fixture = try RouterFixture()
        let account = try await DattoAccount.start()
        try account.script(stdout: "Restarting")
        let result = try await router(fixture, account).run(ActionRequest(action: "reboot", ticket: 6, principal: "alice"))
        #expect(result.outcome == .executed, "\(result.error ?? "")")
        #expect(result.steps.first?.details["jobUid"] == DattoAccount.job)
        #expect(account.emulator.requests(to: DattoAccount.quickJobPath).count == 1)
        #expect(try fixture.events(result.correlationID) == [ActionEvent.requested, ActionEvent.executed])
        #expect(try fixture.store.notes(ticket: 6).last?.text.contains("output: Restarting") == true)
    }

    @Test func aPlatformErrorFailsTheActionWithDattosText() async throws {
        let fixture = try RouterFixture()
        let account = try await DattoAccount.start()
        account.emulator.reply(DattoAccount.quickJobPath, .init(status: 400, body: #"{"message":"Component not found"}"#))
        let result = try await router(fixture, account).run(ActionRequest(action: "reboot", ticket: 6, principal: "alice"))
        #expect(result.outcome == .failed)
        #expect(result.error?.contains("Component not found") == true, "\(result.error ?? "")")
        let entries = try fixture.store.auditEntries(AuditFilter(), limit: nil).filter { $0.entry.correlationID == result.correlationID }
        #expect(entries.map(\.entry.event) == [ActionEvent.requested, ActionEvent.failed])
        #expect(entries.last?.entry.error == result.error)
    }
}
