import Foundation
import PluginHost
import Server
import SwitchboardStore

/// Authenticated Datto webhooks go to the alert ingest.
extension AlertIngest: WebhookReceiver {
    public func receiveDattoWebhook(body: [UInt8]) async -> WebhookAnswer {
        let answer = await receive(body)
        return WebhookAnswer(status: answer.status, json: answer.body.text())
    }
}

extension DattoStatus {
    /// The dashboard page `serve` shows at `/`: the figures, the sites, and the latest syncs.
    public func dashboardPage(sites: [DattoSite], syncs: [SyncRun]) -> DashboardPage {
        DashboardPage(
            title: "Switchboard: Datto RMM",
            figures: figures.map { DashboardFigure(label: $0.label, value: $0.value) },
            tables: [
                DashboardTable(title: "Sites", headers: ["Site", "Name", "Devices", "Mapping", "Tenant"],
                               rows: sites.map { [$0.uid, $0.name, $0.devices.map(String.init) ?? "-", $0.mapping.rawValue, $0.tenant ?? "-"] }),
                DashboardTable(title: "Latest syncs", headers: ["Sync", "Started", "Outcome", "Pages", "Created", "Updated", "Gone", "Error"],
                               rows: syncs.map { [String($0.id), $0.startedAt.formatted(.iso8601), $0.outcome.rawValue, String($0.pages), String($0.created),
                                                  String($0.updated), String($0.gone), $0.error ?? ""] }),
            ])
    }

    /// The figures as Prometheus metric families.
    public var metricFamilies: [MetricFamily] {
        metrics.map { metric in
            MetricFamily(name: metric.name, help: metric.help, type: metric.type == "counter" ? .counter : .gauge,
                         samples: metric.samples.map { MetricSample(labels: $0.labels, value: $0.value) })
        }
    }
}
