import PluginHost
import SwitchboardStore

/// Records plugin loading in the audit trail: `plugin.loaded` (id@version and library SHA-256)
/// and `plugin.rejected` (the file and the reason), each only when it differs from what the
/// trail last recorded for that plugin, so a host that starts often does not repeat itself but
/// every new, changed or newly rejected plugin leaves evidence.
public enum PluginAudit {
    public static let loaded = "plugin.loaded"
    public static let rejected = "plugin.rejected"
    public static let crashed = "plugin.crashed"
    public static let timeout = "plugin.timeout"
    public static let unavailable = "plugin.unavailable"
    public static let quarantined = "plugin.quarantined"

    /// The audit entry for a process-isolated plugin's fault.
    public static func entry(for fault: PluginFault, actor: String) -> AuditEntry {
        let (event, outcome): (String, String) = switch fault.kind {
        case .crashed(let cause): (crashed, cause)
        case .timedOut(let milliseconds): (timeout, "\(milliseconds) ms")
        case .unavailable: (unavailable, "unavailable")
        case .quarantined: (quarantined, "quarantined")
        }
        var details: [String: String] = [:]
        if let role = fault.role { details["role"] = role.rawValue }
        return AuditEntry(event: event, actor: actor, subject: "plugin:\(fault.pluginID)", plugin: "\(fault.pluginID)@\(fault.version)",
                          pluginSHA256: fault.sha256, outcome: outcome, error: fault.message, details: details)
    }

    /// The entries that `catalog` adds to what `store` already records; appends and returns them.
    @discardableResult
    public static func record(_ catalog: PluginCatalog, in store: SQLiteStore, actor: String) throws(StoreError) -> [AuditEntry] {
        var latest: [String: AuditEntry] = [:]
        for recorded in try store.auditEntries(AuditFilter(events: ["plugin.*"]), limit: nil) {
            if let subject = recorded.entry.subject { latest[subject] = recorded.entry }
        }
        var entries: [AuditEntry] = []
        for entry in catalog.entries {
            let candidate: AuditEntry
            switch entry.result {
            case .success(let plugin):
                candidate = AuditEntry(event: loaded, actor: actor, subject: "plugin:\(plugin.manifest.id)",
                                       plugin: "\(plugin.manifest.id)@\(plugin.manifest.version)", pluginSHA256: plugin.sha256, outcome: "ok",
                                       details: ["library": plugin.libraryPath])
            case .failure(let error):
                let subject = entry.manifest.map { "plugin:\($0.id)" } ?? "manifest:\(entry.candidate.manifestPath)"
                candidate = AuditEntry(event: rejected, actor: actor, subject: subject,
                                       plugin: entry.manifest.map { "\($0.id)@\($0.version)" }, outcome: "rejected", error: error.description)
            }
            guard let subject = candidate.subject else { continue }
            if let previous = latest[subject], previous.event == candidate.event, previous.plugin == candidate.plugin,
               previous.pluginSHA256 == candidate.pluginSHA256, previous.error == candidate.error, previous.details == candidate.details {
                continue
            }
            entries.append(candidate)
        }
        if !entries.isEmpty { try store.append(entries) }
        return entries
    }
}
