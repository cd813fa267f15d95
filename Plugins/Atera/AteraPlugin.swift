// The Atera platform adapter (API v3). Tickets, run summaries and (by default) alerts become
// Atera tickets; alerts can instead become native Atera alerts on a device. It computes only: the
// host sends the request and hands the answer back to parse_response.
import Foundation
import SwitchboardABI
import SwitchboardPluginKit

nonisolated(unsafe) private let selfDescription = PluginExports.selfDescription(id: "switchboard.atera", version: "1.0.0")

@_cdecl("switchboard_atera_describe")
public func switchboardAteraDescribe() -> UnsafeRawPointer? { UnsafeRawPointer(selfDescription) }

@_cdecl("switchboard_atera_init")
public func switchboardAteraInit(_ host: UnsafePointer<sb_host_api>?) -> Int32 { PluginExports.initialize(host) }

@_cdecl("switchboard_atera_render_alert")
public func switchboardAteraRenderAlert(_ input: UnsafePointer<UInt8>?, _ length: Int, _ output: UnsafeMutablePointer<sb_buffer>?) -> Int32 {
    PluginExports.respond(input, length, output) { input throws(PluginError) in
        let alert = try Alert(input.object("alert"))
        return try AteraTarget(input.object("target")).request(alert: alert).json
    }
}

@_cdecl("switchboard_atera_render_ticket")
public func switchboardAteraRenderTicket(_ input: UnsafePointer<UInt8>?, _ length: Int, _ output: UnsafeMutablePointer<sb_buffer>?) -> Int32 {
    PluginExports.respond(input, length, output) { input throws(PluginError) in
        let ticket = try Ticket(input.object("ticket"))
        return try AteraTarget(input.object("target")).request(ticket: ticket).json
    }
}

@_cdecl("switchboard_atera_render_report")
public func switchboardAteraRenderReport(_ input: UnsafePointer<UInt8>?, _ length: Int, _ output: UnsafeMutablePointer<sb_buffer>?) -> Int32 {
    PluginExports.respond(input, length, output) { input throws(PluginError) in
        // Atera has no notification channel, so a run summary is filed as a ticket.
        let report = try Report(input.object("report"))
        return try AteraTarget(input.object("target")).request(ticket: Ticket(report: report)).json
    }
}

@_cdecl("switchboard_atera_parse_response")
public func switchboardAteraParseResponse(_ input: UnsafePointer<UInt8>?, _ length: Int, _ output: UnsafeMutablePointer<sb_buffer>?) -> Int32 {
    PluginExports.respond(input, length, output) { input throws(PluginError) in
        try AteraAnswer(PlatformResponse(input)).result.json
    }
}

/// One Atera delivery target: where to send, how to authenticate, and the target's ticket and
/// alert settings.
struct AteraTarget {
    static let defaultEndpoint = "https://app.atera.com/api/v3"
    static let impacts = ["NoImpact", "SiteDown", "ServerIssue", "Minor", "Major", "Crisis"]
    static let ticketTypes = ["Incident", "Problem", "Request", "Change"]
    static let alertCategories = ["Hardware", "Disk", "Availability", "Performance", "Exchange", "General"]

    let target: JSONObject
    /// `https://app.atera.com/api/v3`, whichever resource URL the (legacy) configuration named.
    let base: String
    let headers: [String: String]
    let alertsAsAlerts: Bool

    init(_ target: JSONObject) throws(PluginError) {
        self.target = target
        var namesAlerts = false
        if target.has("APIEndpoint") {
            let api = try APIBase(target, basePath: "/api/v3", resources: ["tickets", "alerts"], example: Self.defaultEndpoint)
            base = api.url
            // An endpoint configured as .../alerts says the old agent raised native alerts there.
            namesAlerts = api.resource == "alerts"
        } else {
            base = Self.defaultEndpoint
        }

        let key = try target.string("APIKey")
        // Legacy keys are short opaque strings sent as X-API-KEY; newer accounts get JWTs, which
        // only the Bearer scheme accepts. PSAtera tells them apart by length, and so does `auto`.
        let style = try target.choice("AuthStyle", ["auto", "apikey", "bearer"], default: "auto")
        let bearer = style == "bearer" || (style == "auto" && key.count > 100)
        headers = ["Accept": "application/json", "Content-Type": "application/json"]
            .merging(bearer ? ["Authorization": "Bearer \(key)"] : ["X-API-KEY": key]) { $1 }

        let alertsDefault = namesAlerts ? "alert" : "ticket"
        alertsAsAlerts = try target.choice("AlertsAs", ["alert", "ticket"], default: alertsDefault) == "alert"
    }

    func request(alert: Alert) throws(PluginError) -> HTTPRequestPlan {
        try alertsAsAlerts ? alertRequest(alert) : request(ticket: Ticket(alert: alert))
    }

    /// `POST /tickets` with a `CreateTicketModel`.
    func request(ticket: Ticket) throws(PluginError) -> HTTPRequestPlan {
        let impactField = ["low": "ImpactLow", "medium": "ImpactMedium", "high": "ImpactHigh", "critical": "ImpactCritical"]
        let impactDefault = ["low": "Minor", "medium": "Minor", "high": "Major", "critical": "Crisis"]
        let level = ticket.priority.rawValue
        var body: [String: Any] = [
            "TicketTitle": ticket.title,
            // Atera refuses a ticket without a description; a bare ticket repeats its title.
            "Description": ticket.description.isEmpty ? ticket.title : ticket.description,
            "TicketPriority": ["low": "Low", "medium": "Medium", "high": "High", "critical": "Critical"][level] ?? "Medium",
            "TicketImpact": try target.choice(impactField[level] ?? "ImpactMedium", Self.impacts, default: impactDefault[level] ?? "Minor"),
            "TicketStatus": try target.optionalString("TicketStatus") ?? "Open",
            "TicketType": try target.choice("TicketType", Self.ticketTypes, default: "Incident"),
        ]
        body.merge(try contact()) { $1 }
        return post("tickets", body)
    }

    /// The ticket's end user: an existing contact by id, or the details Atera creates one from.
    private func contact() throws(PluginError) -> [String: Any] {
        if let id = try target.optionalInteger("EndUserID") { return ["EndUserID": id] }
        let names = ["EndUserEmail", "EndUserFirstName", "EndUserLastName"]
        var values: [String: Any] = [:]
        for name in names {
            if let value = try target.optionalString(name) { values[name] = value }
        }
        if values.isEmpty {
            throw .invalidInput("\(target.field("EndUserID")): missing; Atera tickets need a contact: set EndUserID, "
                                + "or EndUserEmail, EndUserFirstName and EndUserLastName")
        }
        if let absent = names.first(where: { values[$0] == nil }) {
            throw .invalidInput("\(target.field(absent)): missing; EndUserEmail, EndUserFirstName and EndUserLastName "
                                + "create the contact together (or set EndUserID)")
        }
        return values
    }

    /// `POST /alerts` with a `CreateAlertRequest` on the alert's device.
    private func alertRequest(_ alert: Alert) throws(PluginError) -> HTTPRequestPlan {
        // Atera alert severities are Information, Warning and Critical only: Error is critical there.
        let severity: [Severity: String] = [.info: "Information", .warning: "Warning", .error: "Critical", .critical: "Critical"]
        var body: [String: Any] = [
            "DeviceGuid": try deviceGuid(alert),
            "Title": alert.title,
            "Severity": severity[alert.severity] ?? "Warning",
            "AlertCategoryID": try target.choice("AlertCategory", Self.alertCategories, default: "General"),
            "AdditionalInfo": alert.details,
        ]
        // Both are int64 in CreateAlertRequest and optional: Atera knows the device's customer.
        if let customer = try target.optionalInteger("CompanyID") { body["CustomerID"] = customer }
        if let code = try target.optionalInteger("AlertCode") { body["Code"] = code }
        return post("alerts", body)
    }

    /// The device the alert is about: the alert's own `data.deviceGuid`, else the target's.
    private func deviceGuid(_ alert: Alert) throws(PluginError) -> String {
        let data = JSONObject(alert.data, path: "alert.data")
        let source = data.has("deviceGuid") ? data : target
        let field = data.has("deviceGuid") ? "deviceGuid" : "DeviceGuid"
        guard let value = try source.optionalString(field) else {
            throw .invalidInput("\(target.field("DeviceGuid")): missing; Atera alerts belong to a device: "
                                + "set DeviceGuid or send alert.data.deviceGuid (or set AlertsAs to ticket)")
        }
        // The spec types DeviceGuid as a uuid; anything else is a 400 at best.
        guard UUID(uuidString: value) != nil else {
            throw .invalidInput("\(source.field(field)): expected a UUID such as 0f8fad5b-d9cb-469f-a165-70867728950e, got '\(value)'")
        }
        return value
    }

    private func post(_ resource: String, _ body: [String: Any]) -> HTTPRequestPlan {
        HTTPRequestPlan(method: "POST", url: RequestBuilding.url(base, resource), headers: headers, body: body)
    }
}

/// Atera's answer to a create request.
struct AteraAnswer {
    let response: PlatformResponse

    init(_ response: PlatformResponse) { self.response = response }

    var result: ResponseResult {
        guard (200..<300).contains(response.status) else { return response.result(error: problem) }
        // `Result {ActionID}`: documented as a string, but accept a number too.
        let json = response.json as? [String: Any]
        let id: String? = switch json?["ActionID"] {
        case let text as String where !text.isEmpty: text
        case let number as NSNumber where String(cString: number.objCType) != "c": number.stringValue
        default: nil
        }
        return response.result(createdID: id)
    }

    /// `title: detail` from an RFC 7807 ProblemDetails body (400/409 are documented with one);
    /// ASP.NET validation problems carry `errors` instead of `detail`.
    private var problem: String? {
        guard let json = response.json as? [String: Any] else { return nil }
        let title = (json["title"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        var detail = (json["detail"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        if detail == nil, let errors = json["errors"] as? [String: Any] {
            let lines = errors.keys.sorted().map { key in
                "\(key): " + ((errors[key] as? [String])?.joined(separator: " ") ?? "\(errors[key] ?? "")")
            }
            detail = lines.isEmpty ? nil : lines.joined(separator: "; ")
        }
        let text = [title, detail].compactMap { $0 }.joined(separator: ": ")
        return text.isEmpty ? nil : text
    }
}
