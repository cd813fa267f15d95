import Delivery
import Foundation
import PluginHost
import SwitchboardStore

/// Raises the integration's failure alerts through the delivery targets (the outbox): the
/// credentials refused, a sync that failed, an unmapped site, no webhook for a while. Each is
/// raised once per occurrence, not on every retry: a failure once until a sync succeeds again,
/// an unmapped site once, silence once until a webhook arrives. Each raise is audited
/// (`datto.failure.raised`) and marked (`failure.<kind>`) for the dashboard.
public struct FailureAlerts: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case authentication, syncError = "sync-error", unmappedSite = "unmapped-site", webhookSilence = "webhook-silence"
    }

    let settings: DattoSettings.FailureAlerts
    let store: SQLiteStore
    /// Where alerts go; nil when no target is configured (the raise is still audited).
    let engine: DeliveryEngine?
    let actor: String

    public init(settings: DattoSettings.FailureAlerts, store: SQLiteStore, engine: DeliveryEngine?, actor: String) {
        self.settings = settings
        self.store = store
        self.engine = engine
        self.actor = actor
    }

    /// Whether alerts of `kind` are turned on.
    public func isEnabled(_ kind: Kind) -> Bool {
        switch kind {
        case .authentication: settings.authentication
        case .syncError: settings.syncError
        case .unmappedSite: settings.unmappedSite
        case .webhookSilence: settings.webhookSilenceSeconds != nil
        }
    }

    /// Raises a failed sync's alert (authentication or sync error) unless one was raised since the
    /// last successful sync. Returns the outbox messages written.
    @discardableResult
    public func syncFailed(_ error: DattoError, at date: Date) throws(StoreError) -> [OutboxMessage] {
        let kind: Kind = if case .authentication = error { .authentication } else { .syncError }
        let statistics = try store.dattoStatistics(since: date)
        let lastSuccess = try store.syncRuns(limit: 50).first { $0.outcome == .completed }?.finishedAt ?? .distantPast
        if let raised = statistics.marks["failure.\(kind.rawValue)"], raised >= lastSuccess { return [] }
        let message = kind == .authentication
            ? "Datto RMM refused Switchboard's API credentials; device sync and alert details stop until they are fixed (switchboard datto connect). \(error)"
            : "Datto RMM device sync failed: \(error)"
        return try raise(kind, severity: kind == .authentication ? .critical : .error, message: message, data: ["error": .string(error.description)], at: date)
    }

    /// Raises one alert per unmapped site not flagged before, and flags them.
    @discardableResult
    public func unmappedSites(_ sites: [DattoSite], at date: Date) throws(StoreError) -> [OutboxMessage] {
        let fresh = sites.filter { $0.mapping == .unmapped && $0.flaggedAt == nil }
        guard !fresh.isEmpty else { return [] }
        let audit = fresh.map {
            AuditEntry(event: "datto.site.unmapped", actor: actor, site: $0.uid, outcome: "flagged", details: ["name": $0.name])
        }
        try store.flagSites(fresh.map(\.uid), at: date, audit: audit)
        var messages: [OutboxMessage] = []
        for site in fresh {
            messages += try raise(.unmappedSite, severity: .warning,
                                  message: "Datto RMM site '\(site.name)' (\(site.uid)) is not mapped to a tenant: its devices and alerts are not imported. Map it with switchboard datto sites map \(site.uid) TENANT, or ignore it.",
                                  data: ["site": .string(site.uid), "siteName": .string(site.name)], at: date)
        }
        return messages
    }

    /// Raises the silence alert when no webhook has arrived for the configured time (counted from
    /// `since` when none ever has), once per silence.
    @discardableResult
    public func checkSilence(since start: Date, at date: Date) throws(StoreError) -> [OutboxMessage] {
        guard let limit = settings.webhookSilenceSeconds else { return [] }
        let marks = try store.dattoStatistics(since: date).marks
        let last = max(marks["webhook"] ?? start, start)
        guard date.timeIntervalSince(last) >= limit else { return [] }
        if let raised = marks["failure.\(Kind.webhookSilence.rawValue)"], raised >= last { return [] }
        let minutes = Int(limit / 60)
        return try raise(.webhookSilence, severity: .warning,
                         message: "No Datto RMM webhook received for \(minutes) minutes (since \(last.formatted(.iso8601))): check the webhook in Datto RMM and the secret.",
                         data: ["lastWebhook": .string(last.formatted(.iso8601))], at: date)
    }

    private func raise(_ kind: Kind, severity: AlertSeverity, message: String, data: [String: JSONValue], at date: Date) throws(StoreError) -> [OutboxMessage] {
        try store.mark("failure.\(kind.rawValue)", at: date)
        guard isEnabled(kind) else { return [] }
        var details = ["kind": kind.rawValue]
        details["site"] = if case .string(let site)? = data["site"] { site } else { nil }
        let messages = try engine?.enqueue(alert: AlertEvent(severity: severity, module: "Datto RMM", message: message,
                                                             data: data.merging(["kind": .string(kind.rawValue)]) { given, _ in given })) ?? []
        try store.append([AuditEntry(event: "datto.failure.raised", actor: actor, outcome: messages.isEmpty ? "no-target" : "queued",
                                     details: details.merging(["message": message, "targets": String(messages.count)]) { given, _ in given })], at: date)
        return messages
    }
}
