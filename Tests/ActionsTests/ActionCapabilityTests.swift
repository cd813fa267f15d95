import Actions
import Foundation
import PluginHost
import SwitchboardStore
import TestSupport
import Testing

/// The router holds an action plugin to its manifest's `capabilities`: a request for a tenant or a
/// device platform it does not declare never reaches it, and a plan with a step it does not declare
/// is refused whole. Real plugins: the plan fixture (`Tests/Fixtures/PlanPlugin`) plans what the
/// test builds it with.
@Suite struct ActionCapabilityTests {
    /// Builds the plan fixture into `<fixture>/plugins/plan` as action `fixed-plan` (permission
    /// `action:reboot`, platforms local and datto) planning `plan`, with `capabilities`, and loads
    /// it in this process.
    static func planPlugin(_ fixture: RouterFixture, plan: String, capabilities: [String: Any]) async throws -> LoadedPlugin {
        let folder = try fixture.folder.folder("plugins/plan")
        let literal = plan.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        try await fixture.folder.compileC(Paths.fixtures + "/PlanPlugin/plan.c", to: folder + "/libplan.so", defines: ["FIXED_PLAN=\"\(literal)\""])
        let manifest: [String: Any] = [
            "id": "example.plan", "name": "Fixed plan", "version": "1.0.0", "kind": "action", "abi": 1, "library": "libplan.so",
            "sha256": try await sha256(of: folder + "/libplan.so"), "action": "fixed-plan", "permission": "action:reboot",
            "platforms": ["local", "datto"], "capabilities": capabilities,
            "entryPoints": [
                ["role": "describe", "symbol": "plan_describe", "signature": "pointer()"],
                ["role": "init", "symbol": "plan_init", "signature": "int32(pointer)"],
                ["role": "plan_action", "symbol": "plan_plan_action", "signature": "int32(pointer,size,pointer)"],
            ],
        ]
        try JSONSerialization.data(withJSONObject: manifest, options: [.sortedKeys]).write(to: URL(fileURLWithPath: folder + "/manifest.json"))
        var isolation = IsolationSettings(environment: .current)
        isolation.overrides["*"] = .inProcess
        isolation.quarantine = nil
        let candidate = PluginCandidate(manifestPath: folder + "/manifest.json", libraryFolder: folder, origin: .pluginPath)
        return try PluginCatalog.load([candidate], isolation: isolation).plugin(id: "example.plan")
    }

    static let localReboot = #"{"kind": "local-reboot"}"#
    static let dattoJob = #"{"kind": "platform-job", "platform": "datto", "device": "dev-1", "operation": "reboot"}"#
    static let ninjaJob = #"{"kind": "platform-job", "platform": "ninja", "device": "dev-1", "operation": "reboot"}"#

    /// Each refusal: the exact error, `rejected` in the audit (after `requested` when the plugin
    /// had planned), and nothing run on any platform.
    @Test(arguments: [
        // Before the plugin is called: the ticket's tenant, the device's platform.
        (1, [localReboot], ["tenants": ["globex"]], "example.plan: capabilities.tenants: ticket 1 is in tenant 'acme', which is not declared (declares globex)",
         [ActionEvent.rejected]),
        (1, [localReboot], ["platforms": ["datto"]], "example.plan: capabilities.platforms: device 'local' is on platform 'local', which is not declared (declares datto)",
         [ActionEvent.rejected]),
        // After plan_action: a step's kind, a step's platform; the steps before it do not run either.
        (1, [localReboot], ["emits": ["platform-job"]], "example.plan: capabilities.emits: plan step 1 is 'local-reboot', which is not declared (declares platform-job)",
         [ActionEvent.requested, ActionEvent.rejected]),
        (2, [dattoJob, localReboot], ["emits": ["platform-job"]],
         "example.plan: capabilities.emits: plan step 2 is 'local-reboot', which is not declared (declares platform-job)",
         [ActionEvent.requested, ActionEvent.rejected]),
        (2, [dattoJob, ninjaJob], ["emits": ["platform-job"], "platforms": ["datto"]],
         "example.plan: capabilities.platforms: plan step 2 runs on platform 'ninja', which is not declared (declares datto)",
         [ActionEvent.requested, ActionEvent.rejected]),
    ] as [(Int64, [String], [String: [String]], String, [String])])
    func requestsAndPlansOutsideTheDeclarationNeverRun(ticket: Int64, steps: [String], capabilities: [String: [String]], error: String,
                                                       events: [String]) async throws {
        let fixture = try RouterFixture()
        let plan = #"{"steps": [\#(steps.joined(separator: ", "))], "summary": "fixed"}"#
        let plugin = try await Self.planPlugin(fixture, plan: plan, capabilities: capabilities)
        let ninja = RecordingRunner(platform: "ninja")
        let result = await fixture.router(extra: [ninja], plugins: [plugin]).run(ActionRequest(action: "fixed-plan", ticket: ticket, principal: "alice"))
        #expect(result.outcome == .rejected)
        #expect(result.error == error)
        #expect(fixture.reboots == 0)
        #expect(fixture.datto.steps.withLock { $0 }.isEmpty)
        #expect(ninja.steps.withLock { $0 }.isEmpty)
        let entries = try fixture.store.auditEntries(AuditFilter(), limit: nil).filter { $0.entry.correlationID == result.correlationID }.map(\.entry)
        #expect(entries.map(\.event) == events)
        let closing = try #require(entries.last)
        #expect(closing.outcome == "rejected")
        #expect(closing.error == error)
        #expect(closing.plugin == "example.plan@1.0.0")
        #expect(closing.tenant == "acme")
        // A request that was recorded as requested gets its ending on the ticket too.
        let notes = try fixture.store.notes(ticket: ticket).filter { $0.correlationID == result.correlationID }
        #expect(notes.count == (events.count == 2 ? 1 : 0))
        #expect(notes.first.map { $0.text.hasPrefix("fixed-plan requested by alice: rejected [\(result.correlationID)]") && $0.text.hasSuffix("error: \(error)") } ?? true)
        #expect(try fixture.store.verifyAuditChain().isIntact)
    }

    @Test func aDryRunOfAPlanOutsideTheDeclarationIsRejected() async throws {
        let fixture = try RouterFixture()
        let plugin = try await Self.planPlugin(fixture, plan: #"{"steps": [\#(Self.localReboot)], "summary": "fixed"}"#,
                                               capabilities: ["emits": ["platform-job"]])
        let result = await fixture.router(plugins: [plugin]).run(ActionRequest(action: "fixed-plan", ticket: 1, principal: "alice", dryRun: true))
        #expect(result.outcome == .rejected)
        #expect(result.error == "example.plan: capabilities.emits: plan step 1 is 'local-reboot', which is not declared (declares platform-job)")
        #expect(try fixture.events(result.correlationID) == [ActionEvent.rejected])
    }

    @Test func aRequestAndPlanWithinTheDeclarationRun() async throws {
        let fixture = try RouterFixture()
        let plugin = try await Self.planPlugin(fixture, plan: #"{"steps": [\#(Self.localReboot)], "summary": "fixed"}"#,
                                               capabilities: ["emits": ["local-reboot"], "platforms": ["local"], "tenants": ["acme"]])
        #expect(plugin.manifest.capabilities == Capabilities(emits: [.localReboot], platforms: ["local"], tenants: .only(["acme"])))
        let result = await fixture.router(plugins: [plugin]).run(ActionRequest(action: "fixed-plan", ticket: 1, principal: "alice"))
        #expect(result.outcome == .executed, "\(result.error ?? "")")
        #expect(fixture.reboots == 1)
        #expect(try fixture.events(result.correlationID) == [ActionEvent.requested, ActionEvent.executed])
    }

    /// `actions run` prints the refusal and exits with the rejection code.
    @Test func theCLIShowsTheRefusalAndExitsWithTheRejectionCode() async throws {
        let fixture = try RouterFixture()
        _ = try await Self.planPlugin(fixture, plan: #"{"steps": [\#(Self.localReboot)], "summary": "fixed"}"#, capabilities: ["tenants": ["globex"]])
        let folder = fixture.folder
        for arguments in [["tenants", "add", "acme"], ["principals", "add", "alice"], ["access", "grant", "alice", "technician", "--tenant", "acme"],
                          ["devices", "register-local", "--tenant", "acme"], ["tickets", "create", "--tenant", "acme", "--title", "t", "--device", "local"]] {
            let step = try await folder.switchboard(arguments)
            #expect(step.status == 0, "\(arguments): \(step.stderr)")
        }
        let run = try await folder.switchboard(["actions", "run", "fixed-plan", "--ticket", "1", "--as", "alice", "--plugin-path", folder.root + "/plugins"],
                                               environment: ["SWITCHBOARD_PLUGIN_ISOLATION": "in-process", "SWITCHBOARD_LOCAL_REBOOT_COMMAND": "/bin/false"])
        #expect(run.status == 65)
        #expect(run.stdout.contains("  error: example.plan: capabilities.tenants: ticket 1 is in tenant 'acme', which is not declared (declares globex)\n"),
                "\(run.stdout)\(run.stderr)")
    }
}
