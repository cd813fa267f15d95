import Access
import Crypto
import Delivery
import Foundation
import PluginHost
import SwitchboardStore

/// The audit events of an action request.
public enum ActionEvent {
    /// Committed before the plugin runs.
    public static let requested = "datto.action.requested"
    /// The principal may not: nothing ran.
    public static let denied = "datto.action.denied"
    /// The request was invalid, or the plugin's plan went beyond its declared capabilities: nothing ran.
    public static let rejected = "datto.action.rejected"
    /// A dry run made a plan.
    public static let planned = "datto.action.planned"
    public static let executed = "datto.action.executed"
    public static let failed = "datto.action.failed"
}

/// Routes action requests: ticket → tenant → device → platform → action plugin; checks the
/// permission the plugin's manifest requires, in the ticket's tenant; commits `requested`; asks
/// the plugin for a plan and runs it through the step runner of the device's platform; records
/// `executed` or `failed` together with a note on the ticket. A denied or invalid request, or one
/// outside the tenants and platforms the plugin declares (`Manifest.capabilities`), never reaches a
/// plugin; a plan with a step the plugin does not declare is `rejected` and none of it runs.
/// Requests run concurrently; each device's actions one at a time.
///
/// ```swift
/// let router = ActionRouter(store: store, access: access, plugins: catalog.loaded, runners: [LocalStepRunner(settings: settings)])
/// let result = await router.run(ActionRequest(action: "reboot", ticket: 42, principal: "alice"))
/// result.outcome   // .executed
/// ```
public final class ActionRouter: Sendable {
    /// Tickets and devices are read from it; audit entries and notes committed to it.
    let store: any TicketStore & RecordStore
    let access: AccessControl
    /// Action plugins by action name.
    let actions: [String: LoadedPlugin]
    /// Step runners by platform id (`DeliveryConfiguration.platformID`: `datto` and `dattormm` are one).
    let runners: [String: any StepRunner]
    let committer: GroupCommitter
    let locks = DeviceLocks()

    public init(store: any TicketStore & RecordStore, access: AccessControl, plugins: [LoadedPlugin], runners: [any StepRunner]) {
        self.store = store
        self.access = access
        var actions: [String: LoadedPlugin] = [:]
        for plugin in plugins where plugin.manifest.kind == .action {
            if let name = plugin.manifest.action, actions[name] == nil { actions[name] = plugin }
        }
        self.actions = actions
        self.runners = runners.reduce(into: [:]) { $0[DeliveryConfiguration.platformID($1.platform)] = $1 }
        committer = GroupCommitter(store: store)
    }

    /// The runner for a platform, however a device, plan or target spells its name.
    func runner(for platform: String) -> (any StepRunner)? { runners[DeliveryConfiguration.platformID(platform)] }

    /// The action names this router can run.
    public var actionNames: [String] { actions.keys.sorted() }

    /// Runs (or, for a dry run, plans) the request. Never throws: every outcome, including a
    /// store failure, comes back as a result with its reason.
    public func run(_ request: ActionRequest) async -> ActionResult {
        let started = ContinuousClock.now
        let correlation = UUID().uuidString.lowercased()
        var context = AuditContext(request: request, correlationID: correlation)
        let resolution: Resolution
        switch resolve(request, context: &context) {
        case .failure(let refusal):
            let result = context.result(refusal.outcome, error: refusal.reason, started: started)
            await record(DurableRecord(audit: [context.entry(refusal.event, outcome: refusal.outcome.rawValue, error: refusal.reason,
                                                             details: refusal.details)]), result: result)
            return result
        case .success(let resolved):
            resolution = resolved
        }
        if request.dryRun {
            let result: ActionResult
            switch plan(resolution, request: request, correlationID: correlation) {
            case .success(let plan):
                result = context.result(.planned, plan: plan, started: started)
                await record(DurableRecord(audit: [context.entry(ActionEvent.planned, outcome: "planned", details: ["summary": plan.summary])]),
                             result: result)
            case .failure(let failure):
                result = context.result(.rejected, error: failure.description, started: started)
                await record(DurableRecord(audit: [context.entry(ActionEvent.rejected, outcome: "rejected", error: failure.description)]), result: result)
            }
            return result
        }
        return await locks.withDevice(resolution.device.id) {
            await execute(resolution, request: request, context: context, started: started)
        }
    }

    /// Requested → plan → steps → executed or failed, with the note on the ticket.
    private func execute(_ resolution: Resolution, request: ActionRequest, context: AuditContext, started: ContinuousClock.Instant) async -> ActionResult {
        do {
            try await committer.commit(DurableRecord(audit: [context.entry(ActionEvent.requested, outcome: "requested")]))
        } catch {
            // Without a durable `requested` entry nothing may run.
            return context.result(.failed, error: "the audit trail could not be written, so nothing ran: \(error)", started: started)
        }
        var steps: [StepResult] = []
        var failure: ActionFailure?
        var plan: ExecutionPlan?
        switch self.plan(resolution, request: request, correlationID: context.correlationID) {
        case .success(let made):
            plan = made
            for step in made.steps {
                guard let runner = runner(for: step.platform) else {
                    failure = .unsupported(step: step.name, reason: "no runner for platform '\(step.platform)' (configure an enabled target for it)")
                    break
                }
                do {
                    steps.append(try await runner.run(step, correlationID: context.correlationID))
                } catch {
                    failure = error
                    break
                }
            }
        case .failure(let error):
            failure = error
        }
        // A plan outside the plugin's declared capabilities is refused whole: nothing of it ran.
        let outcome: ActionResult.Outcome = switch failure {
        case nil: .executed
        case .undeclared?: .rejected
        default: .failed
        }
        let result = context.result(outcome, plan: plan, steps: steps, error: failure?.description, started: started)
        var details: [String: String] = [:]
        if let plan { details["summary"] = plan.summary }
        for (index, step) in steps.enumerated() {
            for (key, value) in step.details { details["step\(index + 1).\(key)"] = value }
            if let code = step.exitCode { details["step\(index + 1).exitCode"] = String(code) }
        }
        let event = switch outcome {
        case .executed: ActionEvent.executed
        case .rejected: ActionEvent.rejected
        default: ActionEvent.failed
        }
        let entry = context.entry(event, outcome: outcome.rawValue, error: failure?.description,
                                  duration: result.durationMilliseconds, details: details)
        let note = NewTicketNote(ticket: request.ticket, author: "switchboard", text: Self.note(for: result, principal: request.principal),
                                 correlationID: context.correlationID)
        await record(DurableRecord(audit: [entry], note: note), result: result)
        return result
    }

    /// Commits the closing record; a failure to do so is logged on stderr (the result stands).
    private func record(_ record: DurableRecord, result: ActionResult) async {
        do { try await committer.commit(record) } catch {
            FileHandle.standardError.write(Data("switchboard: action \(result.correlationID): the audit trail could not be written: \(error)\n".utf8))
        }
    }

    /// Asks the plugin for a plan.
    private func plan(_ resolution: Resolution, request: ActionRequest, correlationID: String) -> Result<ExecutionPlan, ActionFailure> {
        let plugin = resolution.plugin
        let label = "\(plugin.manifest.id)@\(plugin.manifest.version)"
        let input = JSONValue.object([
            "action": .string(request.action),
            "device": .object(["id": .string(resolution.device.externalID ?? resolution.device.id), "platform": .string(resolution.platform),
                               "name": .string(resolution.device.name)]),
            "parameters": .object(resolution.parameters),
            "ticket": .object(["id": .string(String(resolution.ticket.id)), "tenant": .string(resolution.ticket.tenant)]),
            "correlationId": .string(correlationID),
        ])
        do {
            let output = try plugin.call(.planAction, input: input.serialized())
            let json: JSONValue
            do { json = try JSONValue.parse(output) } catch { return .failure(.badPlan(plugin: label, problem: "not JSON")) }
            return Result { () throws(ActionFailure) in
                let plan = try ExecutionPlan(json: json, plugin: label)
                if let undeclared = plan.undeclaredStep(for: plugin.manifest) { throw undeclared }
                return plan
            }
        } catch {
            switch error {
            case .failed(_, _, _, let message): return .failure(.pluginRefused(plugin: label, message: message.isEmpty ? error.description : message))
            default: return .failure(.pluginRefused(plugin: label, message: error.description))
            }
        }
    }

    /// The ticket note recording an action's result and output summary.
    static func note(for result: ActionResult, principal: String) -> String {
        var lines = ["\(result.action) requested by \(principal): \(result.outcome.rawValue)"
                     + (result.summary.map { ": \($0)" } ?? "") + " [\(result.correlationID)]"]
        for step in result.steps {
            lines.append("- \(step.summary)")
            let output = step.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
            if !output.isEmpty { lines.append("  output: " + String(output.prefix(500)) + (output.count > 500 || step.outputTruncated ? " ..." : "")) }
        }
        if let error = result.error { lines.append("error: \(error)") }
        return lines.joined(separator: "\n")
    }
}

extension PlanStep {
    /// The step's kind, for messages.
    var name: String {
        switch self {
        case .localReboot: "local-reboot"
        case .localScript(let script, _, _): "local-script \(script)"
        case .platformJob(let platform, _, let operation, _): "\(platform) job \(operation)"
        case .remoteSession(let platform, _): "\(platform) remote session"
        }
    }
}

/// What `check` found: whether the request would be allowed to run, and why.
public struct ActionCheck: Sendable, Equatable {
    public let allowed: Bool
    /// `planned` when it may run; else `denied` or `rejected`.
    public let outcome: ActionResult.Outcome
    public let tenant: String?
    public let device: String?
    /// `id@version` of the action plugin, and the permission it requires.
    public let plugin: String?
    public let permission: String?
    /// The decision's reason, including what a requester would not be shown.
    public let explanation: String
}

extension ActionRouter {
    /// Resolves the request and decides, without running, planning or auditing anything.
    public func check(_ request: ActionRequest) -> ActionCheck {
        var context = AuditContext(request: request, correlationID: "check")
        let result = resolve(request, context: &context)
        let plugin = context.plugin.map { "\($0.manifest.id)@\($0.manifest.version)" }
        let permission = context.plugin?.manifest.permission
        switch result {
        case .success(let resolution):
            return ActionCheck(allowed: true, outcome: .planned, tenant: context.tenant, device: context.device, plugin: plugin,
                               permission: permission, explanation: resolution.decision.reason)
        case .failure(let refusal):
            return ActionCheck(allowed: false, outcome: refusal.outcome, tenant: context.tenant, device: context.device, plugin: plugin,
                               permission: permission, explanation: refusal.details["reason"] ?? refusal.reason)
        }
    }
}
