// The generic Webhook platform adapter (Slack, Microsoft Teams, custom receivers). It turns
// alerts and run summaries into the HTTP request to post, in the format the target's `Format`
// names, and reads the receiver's answer. It computes only; the host sends the request, and signs
// the body with the target's `Secret` when one is set.
import Foundation
import SwitchboardABI
import SwitchboardPluginKit

nonisolated(unsafe) private let selfDescription = PluginExports.selfDescription(id: "switchboard.webhook", version: "1.1.0")

@_cdecl("switchboard_webhook_describe")
public func switchboardWebhookDescribe() -> UnsafeRawPointer? { UnsafeRawPointer(selfDescription) }

@_cdecl("switchboard_webhook_init")
public func switchboardWebhookInit(_ host: UnsafePointer<sb_host_api>?) -> Int32 { PluginExports.initialize(host) }

@_cdecl("switchboard_webhook_render_alert")
public func switchboardWebhookRenderAlert(_ input: UnsafePointer<UInt8>?, _ length: Int, _ output: UnsafeMutablePointer<sb_buffer>?) -> Int32 {
    PluginExports.respond(input, length, output) { input throws(PluginError) in
        let alert = try Alert(input.object("alert"))
        return try WebhookMessage(target: input.optionalObject("target") ?? JSONObject([:], path: "target"))
            .request(alert: alert).json
    }
}

@_cdecl("switchboard_webhook_render_report")
public func switchboardWebhookRenderReport(_ input: UnsafePointer<UInt8>?, _ length: Int, _ output: UnsafeMutablePointer<sb_buffer>?) -> Int32 {
    PluginExports.respond(input, length, output) { input throws(PluginError) in
        let report = try Report(input.object("report"))
        return try WebhookMessage(target: input.optionalObject("target") ?? JSONObject([:], path: "target"))
            .request(report: report).json
    }
}

@_cdecl("switchboard_webhook_parse_response")
public func switchboardWebhookParseResponse(_ input: UnsafePointer<UInt8>?, _ length: Int, _ output: UnsafeMutablePointer<sb_buffer>?) -> Int32 {
    PluginExports.respond(input, length, output) { input throws(PluginError) in
        let response = try PlatformResponse(input)
        // Legacy Teams connectors answer 200 and put their throttling in the body.
        if response.body.contains("returned HTTP error 429") {
            return ResponseResult.retry(afterSeconds: response.retryAfterSeconds, error: response.body).json
        }
        return response.result().json
    }
}

/// A message for one target, in its format.
struct WebhookMessage {
    enum Format: String, CaseIterable { case generic, slack, teams, adaptive = "teams-adaptive" }

    let format: Format
    let endpoint: String?
    let signed: Bool

    init(target: JSONObject) throws(PluginError) {
        format = Format(rawValue: try target.choice("Format", Format.allCases.map(\.rawValue), default: "generic")) ?? .generic
        endpoint = try target.has("APIEndpoint") ? RequestBuilding.endpoint(target) : nil
        signed = try target.optionalString("Secret") != nil
    }

    func request(alert: Alert) -> HTTPRequestPlan {
        let facts = [("Severity", alert.severity.rawValue), ("Module", alert.module), ("Endpoint", alert.endpoint),
                     ("Domain", alert.domain), ("Time", alert.timestamp), ("Source", alert.source)]
        switch format {
        case .generic: return post(alert.payload)
        case .slack: return post(slack(title: alert.title, text: alert.message, facts: facts))
        case .teams: return post(messageCard(title: alert.title, text: alert.message, facts: facts, severity: alert.severity))
        case .adaptive: return post(adaptiveCard(title: alert.title, text: alert.message, facts: facts))
        }
    }

    func request(report: Report) -> HTTPRequestPlan {
        let facts = [("Modules", "\(report.modules)"), ("Issues found", "\(report.issuesFound)"),
                     ("Remediated", "\(report.remediated)"), ("Failed", "\(report.failed)"),
                     ("Endpoint", report.endpoint), ("Time", report.timestamp)]
        switch format {
        case .generic: return post(["report": report.payload])
        case .slack: return post(slack(title: report.title, text: report.summary, facts: facts))
        case .teams: return post(messageCard(title: report.title, text: report.summary, facts: facts, severity: report.severity))
        case .adaptive: return post(adaptiveCard(title: report.title, text: report.summary, facts: facts))
        }
    }

    private func post(_ body: [String: Any]) -> HTTPRequestPlan {
        var request = HTTPRequestPlan(method: "POST", url: endpoint ?? "", headers: ["Content-Type": "application/json"], body: body)
        if signed { request.signature = ("X-Switchboard-Signature-256", "sha256=") }
        return request
    }

    /// Slack incoming webhook: `text` for notifications, `blocks` for the layout.
    private func slack(title: String, text: String, facts: [(String, String)]) -> [String: Any] {
        [
            "text": title,
            "blocks": [
                ["type": "header", "text": ["type": "plain_text", "text": RequestBuilding.truncated(title, to: 150)]],
                ["type": "section", "text": ["type": "mrkdwn", "text": text]],
                ["type": "section", "fields": facts.filter { !$0.1.isEmpty }.map { ["type": "mrkdwn", "text": "*\($0.0)*\n\($0.1)"] }],
            ],
        ]
    }

    /// Microsoft Teams Office 365 connector card.
    private func messageCard(title: String, text: String, facts: [(String, String)], severity: Severity) -> [String: Any] {
        let colors: [Severity: String] = [.info: "0076D7", .warning: "FFC107", .error: "E81123", .critical: "A80000"]
        return [
            "@type": "MessageCard", "@context": "http://schema.org/extensions",
            "themeColor": colors[severity] ?? "0076D7", "summary": title, "title": title,
            "sections": [["text": text, "facts": facts.filter { !$0.1.isEmpty }.map { ["name": $0.0, "value": $0.1] }, "markdown": true]],
        ]
    }

    /// Microsoft Teams (Workflows) Adaptive Card message.
    private func adaptiveCard(title: String, text: String, facts: [(String, String)]) -> [String: Any] {
        [
            "type": "message",
            "attachments": [[
                "contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": NSNull(),
                "content": [
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard", "version": "1.2",
                    "body": [
                        ["type": "TextBlock", "text": title, "weight": "Bolder", "size": "Medium", "wrap": true],
                        ["type": "TextBlock", "text": text, "wrap": true],
                        ["type": "FactSet", "facts": facts.filter { !$0.1.isEmpty }.map { ["title": $0.0, "value": $0.1] }],
                    ],
                ],
            ]],
        ]
    }
}
