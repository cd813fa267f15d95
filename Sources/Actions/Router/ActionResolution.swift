import Access
import Crypto
import Foundation
import PluginHost
import SwitchboardStore

/// Everything a request resolved to, once it may run.
struct Resolution {
    let ticket: Ticket
    let device: Device
    let platform: String
    let plugin: LoadedPlugin
    let parameters: [String: JSONValue]
    let decision: AccessDecision
}

/// Why a request stops before anything runs.
struct Refusal: Error {
    let outcome: ActionResult.Outcome
    let reason: String
    /// Facts for the audit entry that the requester is not shown (e.g. that a ticket exists in another tenant).
    var details: [String: String] = [:]

    var event: String { outcome == .denied ? ActionEvent.denied : ActionEvent.rejected }

    static func denied(_ reason: String, details: [String: String] = [:]) -> Refusal { Refusal(outcome: .denied, reason: reason, details: details) }
    static func rejected(_ reason: String) -> Refusal { Refusal(outcome: .rejected, reason: reason) }

    /// A request outside what the plugin's manifest declares in `capabilities.<field>`.
    static func undeclared(_ manifest: Manifest, field: String, subject: String, declared: [String]) -> Refusal {
        .rejected(ActionFailure.undeclared(plugin: manifest.id, field: field, subject: subject, declared: declared).description)
    }
}

/// What the audit entries and the result of one request share, filled in as the request resolves.
struct AuditContext {
    let request: ActionRequest
    let correlationID: String
    var tenant: String?
    var device: String?
    var plugin: LoadedPlugin?
    var parametersDigest: String?

    init(request: ActionRequest, correlationID: String) {
        self.request = request
        self.correlationID = correlationID
    }

    func entry(_ event: String, outcome: String, error: String? = nil, duration: Double? = nil, details: [String: String] = [:]) -> AuditEntry {
        AuditEntry(event: event, tenant: tenant, actor: request.principal, ticket: String(request.ticket), device: device, action: request.action,
                   plugin: plugin.map { "\($0.manifest.id)@\($0.manifest.version)" }, pluginSHA256: plugin?.sha256,
                   parametersDigest: parametersDigest, outcome: outcome, durationMilliseconds: duration, error: error,
                   correlationID: correlationID, details: details)
    }

    func result(_ outcome: ActionResult.Outcome, plan: ExecutionPlan? = nil, steps: [StepResult] = [], error: String? = nil,
                started: ContinuousClock.Instant) -> ActionResult {
        let elapsed = ContinuousClock.now - started
        return ActionResult(correlationID: correlationID, outcome: outcome, action: request.action, ticket: request.ticket, tenant: tenant,
                            device: device, plugin: plugin.map { "\($0.manifest.id)@\($0.manifest.version)" }, summary: plan?.summary, plan: plan,
                            steps: steps, error: error,
                            durationMilliseconds: Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
    }
}

extension ActionRouter {
    /// Resolves principal → ticket → action → permission → declared tenant → device → platform
    /// (supported, declared, with a runner) → parameters, in that order, stopping at the first
    /// refusal. Reads only; runs nothing.
    func resolve(_ request: ActionRequest, context: inout AuditContext) -> Result<Resolution, Refusal> {
        Result { () throws(Refusal) -> Resolution in try resolving(request, context: &context) }
    }

    private func resolving(_ request: ActionRequest, context: inout AuditContext) throws(Refusal) -> Resolution {
        let policy: AccessPolicy
        do { policy = try access.policy() } catch {
            throw .denied("the access policy cannot be read, so nothing is allowed: \(error)")
        }
        guard policy.principals[request.principal] != nil else { throw .denied("unknown principal '\(request.principal)'") }
        let found: (ticket: Ticket, device: Device?)?
        do { found = try store.ticketWithDevice(id: request.ticket) } catch { throw .rejected("the store cannot be read: \(error)") }
        // The same answer for a missing ticket and another tenant's, so tenants cannot be probed.
        let hidden = "ticket \(request.ticket): no such ticket among the tenants where \(request.principal) may act"
        guard let (ticket, linked) = found else { throw .denied(hidden, details: ["reason": "no such ticket"]) }
        context.tenant = ticket.tenant
        guard let plugin = actions[request.action] else {
            throw .rejected("unknown action '\(request.action)' (known: \(actionNames.joined(separator: ", ")))")
        }
        context.plugin = plugin
        let permission = plugin.manifest.permission ?? "action:\(request.action)"
        let decision = policy.decide(principal: request.principal, permission: permission, tenant: ticket.tenant)
        guard decision.allowed else {
            // Only a principal who may read the tenant's tickets learns why.
            let sees = policy.decide(principal: request.principal, permission: "tickets:read", tenant: ticket.tenant).allowed
            throw .denied(sees ? decision.reason : hidden, details: sees ? [:] : ["reason": decision.reason])
        }
        let declared = plugin.manifest.capabilities
        guard declared.tenants.contains(ticket.tenant) else {
            throw .undeclared(plugin.manifest, field: "tenants", subject: "ticket \(ticket.id) is in tenant '\(ticket.tenant)'",
                              declared: declared.tenants.names)
        }
        guard let deviceID = ticket.device else { throw .rejected("ticket \(ticket.id) has no linked device to act on") }
        context.device = deviceID
        guard let device = linked else { throw .rejected("ticket \(ticket.id): device '\(deviceID)' is not in the CMDB") }
        guard let platform = device.platform else { throw .rejected("device '\(device.id)' has no platform to act through") }
        let supported = plugin.manifest.platforms ?? []
        guard supported.contains(platform) else {
            throw .rejected("\(request.action) cannot run on platform '\(platform)' (\(plugin.manifest.id) supports \(supported.joined(separator: ", ")))")
        }
        guard declared.platforms.contains(platform) else {
            throw .undeclared(plugin.manifest, field: "platforms", subject: "device '\(device.id)' is on platform '\(platform)'",
                              declared: declared.platforms)
        }
        guard runner(for: platform) != nil else {
            throw .rejected("no runner for platform '\(platform)': configure an enabled \(platform) target to act on its devices")
        }
        let parameters: [String: JSONValue]
        do {
            switch request.parameters {
            case .text(let values): parameters = try plugin.manifest.parameters(fromText: values)
            case .json(let values): parameters = try plugin.manifest.parameters(from: values)
            }
        } catch {
            throw .rejected(error.description)
        }
        context.parametersDigest = Self.digest(parameters, secret: Set(plugin.manifest.parameters.filter(\.secret).map(\.name)))
        return Resolution(ticket: ticket, device: device, platform: platform, plugin: plugin, parameters: parameters, decision: decision)
    }

    /// SHA-256 over the parameters in name order, leaving out secret ones.
    static func digest(_ parameters: [String: JSONValue], secret: Set<String>) -> String {
        let canonical = parameters.filter { !secret.contains($0.key) }.sorted { $0.key < $1.key }
            .map { "\($0.key)\u{1F}\($0.value.text())" }.joined(separator: "\u{1E}")
        return SHA256.hash(data: Data(canonical.utf8)).hexString
    }
}
