import Foundation
import PluginHost
import SwitchboardStore

/// The integration's dashboard figures at one moment: connected?, devices synced, alerts in the
/// last 24 hours, tickets created, sync success rate, the last sync. `datto status --json`, the
/// `/metrics` endpoint and the HTML page all show this.
public struct DattoStatus: Sendable {
    public let connected: Bool
    public let apiURL: String?
    public let webhookSecretSet: Bool
    public let statistics: DattoStatistics
    public let at: Date

    /// Reads the figures from the store.
    public init(settings: DattoSettings, store: SQLiteStore, at date: Date = Date()) throws(StoreError) {
        connected = settings.isConnected
        apiURL = if case .string(let url)? = settings.connection["APIEndpoint"] { url } else { nil }
        webhookSecretSet = settings.webhookSecret != nil
        statistics = try store.dattoStatistics(since: date.addingTimeInterval(-24 * 60 * 60))
        at = date
    }

    public var json: JSONValue {
        let last = statistics.lastSync
        func time(_ date: Date?) -> JSONValue { date.map { .string($0.formatted(.iso8601)) } ?? .null }
        return .object([
            "connected": .bool(connected), "apiUrl": apiURL.map(JSONValue.string) ?? .null, "webhookSecretSet": .bool(webhookSecretSet),
            "devicesSynced": .integer(Int64(statistics.devices)), "devicesGone": .integer(Int64(statistics.goneDevices)),
            "alertsLast24h": .integer(Int64(statistics.recentAlerts)), "ticketsCreated": .integer(Int64(statistics.ticketsCreated)),
            "ticketsAutoResolved": .integer(Int64(statistics.ticketsAutoResolved)),
            "syncs": .object(["completed": .integer(Int64(statistics.syncsCompleted)), "failed": .integer(Int64(statistics.syncsFailed)),
                              "successRate": statistics.syncSuccessRate.map(JSONValue.number) ?? .null]),
            "lastSync": last.map { run in
                .object(["id": .integer(run.id), "outcome": .string(run.outcome.rawValue), "startedAt": time(run.startedAt),
                         "finishedAt": time(run.finishedAt), "pages": .integer(Int64(run.pages)), "created": .integer(Int64(run.created)),
                         "updated": .integer(Int64(run.updated)), "unchanged": .integer(Int64(run.unchanged)),
                         "skipped": .integer(Int64(run.skipped)), "gone": .integer(Int64(run.gone)),
                         "error": run.error.map(JSONValue.string) ?? .null])
            } ?? .null,
            "sites": .object(Dictionary(uniqueKeysWithValues: DattoSite.Mapping.allCases.map { ($0.rawValue, JSONValue.integer(Int64(statistics.sites[$0] ?? 0))) })),
            "lastWebhook": time(statistics.marks["webhook"]),
            "failureAlerts": .object(statistics.marks.filter { $0.key.hasPrefix("failure.") }
                .reduce(into: [:]) { $0[String($1.key.dropFirst("failure.".count))] = time($1.value) }),
        ])
    }

    /// The figures as people read them, in order.
    public var figures: [(label: String, value: String)] {
        let rate = statistics.syncSuccessRate.map { String(format: "%.0f%%", $0 * 100) } ?? "no sync yet"
        let last = statistics.lastSync.map { run in
            "\(run.outcome.rawValue) \((run.finishedAt ?? run.startedAt).formatted(.iso8601))" + (run.error.map { ": \($0)" } ?? "")
        } ?? "never"
        return [
            ("Connected", connected ? "yes (\(apiURL ?? "?"))" : "no"),
            ("Devices synced", String(statistics.devices) + (statistics.goneDevices > 0 ? " (\(statistics.goneDevices) gone from Datto)" : "")),
            ("Alerts in the last 24 h", String(statistics.recentAlerts)),
            ("Tickets created from alerts", String(statistics.ticketsCreated)),
            ("Tickets resolved automatically", String(statistics.ticketsAutoResolved)),
            ("Sync success rate", rate + " (\(statistics.syncsCompleted) completed, \(statistics.syncsFailed) failed)"),
            ("Last sync", last),
            ("Sites", DattoSite.Mapping.allCases.map { "\(statistics.sites[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", ")),
            ("Last webhook", statistics.marks["webhook"].map { $0.formatted(.iso8601) } ?? "none yet"),
        ]
    }

    /// One Prometheus sample family: name, help, type (`gauge` or `counter`), and samples with their labels.
    public struct Metric: Sendable {
        public let name: String
        public let help: String
        public let type: String
        public let samples: [(labels: [String: String], value: Double)]
    }

    /// The figures as Prometheus metrics.
    public var metrics: [Metric] {
        func one(_ name: String, _ help: String, _ type: String, _ value: Double) -> Metric { Metric(name: name, help: help, type: type, samples: [([:], value)]) }
        var metrics = [
            one("switchboard_datto_connected", "Whether a Datto RMM connection is configured (1) or not (0).", "gauge", connected ? 1 : 0),
            one("switchboard_datto_devices", "Datto devices in the CMDB that the last complete sync found.", "gauge", Double(statistics.devices)),
            one("switchboard_datto_devices_gone", "Datto devices in the CMDB that Datto no longer lists.", "gauge", Double(statistics.goneDevices)),
            one("switchboard_datto_alerts_last_24h", "Datto alerts that became tickets in the last 24 hours.", "gauge", Double(statistics.recentAlerts)),
            one("switchboard_datto_tickets_created_total", "Tickets created from Datto alerts.", "counter", Double(statistics.ticketsCreated)),
            one("switchboard_datto_tickets_auto_resolved_total", "Tickets resolved automatically after their Datto alert resolved.", "counter",
                Double(statistics.ticketsAutoResolved)),
            Metric(name: "switchboard_datto_syncs_total", help: "Device syncs by outcome.", type: "counter",
                   samples: [(["outcome": "completed"], Double(statistics.syncsCompleted)), (["outcome": "failed"], Double(statistics.syncsFailed))]),
            Metric(name: "switchboard_datto_sites", help: "Datto sites by mapping.", type: "gauge",
                   samples: DattoSite.Mapping.allCases.map { (["mapping": $0.rawValue], Double(statistics.sites[$0] ?? 0)) }),
        ]
        if let rate = statistics.syncSuccessRate {
            metrics.append(one("switchboard_datto_sync_success_ratio", "Completed syncs over finished syncs.", "gauge", rate))
        }
        if let finished = statistics.lastSync?.finishedAt {
            metrics.append(one("switchboard_datto_last_sync_timestamp_seconds", "When the last sync finished (Unix time).", "gauge", finished.timeIntervalSince1970))
        }
        if let webhook = statistics.marks["webhook"] {
            metrics.append(one("switchboard_datto_last_webhook_timestamp_seconds", "When the last Datto webhook arrived (Unix time).", "gauge",
                               webhook.timeIntervalSince1970))
        }
        return metrics
    }
}
