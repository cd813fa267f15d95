// The NinjaOne (formerly NinjaRMM) platform adapter. NinjaOne's public API v2 has no endpoint that
// creates an alert, so alerts, tickets and run summaries all become tickets:
// `POST {instance}/v2/ticketing/ticket`. Requests carry an OAuth2 client-credentials token from
// `POST {instance}/ws/oauth/token`; the host asks for it through request_token, caches it until it
// expires and renews it when a request answers 401. The plugin computes only; the host sends.
import Foundation
import SwitchboardABI
import SwitchboardPluginKit

nonisolated(unsafe) private let selfDescription = PluginExports.selfDescription(id: "switchboard.ninjarmm", version: "1.0.0")

@_cdecl("switchboard_ninjarmm_describe")
public func switchboardNinjaRMMDescribe() -> UnsafeRawPointer? { UnsafeRawPointer(selfDescription) }

@_cdecl("switchboard_ninjarmm_init")
public func switchboardNinjaRMMInit(_ host: UnsafePointer<sb_host_api>?) -> Int32 { PluginExports.initialize(host) }

@_cdecl("switchboard_ninjarmm_request_token")
public func switchboardNinjaRMMRequestToken(_ input: UnsafePointer<UInt8>?, _ length: Int, _ output: UnsafeMutablePointer<sb_buffer>?) -> Int32 {
    PluginExports.respond(input, length, output) { input throws(PluginError) in
        try NinjaOne(target: input.target).tokenRequest().json
    }
}

@_cdecl("switchboard_ninjarmm_render_alert")
public func switchboardNinjaRMMRenderAlert(_ input: UnsafePointer<UInt8>?, _ length: Int, _ output: UnsafeMutablePointer<sb_buffer>?) -> Int32 {
    PluginExports.respond(input, length, output) { input throws(PluginError) in
        let alert = try Alert(input.object("alert"))
        // The device is NinjaOne's node id, which only the caller can know.
        let node = try NinjaOne.id(JSONObject(alert.data, path: "alert.data"), "nodeId")
        let content = NinjaTicketContent(subject: alert.title, body: alert.details, priority: alert.severity.priority, nodeId: node)
        return try NinjaOne(target: input.target).ticketRequest(content, token: input.string("token")).json
    }
}

@_cdecl("switchboard_ninjarmm_render_ticket")
public func switchboardNinjaRMMRenderTicket(_ input: UnsafePointer<UInt8>?, _ length: Int, _ output: UnsafeMutablePointer<sb_buffer>?) -> Int32 {
    PluginExports.respond(input, length, output) { input throws(PluginError) in
        let object = try input.object("ticket")
        let ticket = try Ticket(object)
        var node: Int?
        if let device = ticket.device {
            guard let number = Int(device) else {
                throw .invalidInput("\(object.field("device")): expected a NinjaOne device id (an integer), got '\(device)'")
            }
            node = try NinjaOne.checkedID(number, field: object.field("device"))
        }
        let content = NinjaTicketContent(subject: ticket.title, body: ticket.description, priority: ticket.priority, nodeId: node)
        return try NinjaOne(target: input.target).ticketRequest(content, token: input.string("token")).json
    }
}

@_cdecl("switchboard_ninjarmm_render_report")
public func switchboardNinjaRMMRenderReport(_ input: UnsafePointer<UInt8>?, _ length: Int, _ output: UnsafeMutablePointer<sb_buffer>?) -> Int32 {
    PluginExports.respond(input, length, output) { input throws(PluginError) in
        let report = try Report(input.object("report"))
        let content = NinjaTicketContent(subject: report.title, body: report.summary, priority: report.severity.priority, nodeId: nil)
        return try NinjaOne(target: input.target).ticketRequest(content, token: input.string("token")).json
    }
}

@_cdecl("switchboard_ninjarmm_parse_response")
public func switchboardNinjaRMMParseResponse(_ input: UnsafePointer<UInt8>?, _ length: Int, _ output: UnsafeMutablePointer<sb_buffer>?) -> Int32 {
    PluginExports.respond(input, length, output) { input throws(PluginError) in
        let response = try PlatformResponse(input)
        if response.kind == "token", (200..<300).contains(response.status) {
            return try ResponseResult.oauthToken(response, defaultLifetime: NinjaOne.tokenLifetime(input.target)).json
        }
        return response.result(createdID: response.idText(at: "id"), error: NinjaOne.errorText(response)).json
    }
}

extension JSONObject {
    /// The delivery target; absent means empty, so the first missing setting is what gets reported.
    fileprivate var target: JSONObject {
        get throws(PluginError) { try optionalObject("target") ?? JSONObject([:], path: "target") }
    }
}

/// What goes into one NinjaOne ticket, whatever it was made from.
struct NinjaTicketContent {
    let subject: String
    let body: String
    let priority: Priority
    let nodeId: Int?
}

/// One NinjaOne instance, as a target configures it.
struct NinjaOne {
    static let ticketTypes = ["PROBLEM", "QUESTION", "INCIDENT", "TASK"]

    let base: String
    let target: JSONObject

    init(target: JSONObject) throws(PluginError) {
        // Legacy configs hold a resource URL (`https://api.ninjarmm.com/v2/alerts`); a pasted token
        // URL (`.../ws/oauth/token`) is cut back to the instance the same way.
        base = try RequestBuilding.apiBase(target, strippingFrom: ["v2", "ws"])
        self.target = target
    }

    /// The client-credentials token request (Connect-NinjaOne.ps1 in homotechsual/NinjaOne).
    func tokenRequest() throws(PluginError) -> HTTPRequestPlan {
        let body = RequestBuilding.formEncoded([
            ("grant_type", "client_credentials"),
            ("client_id", try target.string("ClientID")),
            ("client_secret", try target.string("APIKey")),
            ("scope", try target.optionalString("Scope") ?? "monitoring management control"),
        ])
        return HTTPRequestPlan(method: "POST", url: RequestBuilding.url(base, "ws/oauth/token"),
                               headers: ["Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"],
                               bodyText: body)
    }

    /// `POST /v2/ticketing/ticket` with a `NewTicket` body.
    func ticketRequest(_ content: NinjaTicketContent, token: String) throws(PluginError) -> HTTPRequestPlan {
        guard let organization = try Self.id(target, "CompanyID") else { throw .invalidInput("\(target.field("CompanyID")): missing") }
        guard let form = try Self.id(target, "TicketFormID") else { throw .invalidInput("\(target.field("TicketFormID")): missing") }
        var body: [String: Any] = [
            "clientId": organization,
            "ticketFormId": form,
            "subject": content.subject,
            // A status id; "1000" is New on a default instance, others come from GET /v2/ticketing/statuses.
            "status": try target.optionalString("TicketStatus") ?? "1000",
            "type": try target.choice("TicketType", Self.ticketTypes, default: "PROBLEM"),
            "priority": Self.priority(content.priority),
            "severity": Self.severity(content.priority),
            // Internal note: alert details are for technicians, not for the organization's end users.
            "description": ["public": false, "body": content.body],
        ]
        if let node = content.nodeId { body["nodeId"] = node }
        let tags = (try target.optionalString("Tags") ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if !tags.isEmpty { body["tags"] = tags }
        return HTTPRequestPlan(method: "POST", url: RequestBuilding.url(base, "v2/ticketing/ticket"),
                               headers: ["Authorization": "Bearer \(token)", "Content-Type": "application/json", "Accept": "application/json"],
                               body: body)
    }

    /// NinjaOne priorities stop at HIGH, so critical shares it; severity tells the two apart.
    static func priority(_ priority: Priority) -> String {
        switch priority {
        case .low: "LOW"
        case .medium: "MEDIUM"
        case .high, .critical: "HIGH"
        }
    }

    /// Alert severities map onto priorities one to one, so both kinds of event share this ladder.
    static func severity(_ priority: Priority) -> String {
        switch priority {
        case .low: "MINOR"
        case .medium: "MODERATE"
        case .high: "MAJOR"
        case .critical: "CRITICAL"
        }
    }

    /// NinjaOne ids are positive int32 values; anything else would only fail on the server.
    static func id(_ object: JSONObject, _ key: String) throws(PluginError) -> Int? {
        guard let value = try object.optionalInteger(key) else { return nil }
        return try checkedID(value, field: object.field(key))
    }

    static func checkedID(_ value: Int, field: String) throws(PluginError) -> Int {
        guard (1...Int(Int32.max)).contains(value) else {
            throw .invalidInput("\(field): expected an id between 1 and \(Int32.max), got \(value)")
        }
        return value
    }

    /// The lifetime assumed when a token response has no `expires_in` (NinjaOne's is typically 3600 s).
    static func tokenLifetime(_ target: JSONObject) throws(PluginError) -> Int {
        let seconds = try target.optionalInteger("TokenLifetimeSeconds") ?? 3600
        guard seconds > 0 else { throw .invalidInput("\(target.field("TokenLifetimeSeconds")): must be positive, got \(seconds)") }
        return seconds
    }

    /// NinjaOne errors carry `resultCode`, `errorMessage` and sometimes `incidentId`; its token
    /// endpoint answers OAuth2 style (`error`, `error_description`).
    static func errorText(_ response: PlatformResponse) -> String? {
        guard !(200..<300).contains(response.status), let json = response.json as? [String: Any] else { return nil }
        let parts = ["resultCode", "errorMessage", "error", "error_description"]
            .compactMap { json[$0] as? String }.filter { !$0.isEmpty }
        guard !parts.isEmpty else { return nil }
        let incident = response.idText(at: "incidentId").map { " (incident \($0))" } ?? ""
        return "HTTP \(response.status): " + parts.joined(separator: ": ") + incident
    }
}
