// The Syncro (SyncroMSP) platform adapter. Tickets and run summaries become tickets
// (`POST {base}/tickets`); alerts become either RMM alerts on an asset (`POST {base}/rmm_alerts`)
// or tickets, as the target's `AlertsAs` says. The API key travels as a bearer token, as the raw
// Authorization header, or as the `api_key` query parameter. It computes only; the host sends.
import Foundation
import SwitchboardABI
import SwitchboardPluginKit

nonisolated(unsafe) private let selfDescription = PluginExports.selfDescription(id: "switchboard.syncro", version: "1.0.0")

@_cdecl("switchboard_syncro_describe")
public func switchboardSyncroDescribe() -> UnsafeRawPointer? { UnsafeRawPointer(selfDescription) }

@_cdecl("switchboard_syncro_init")
public func switchboardSyncroInit(_ host: UnsafePointer<sb_host_api>?) -> Int32 { PluginExports.initialize(host) }

@_cdecl("switchboard_syncro_render_alert")
public func switchboardSyncroRenderAlert(_ input: UnsafePointer<UInt8>?, _ length: Int, _ output: UnsafeMutablePointer<sb_buffer>?) -> Int32 {
    PluginExports.respond(input, length, output) { input throws(PluginError) in
        let alert = try Alert(input.object("alert"))
        let target = try SyncroTarget(input.object("target"))
        let asset = try SyncroTarget.positive(JSONObject(alert.data, path: "alert.data"), "assetId") ?? target.assetID
        switch target.alertsAs {
        case .alert: return try target.rmmAlert(alert, asset: asset).json
        case .ticket:
            let ticket = Ticket(alert: alert)
            return target.ticket(subject: ticket.title, body: ticket.description, asset: asset).json
        }
    }
}

@_cdecl("switchboard_syncro_render_ticket")
public func switchboardSyncroRenderTicket(_ input: UnsafePointer<UInt8>?, _ length: Int, _ output: UnsafeMutablePointer<sb_buffer>?) -> Int32 {
    PluginExports.respond(input, length, output) { input throws(PluginError) in
        let object = try input.object("ticket")
        let ticket = try Ticket(object)
        var asset: Int?
        if let device = ticket.device {
            // The device is named as Syncro knows it: an asset id.
            guard let id = Int(device), id > 0 else {
                throw .invalidInput("\(object.field("device")): expected a Syncro asset id (an integer), got '\(device)'")
            }
            asset = id
        }
        return try SyncroTarget(input.object("target"))
            .ticket(subject: ticket.title, body: ticket.description.isEmpty ? ticket.title : ticket.description, asset: asset).json
    }
}

@_cdecl("switchboard_syncro_render_report")
public func switchboardSyncroRenderReport(_ input: UnsafePointer<UInt8>?, _ length: Int, _ output: UnsafeMutablePointer<sb_buffer>?) -> Int32 {
    PluginExports.respond(input, length, output) { input throws(PluginError) in
        let report = try Report(input.object("report"))
        return try SyncroTarget(input.object("target")).ticket(subject: report.title, body: report.summary, asset: nil).json
    }
}

@_cdecl("switchboard_syncro_parse_response")
public func switchboardSyncroParseResponse(_ input: UnsafePointer<UInt8>?, _ length: Int, _ output: UnsafeMutablePointer<sb_buffer>?) -> Int32 {
    PluginExports.respond(input, length, output) { input throws(PluginError) in
        let wait = try input.optionalObject("target")?.optionalInteger("RateLimitRetrySeconds") ?? 60
        return SyncroTarget.result(try PlatformResponse(input), rateLimitRetrySeconds: wait).json
    }
}

/// One target's settings, checked, and the requests they produce.
struct SyncroTarget {
    enum AuthStyle: String, CaseIterable { case bearer, header, query }
    enum AlertsAs: String, CaseIterable { case alert, ticket }

    let base: String
    let authStyle: AuthStyle
    let apiKey: String
    let customerID: Int
    let problemType: String
    let status: String
    let contactID: Int?
    let assetID: Int?
    let alertsAs: AlertsAs

    init(_ target: JSONObject) throws(PluginError) {
        let endpoint = try APIBase(target, basePath: "/api/v1", resources: ["tickets", "rmm_alerts"], example: "https://acme.syncromsp.com/api/v1")
        base = endpoint.url
        authStyle = AuthStyle(rawValue: try target.choice("AuthStyle", AuthStyle.allCases.map(\.rawValue), default: "bearer")) ?? .bearer
        apiKey = try target.string("APIKey")
        guard let customerID = try Self.positive(target, "CompanyID") else { throw .invalidInput("\(target.field("CompanyID")): missing") }
        self.customerID = customerID
        problemType = try target.optionalString("ProblemType") ?? "Other"
        status = try target.optionalString("TicketStatus") ?? "New"
        contactID = try Self.positive(target, "ContactID")
        assetID = try Self.positive(target, "AssetID")
        // A legacy endpoint that named rmm_alerts was an RMM-alert config; anything else opened tickets.
        let fallback: AlertsAs = endpoint.resource == "rmm_alerts" ? .alert : .ticket
        alertsAs = AlertsAs(rawValue: try target.choice("AlertsAs", AlertsAs.allCases.map(\.rawValue), default: fallback.rawValue)) ?? fallback
    }

    func ticket(subject: String, body: String, asset: Int?) -> HTTPRequestPlan {
        var ticket: [String: Any] = [
            "customer_id": customerID, "subject": subject, "problem_type": problemType, "status": status,
            // A private, un-emailed first comment: the customer is not mailed about machine-made tickets.
            "comments_attributes": [["subject": "Initial Issue", "body": body, "hidden": true, "do_not_email": true]],
        ]
        if let contactID { ticket["contact_id"] = contactID }
        if let asset { ticket["asset_ids"] = [asset] }
        return post("tickets", ticket)
    }

    func rmmAlert(_ alert: Alert, asset: Int?) throws(PluginError) -> HTTPRequestPlan {
        guard let asset else {
            throw .invalidInput("alert.data.assetId: missing (a Syncro RMM alert needs an asset: send alert.data.assetId or set target.AssetID)")
        }
        return post("rmm_alerts", [
            "customer_id": customerID, "asset_id": asset, "description": alert.title, "resolved": false,
            "properties": ["subject": alert.title, "body": alert.details, "hidden": true, "do_not_email": true],
        ])
    }

    private func post(_ resource: String, _ body: [String: Any]) -> HTTPRequestPlan {
        var url = RequestBuilding.url(base, resource)
        var headers = ["Accept": "application/json", "Content-Type": "application/json"]
        switch authStyle {
        case .bearer: headers["Authorization"] = "Bearer \(apiKey)"
        case .header: headers["Authorization"] = apiKey
        case .query: url = RequestBuilding.appendingQuery(url, [("api_key", apiKey)])
        }
        return HTTPRequestPlan(method: "POST", url: url, headers: headers, body: body)
    }

    /// An optional positive integer field (ids), also accepted as a string of digits.
    static func positive(_ target: JSONObject, _ key: String) throws(PluginError) -> Int? {
        guard let value = try target.optionalInteger(key) else { return nil }
        guard value > 0 else { throw .invalidInput("\(target.field(key)): expected a positive integer") }
        return value
    }

    /// Syncro answers `{"ticket": {...}}` / `{"rmm_alert": {...}}`; errors in the Rails shapes.
    static func result(_ response: PlatformResponse, rateLimitRetrySeconds: Int) -> ResponseResult {
        let json = response.json as? [String: Any]
        if (200..<300).contains(response.status) { return response.result(createdID: json.flatMap(createdID)) }
        let error = json.flatMap(errorText)
        if response.status == 429 {
            // The limit is 180 requests per minute per IP address: by default a minute clears it.
            return .retry(afterSeconds: response.retryAfterSeconds ?? rateLimitRetrySeconds,
                          error: error ?? "HTTP 429: rate limited (Syncro allows 180 requests per minute per IP address)")
        }
        return response.result(error: error)
    }

    /// The known wrappers first, then a top-level id (which beats the ids of nested records such as
    /// `customer`), then the one wrapped object that has an id.
    static func createdID(_ json: [String: Any]) -> String? {
        for key in ["ticket", "rmm_alert", "alert"] {
            if let id = PlatformResponse.identifier((json[key] as? [String: Any])?["id"]) { return id }
        }
        if let id = PlatformResponse.identifier(json["id"]) { return id }
        let wrapped = json.values.compactMap { PlatformResponse.identifier(($0 as? [String: Any])?["id"]) }
        return wrapped.count == 1 ? wrapped.first : nil
    }

    /// The text of `{"error": ...}`, `{"errors": [...] | {field: [...]}}` or `{"message": ...}`.
    static func errorText(_ json: [String: Any]) -> String? {
        func flatten(_ value: Any?, separator: String = "; ") -> String? {
            let text: String
            switch value {
            case let string as String: text = string
            case let list as [Any]: text = list.compactMap { flatten($0) }.joined(separator: separator)
            case let object as [String: Any]:
                if let message = flatten(object["message"]) { return message }
                // Rails model errors: {"subject": ["can't be blank"], "customer": ["must exist", "is invalid"]}.
                text = object.keys.sorted().compactMap { key in flatten(object[key], separator: ", ").map { "\(key): \($0)" } }
                    .joined(separator: "; ")
            default: return nil
            }
            return text.isEmpty ? nil : text
        }
        return flatten(json["error"]) ?? flatten(json["errors"]) ?? flatten(json["message"])
    }
}
