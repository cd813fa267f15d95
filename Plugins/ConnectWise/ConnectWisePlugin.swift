// The ConnectWise PSA (ConnectWise Manage) platform adapter. ConnectWise has no alert object, so
// alerts, tickets and run summaries all become service tickets: `POST {base}/service/tickets`
// with the REST API 3.0's Basic authentication (`{CompanyID}+{publicKey}:{privateKey}`), the
// mandatory `clientId` header and a pinned API version. It computes only; the host sends.
import Foundation
import SwitchboardABI
import SwitchboardPluginKit

nonisolated(unsafe) private let selfDescription = PluginExports.selfDescription(id: "switchboard.connectwise", version: "1.0.0")

@_cdecl("switchboard_connectwise_describe")
public func switchboardConnectWiseDescribe() -> UnsafeRawPointer? { UnsafeRawPointer(selfDescription) }

@_cdecl("switchboard_connectwise_init")
public func switchboardConnectWiseInit(_ host: UnsafePointer<sb_host_api>?) -> Int32 { PluginExports.initialize(host) }

@_cdecl("switchboard_connectwise_render_alert")
public func switchboardConnectWiseRenderAlert(_ input: UnsafePointer<UInt8>?, _ length: Int, _ output: UnsafeMutablePointer<sb_buffer>?) -> Int32 {
    PluginExports.respond(input, length, output) { input throws(PluginError) in
        let ticket = Ticket(alert: try Alert(input.object("alert")))
        return try ConnectWiseTarget(input.object("target"))
            .request(summary: ticket.title, description: ticket.description, priority: ticket.priority, reference: ConnectWiseTarget.reference(input)).json
    }
}

@_cdecl("switchboard_connectwise_render_ticket")
public func switchboardConnectWiseRenderTicket(_ input: UnsafePointer<UInt8>?, _ length: Int, _ output: UnsafeMutablePointer<sb_buffer>?) -> Int32 {
    PluginExports.respond(input, length, output) { input throws(PluginError) in
        let ticket = try Ticket(input.object("ticket"))
        // A ticket has no field for the device or category, so they go into the description rather than nowhere.
        let extras = [("Device", ticket.device), ("Category", ticket.category)]
            .compactMap { name, value in value.map { "\(name): \($0)" } }.joined(separator: "\n")
        let description = [ticket.description, extras].filter { !$0.isEmpty }.joined(separator: "\n\n")
        return try ConnectWiseTarget(input.object("target"))
            .request(summary: ticket.title, description: description, priority: ticket.priority, reference: ConnectWiseTarget.reference(input)).json
    }
}

@_cdecl("switchboard_connectwise_render_report")
public func switchboardConnectWiseRenderReport(_ input: UnsafePointer<UInt8>?, _ length: Int, _ output: UnsafeMutablePointer<sb_buffer>?) -> Int32 {
    PluginExports.respond(input, length, output) { input throws(PluginError) in
        let report = try Report(input.object("report"))
        return try ConnectWiseTarget(input.object("target"))
            .request(summary: report.title, description: report.summary, priority: report.severity.priority,
                     reference: ConnectWiseTarget.reference(input)).json
    }
}

@_cdecl("switchboard_connectwise_parse_response")
public func switchboardConnectWiseParseResponse(_ input: UnsafePointer<UInt8>?, _ length: Int, _ output: UnsafeMutablePointer<sb_buffer>?) -> Int32 {
    PluginExports.respond(input, length, output) { input throws(PluginError) in
        let response = try PlatformResponse(input)
        let json = response.json as? [String: Any]
        if (200..<300).contains(response.status) {
            // 201 Created with the new Ticket, whose `id` is an integer.
            return response.result(createdID: PlatformResponse.identifier(json?["id"])).json
        }
        return response.result(error: json.flatMap(ConnectWiseTarget.errorText)).json
    }
}

/// One target's settings, checked, and the ticket request they produce.
struct ConnectWiseTarget {
    static let exampleBase = "https://api-na.myconnectwise.net/v4_6_release/apis/3.0"
    /// Priority ids are per account (Setup Tables > Priority); these are the ids of a stock install.
    static let priorityFields: [(Priority, String, Int)] = [
        (.low, "PriorityLow", 4), (.medium, "PriorityMedium", 3), (.high, "PriorityHigh", 2), (.critical, "PriorityCritical", 1),
    ]

    let url: String
    let headers: [String: String]
    let company: [String: Any]
    let board: [String: Any]?
    let priorities: [Priority: Int]

    init(_ target: JSONObject) throws(PluginError) {
        let base = try APIBase(target, basePath: "/apis/3.0", resources: ["service/tickets"], example: Self.exampleBase)
        url = RequestBuilding.url(base.url, "service/tickets")
        let companyID = try target.string("CompanyID")
        let (publicKey, privateKey) = try Self.keyPair(target)
        let clientID = try target.string("ClientID")
        guard UUID(uuidString: clientID) != nil else {
            throw .invalidInput("\(target.field("ClientID")): expected the ConnectWise developer client id, a GUID such as 0e5b1a9c-1d2e-4f3a-9b8c-7d6e5f4a3b2c")
        }
        let version = try target.optionalString("APIVersion") ?? "2022.2"
        // The version goes into a header parameter, so only dotted numbers are let through.
        guard version.wholeMatch(of: /[0-9]+(\.[0-9]+)*/) != nil else {
            throw .invalidInput("\(target.field("APIVersion")): expected a version such as 2022.2, got '\(version)'")
        }
        headers = [
            "Authorization": RequestBuilding.basicAuthorization(user: "\(companyID)+\(publicKey)", password: privateKey),
            "clientId": clientID,
            "Accept": "application/vnd.connectwise.com+json; version=\(version)",
            "Content-Type": "application/json",
        ]
        // CompanyID is the login company; tickets need the customer they are for. Without a board
        // ConnectWise uses the API member's default service board, so Board may be left out.
        guard let company = try Self.reference(target, "TicketCompany", nameKey: "identifier") else {
            throw .invalidInput("\(target.field("TicketCompany")): missing (the company tickets are opened for, by id or identifier; CompanyID is only the login company)")
        }
        self.company = company
        board = try Self.reference(target, "Board", nameKey: "name")
        var priorities: [Priority: Int] = [:]
        for (priority, key, fallback) in Self.priorityFields {
            let id = try target.optionalInteger(key) ?? fallback
            guard id > 0 else { throw .invalidInput("\(target.field(key)): expected a positive integer") }
            priorities[priority] = id
        }
        self.priorities = priorities
    }

    func request(summary: String, description: String, priority: Priority, reference: String?) -> HTTPRequestPlan {
        var body: [String: Any] = [
            "summary": RequestBuilding.truncated(summary, to: 100),
            "recordType": "ServiceTicket",
            "company": company,
            "priority": ["id": priorities[priority] ?? 3],
        ]
        if let board { body["board"] = board }
        if !description.isEmpty { body["initialDescription"] = description }
        if let reference { body["externalXRef"] = reference }
        return HTTPRequestPlan(method: "POST", url: url, headers: headers, body: body)
    }

    /// The idempotency key, sent as `externalXRef` so a ticket can be traced back to its event.
    static func reference(_ input: JSONObject) throws(PluginError) -> String? {
        guard let key = try input.optionalString("idempotencyKey") else { return nil }
        // Cutting it would make different keys collide, so an overlong key is refused.
        guard key.count <= 100 else { throw .invalidInput("\(input.field("idempotencyKey")): must be at most 100 characters (externalXRef)") }
        return key
    }

    /// `publicKey:privateKey` from APIKey. The older agent's docs told users to store
    /// base64("public:private"), so a value without ':' that decodes to exactly one pair is accepted too.
    static func keyPair(_ target: JSONObject) throws(PluginError) -> (String, String) {
        let key = try target.string("APIKey")
        let pair = key.contains(":") ? key
            : Data(base64Encoded: key).flatMap { String(data: $0, encoding: .utf8) }.flatMap { decoded in decoded.count(where: { $0 == ":" }) == 1 ? decoded : nil }
        let parts = pair?.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false) ?? []
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw .invalidInput("\(target.field("APIKey")): expected 'publicKey:privateKey'")
        }
        return (String(parts[0]), String(parts[1]))
    }

    /// A reference object: `{"id": n}` for a number or all-digits text, else `{nameKey: text}`.
    static func reference(_ target: JSONObject, _ key: String, nameKey: String) throws(PluginError) -> [String: Any]? {
        guard target.has(key) else { return nil }
        guard target.values[key] is String else {
            guard let id = try? target.optionalInteger(key) else { throw .invalidInput("\(target.field(key)): expected a string or an integer") }
            return ["id": id]
        }
        let text = try target.string(key)
        if text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), let id = Int(text) { return ["id": id] }
        return [nameKey: text]
    }

    /// `code: message (field: code - message; ...)` from an ErrorResponseMessage
    /// `{code, message, errors: [{code, message, resource, field}]}`.
    static func errorText(_ json: [String: Any]) -> String? {
        func text(_ value: Any?) -> String? { (value as? String).flatMap { $0.isEmpty ? nil : $0 } }
        var summary = [text(json["code"]), text(json["message"])].compactMap { $0 }.joined(separator: ": ")
        let details = ((json["errors"] as? [Any]) ?? []).compactMap { item -> String? in
            guard let error = item as? [String: Any] else { return nil }
            let what = [text(error["code"]), text(error["message"])].compactMap { $0 }.joined(separator: " - ")
            guard !what.isEmpty else { return nil }
            return (text(error["field"]) ?? text(error["resource"])).map { "\($0): \(what)" } ?? what
        }
        if !details.isEmpty { summary += (summary.isEmpty ? "" : " ") + "(\(details.joined(separator: "; ")))" }
        return summary.isEmpty ? nil : summary
    }
}
