import Foundation
import Logging
import PluginHost
import SwitchboardStore

/// Turns Datto alert webhooks (already authenticated) into tickets. The body is the user's
/// template: `{"alertUid": "[alert_uid]"}` at least, `"resolved": true` in the resolved-alert
/// template; a body that also carries the site and priority (`siteUid`, `priority`, and
/// optionally `alertType`, `message`, `deviceUid`, `deviceName`, `siteName`) is used as is,
/// otherwise the alert is read from the API. Alerts from many requests are committed together
/// (group commit): one ticket per alert uid, in the tenant its site is mapped to, linked to its
/// CMDB device, with its priority, category, queue and assignee mapped.
///
/// Answers (JSON): 201 created, 200 duplicate, 202 ignored (site not mapped), 202 resolving,
/// 200 recorded / already-resolved, 400 malformed JSON, 422 a bad field, 404 an unknown alert,
/// 503 when the API cannot be read (Datto should send it again), 500 when the store failed.
public final class AlertIngest: Sendable {
    /// The actor of everything a webhook does.
    public static let actor = "datto:webhook"

    let store: SQLiteStore
    let client: DattoClient?
    let settings: DattoSettings
    let failures: FailureAlerts
    let resolver: AutoResolver
    let logger: Logger
    private let tickets: GroupCommit<AlertIntake, AlertIngestOutcome>

    /// - Parameter client: reads alerts whose webhook carries only their uid; nil when not connected.
    public init(store: SQLiteStore, client: DattoClient?, settings: DattoSettings, failures: FailureAlerts, resolver: AutoResolver,
                logger: Logger = Logger(label: "switchboard.datto.alerts")) {
        self.store = store
        self.client = client
        self.settings = settings
        self.failures = failures
        self.resolver = resolver
        self.logger = logger
        tickets = GroupCommit(label: "switchboard.datto.alerts", path: store.path) { batch throws(StoreError) in
            try store.ingestAlerts(batch, at: Date())
        }
    }

    /// An HTTP answer: status and JSON body.
    public struct Answer: Sendable, Equatable {
        public let status: Int
        public let body: JSONValue

        init(_ status: Int, _ members: [String: JSONValue]) {
            self.status = status
            body = .object(members)
        }

        static func error(_ status: Int, _ text: String) -> Answer { Answer(status, ["error": .string(text)]) }
    }

    /// Handles one webhook body.
    public func receive(_ body: [UInt8]) async -> Answer {
        let webhook: AlertWebhookBody
        do { webhook = try AlertWebhookBody(body) } catch {
            switch error {
            case .malformed(let text): return rejected(.error(400, text), reason: "malformed")
            case .invalid(let text): return rejected(.error(422, text), reason: "invalid")
            }
        }
        let uid = webhook.uid
        if webhook.resolved { return resolve(uid) }
        do {
            guard let intake = try await intake(uid, webhook.alert) else {
                return .error(404, "unknown alert '\(uid)': Datto RMM does not know it")
            }
            return await raise(intake)
        } catch let problem as FieldProblem {
            return rejected(.error(422, problem.text), reason: "invalid")
        } catch let error as DattoError {
            if case .authentication = error { _ = try? failures.syncFailed(error, at: Date()) }
            return .error(503, "cannot read alert '\(uid)' from Datto RMM, send it again later: \(error)")
        } catch {
            return .error(500, "\(error)")
        }
    }

    // MARK: Raised alerts

    private func raise(_ intake: AlertIntake) async -> Answer {
        let outcome: AlertIngestOutcome
        do { outcome = try await tickets.submit(intake) } catch {
            logger.error("alert not stored", metadata: ["alert": "\(intake.uid)", "error": "\(error)"])
            return .error(500, "the alert could not be stored, send it again: \(error.reason)")
        }
        switch outcome {
        case .created(let ticket, let device, let unlinked):
            var answer: [String: JSONValue] = [
                "status": .string("created"), "ticket": .integer(ticket.id), "tenant": .string(ticket.tenant),
                "priority": .string(ticket.priority.rawValue), "device": device.map(JSONValue.string) ?? .null,
                "category": ticket.category.map(JSONValue.string) ?? .null, "queue": ticket.queue.map(JSONValue.string) ?? .null,
            ]
            if let unlinked { answer["warning"] = .string("device '\(unlinked)' is not in the tenant's CMDB (yet): the ticket is not linked to a device") }
            return Answer(201, answer)
        case .duplicate(let ticket):
            return Answer(200, ["status": .string("duplicate"), "ticket": .integer(ticket)])
        case .ignored(let site, let mapping, _):
            if mapping == .unmapped {
                do { try failures.unmappedSites(try store.dattoSites(), at: Date()) } catch {
                    logger.error("could not flag the unmapped site", metadata: ["site": "\(site)", "error": "\(error)"])
                }
            }
            let hint = mapping == .ignored ? "it is ignored" : "map it with switchboard datto sites map \(site) TENANT"
            return Answer(202, ["status": .string("ignored"), "reason": .string("site '\(site)' is \(mapping.rawValue): \(hint)")])
        }
    }

    /// A bad field of the alert.
    private struct FieldProblem: Error { let text: String }

    /// The alert from the body when it carried what a ticket needs, else from the API (nil: Datto does not know it).
    private func intake(_ uid: String, _ carried: DattoAlert?) async throws -> AlertIntake? {
        let alert: DattoAlert
        if let carried {
            alert = carried
        } else {
            guard let client else { throw DattoError.notConnected(file: DattoSettings.fileName) }
            guard let fetched = try await client.alert(uid) else { return nil }
            alert = fetched
        }
        guard let priority = Self.priorities[alert.priority] else {
            throw FieldProblem(text: "priority: expected one of \(Self.priorityNames.joined(separator: ", ")), got '\(alert.priority)'")
        }
        let category = settings.category(ofAlertType: alert.type)
        let queue = settings.queues[category]
        let firstLine = alert.message.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        let subject = alert.deviceName ?? alert.deviceUid ?? "an unknown device"
        let title = "\(alert.type) alert on \(subject)" + (firstLine.isEmpty ? "" : ": \(firstLine.prefix(160))")
        return AlertIntake(uid: uid, siteUid: alert.siteUid, siteName: alert.siteName, deviceUid: alert.deviceUid, dattoPriority: alert.priority,
                           type: alert.type, ticket: NewTicketFields(title: title, priority: priority, category: category, queue: queue,
                                                                     assignee: queue.flatMap { settings.assignees[$0] }),
                           raisedAt: alert.raisedAt, actor: Self.actor)
    }

    /// Datto's priorities and the ticket priorities they map to.
    static let priorities: [String: Ticket.Priority] = ["Critical": .critical, "High": .high, "Moderate": .medium, "Low": .low,
                                                         "Information": .low, "Unknown": .medium]
    static let priorityNames = ["Critical", "High", "Moderate", "Low", "Information", "Unknown"]

    // MARK: Resolved alerts

    private func resolve(_ uid: String) -> Answer {
        let delay = settings.autoResolve.enabled ? settings.autoResolve.delaySeconds : nil
        do {
            switch try store.markAlertResolved(uid, at: Date(), resolveAfter: delay, actor: Self.actor) {
            case .unknown:
                return .error(404, "unknown alert '\(uid)': no ticket was created for it")
            case .alreadyResolved(let ticket):
                return Answer(200, ["status": .string("already-resolved"), "ticket": .integer(ticket)])
            case .recorded(let ticket):
                return Answer(200, ["status": .string("recorded"), "ticket": .integer(ticket)])
            case .scheduled(let ticket, let due):
                if due <= Date() { _ = try resolver.resolveDue(at: Date()) }
                return Answer(202, ["status": .string(due <= Date() ? "resolved" : "resolving"), "ticket": .integer(ticket),
                                    "resolveAt": .string(due.formatted(.iso8601))])
            }
        } catch {
            return .error(500, "the resolution could not be stored, send it again: \(error)")
        }
    }

    // MARK: Helpers

    /// Audits a body that was refused before any alert was read.
    private func rejected(_ answer: Answer, reason: String) -> Answer {
        let error: String = if case .string(let text)? = answer.body["error"] { text } else { "" }
        do {
            try store.append([AuditEntry(event: "datto.webhook.rejected", actor: Self.actor, outcome: reason, error: error,
                                         details: ["status": String(answer.status)])])
        } catch {
            logger.error("could not audit a rejected webhook", metadata: ["error": "\(error)"])
        }
        return answer
    }
}
