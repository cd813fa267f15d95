import Delivery
import Foundation
import PluginHost
import SwitchboardStore

/// Resolves the tickets whose Datto alert resolved, once the configured delay has passed: the
/// ticket becomes `resolved` (unless a technician already resolved or closed it), with an
/// automatic note, the time to resolve recorded (`datto.ticket.resolved`), and its assignee
/// notified through the delivery targets (an Info alert: targets carry it when their
/// MinimumSeverity is Info). `autoResolve` turns each part off.
public struct AutoResolver: Sendable {
    /// The actor of automatic resolutions.
    public static let actor = "switchboard:auto-resolve"

    let store: SQLiteStore
    let settings: DattoSettings.AutoResolve
    let engine: DeliveryEngine?

    public init(store: SQLiteStore, settings: DattoSettings.AutoResolve, engine: DeliveryEngine?) {
        self.store = store
        self.settings = settings
        self.engine = engine
    }

    /// Resolves every ticket due at `date`; returns them as they are now.
    @discardableResult
    public func resolveDue(at date: Date) throws(StoreError) -> [Ticket] {
        var resolved: [Ticket] = []
        while true {
            let due = try store.dueResolutions(at: date, limit: 100)
            if due.isEmpty { return resolved }
            for item in due { resolved.append(try resolve(item, at: date)) }
        }
    }

    private func resolve(_ due: DueResolution, at date: Date) throws(StoreError) -> Ticket {
        let seconds = max(0, date.timeIntervalSince(due.ticket.createdAt))
        let open = due.ticket.status != .resolved && due.ticket.status != .closed
        var text = "Resolved automatically: Datto RMM reported alert \(due.alert) resolved at \(due.alertResolvedAt.formatted(.iso8601))."
        if settings.sla { text += " Time to resolve: \(Self.duration(seconds)) (opened \(due.ticket.createdAt.formatted(.iso8601)))." }
        var details = ["alertUid": due.alert]
        if settings.sla { details["timeToResolveSeconds"] = String(Int(seconds.rounded())) }
        if !open { details["left"] = "the ticket was already \(due.ticket.status.rawValue)" }
        let ticket = try store.completeResolution(due, at: date, note: settings.note && open ? text : nil, audit: [
            AuditEntry(event: "datto.ticket.resolved", tenant: due.ticket.tenant, actor: Self.actor, ticket: String(due.ticket.id),
                       device: due.ticket.device, site: due.site, outcome: open ? "resolved" : "unchanged", details: details),
        ])
        if open, settings.notify, let assignee = ticket.assignee, let engine {
            let messages = try engine.enqueue(alert: AlertEvent(
                severity: .info, module: "Datto RMM",
                message: "Ticket #\(ticket.id) (\(ticket.title)) assigned to \(assignee) was resolved automatically: its Datto alert resolved."
                    + (settings.sla ? " Time to resolve: \(Self.duration(seconds))." : ""),
                data: ["ticket": .integer(ticket.id), "tenant": .string(ticket.tenant), "assignee": .string(assignee), "alertUid": .string(due.alert)]))
            try store.append([AuditEntry(event: "datto.ticket.notified", tenant: ticket.tenant, actor: Self.actor, ticket: String(ticket.id),
                                         outcome: messages.isEmpty ? "no-target" : "queued",
                                         details: ["assignee": assignee, "targets": String(messages.count)])], at: date)
        }
        return ticket
    }

    /// `1h 05m 03s`, `4m 10s`, `12s`.
    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        let (hours, minutes, rest) = (total / 3600, total % 3600 / 60, total % 60)
        if hours > 0 { return String(format: "%dh %02dm %02ds", hours, minutes, rest) }
        if minutes > 0 { return String(format: "%dm %02ds", minutes, rest) }
        return "\(rest)s"
    }
}
