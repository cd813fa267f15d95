import Foundation
import PluginHost
import Testing

/// The Atera adapter, called through the real host like every bundled plugin.
@Suite struct AteraPluginTests {
    static let id = "switchboard.atera"
    static let key = "0123456789abcdef"
    static let guid = "0f8fad5b-d9cb-469f-a165-70867728950e"
    static let alert = #"{"module": "Disk", "severity": "Error", "message": "C: full", "timestamp": "2026-11-23T07:30:00Z", "endpoint": "pc-1", "domain": "corp.example"}"#
    static let alertDetails = "Severity: Error\nModule: Disk\nMessage: C: full\nEndpoint: pc-1.corp.example\nTime: 2026-11-23T07:30:00Z\nSource: Switchboard"
    static let ticket = #"{"title": "Disk space low on SERVER1", "description": "C: at 95% (RMM alert 1234)", "priority": "high"}"#
    static let report = #"{"modules": 12, "issuesFound": 3, "remediated": 2, "failed": 1, "endpoint": "pc-1", "timestamp": "2026-11-23T07:30:00Z"}"#
    static let legacyHeaders: JSONValue = .object([
        "X-API-KEY": .string(key), "Accept": .string("application/json"), "Content-Type": .string("application/json"),
    ])

    /// A target with an API key and a contact, plus `extra`.
    static func target(_ extra: [String: JSONValue] = [:]) -> [String: JSONValue] {
        ["Name": .string("Atera"), "Platform": .string("atera"), "APIKey": .string(key), "EndUserID": .integer(42)]
            .merging(extra) { $1 }
    }

    static func input(_ member: String, _ event: String, _ target: [String: JSONValue]) -> String {
        #"{"\#(member)": \#(event), "target": \#(JSONValue.object(target).text()), "idempotencyKey": "6f1c2a9e-4b7d-4e0a-9a35-1d2f3c4b5a69"}"#
    }

    static func render(_ role: EntryPointRole, _ member: String, _ event: String, _ target: [String: JSONValue]) throws -> JSONValue {
        try BundledPluginTests.call(id, role, input(member, event, target))
    }

    static func ticket(_ target: [String: JSONValue], _ event: String = ticket) throws -> JSONValue {
        try render(.renderTicket, "ticket", event, target)
    }

    static func alert(_ target: [String: JSONValue], _ event: String = alert) throws -> JSONValue {
        try render(.renderAlert, "alert", event, target)
    }

    static func failure(_ role: EntryPointRole, _ input: String) -> String? {
        do {
            _ = try BundledPluginTests.plugin(id).call(role, input: Data(input.utf8))
            return nil
        } catch let PluginCallError.failed(_, _, status, message) {
            return status == 1 ? message : "status \(status): \(message)"
        } catch {
            return "\(error)"
        }
    }

    // MARK: Tickets

    @Test func ticketWithALegacyKeyOnALegacyEndpoint() throws {
        let request = try Self.ticket(Self.target(["APIEndpoint": .string("https://app.atera.com/api/v3/tickets")]))
        #expect(request == .object([
            "method": .string("POST"),
            "url": .string("https://app.atera.com/api/v3/tickets"),
            "headers": Self.legacyHeaders,
            "body": .object([
                "TicketTitle": .string("Disk space low on SERVER1"), "Description": .string("C: at 95% (RMM alert 1234)"),
                "TicketPriority": .string("High"), "TicketImpact": .string("Major"), "TicketStatus": .string("Open"),
                "TicketType": .string("Incident"), "EndUserID": .integer(42),
            ]),
        ]))
    }

    @Test(arguments: [
        (nil, "https://app.atera.com/api/v3/tickets"),
        ("https://app.atera.com/api/v3", "https://app.atera.com/api/v3/tickets"),
        ("https://app.atera.com/api/v3/", "https://app.atera.com/api/v3/tickets"),
        ("https://app.atera.com/api/v3/tickets/", "https://app.atera.com/api/v3/tickets"),
        ("https://app.atera.com/api/v3/alerts", "https://app.atera.com/api/v3/tickets"),
        ("https://app.atera.com/api/v3/Tickets", "https://app.atera.com/api/v3/tickets"),
        ("http://127.0.0.1:8080/atera/api/v3", "http://127.0.0.1:8080/atera/api/v3/tickets"),
    ] as [(String?, String)])
    func ticketURLFromEveryEndpointForm(endpoint: String?, url: String) throws {
        let request = try Self.ticket(Self.target(endpoint.map { ["APIEndpoint": .string($0)] } ?? [:]))
        #expect(request["url"] == .string(url))
    }

    @Test func authenticationStyles() throws {
        let jwt = "eyJhbGciOiJIUzI1NiJ9." + String(repeating: "x", count: 80)   // 101 characters
        let hundred = String(repeating: "k", count: 100)
        let cases: [(key: String, style: String?, headers: [String: String])] = [
            (jwt, nil, ["Authorization": "Bearer \(jwt)"]),
            (jwt, "auto", ["Authorization": "Bearer \(jwt)"]),
            (hundred, nil, ["X-API-KEY": hundred]),
            (Self.key, "bearer", ["Authorization": "Bearer \(Self.key)"]),
            (jwt, "apikey", ["X-API-KEY": jwt]),
            (jwt, "Bearer", ["Authorization": "Bearer \(jwt)"]),
        ]
        #expect(jwt.count == 101)
        for (key, style, auth) in cases {
            var target = Self.target(["APIKey": .string(key)])
            if let style { target["AuthStyle"] = .string(style) }
            let request = try Self.ticket(target)
            let expected = auth.merging(["Accept": "application/json", "Content-Type": "application/json"]) { $1 }
            #expect(request["headers"] == .object(expected.mapValues { .string($0) }), "key of \(key.count), style \(style ?? "-")")
            // The key goes into the auth header and nowhere else.
            #expect(request["body"].map { !$0.text().contains(key) } == true)
            #expect(request["url"].map { !$0.text().contains(key) } == true)
        }
    }

    @Test(arguments: [
        ("low", "Low", "Minor"), ("medium", "Medium", "Minor"), ("high", "High", "Major"), ("critical", "Critical", "Crisis"),
    ])
    func priorityAndDefaultImpact(priority: String, ateraPriority: String, impact: String) throws {
        let body = try #require(Self.ticket(Self.target(), #"{"title": "T", "description": "D", "priority": "\#(priority)"}"#)["body"])
        #expect(body["TicketPriority"] == .string(ateraPriority))
        #expect(body["TicketImpact"] == .string(impact))
    }

    @Test func configuredImpactStatusAndType() throws {
        let target = Self.target([
            "ImpactLow": .string("NoImpact"), "ImpactMedium": .string("serverissue"), "ImpactHigh": .string("SiteDown"),
            "ImpactCritical": .string("Major"), "TicketStatus": .string("Pending"), "TicketType": .string("problem"),
        ])
        for (priority, impact) in [("low", "NoImpact"), ("medium", "ServerIssue"), ("high", "SiteDown"), ("critical", "Major")] {
            let body = try #require(Self.ticket(target, #"{"title": "T", "priority": "\#(priority)"}"#)["body"])
            #expect(body["TicketImpact"] == .string(impact))
            #expect(body["TicketStatus"] == .string("Pending"))
            #expect(body["TicketType"] == .string("Problem"))
        }
    }

    @Test func contacts() throws {
        var target = Self.target(["EndUserEmail": .string("ops@example.com"), "EndUserFirstName": .string("Ada"), "EndUserLastName": .string("Ops")])
        target["EndUserID"] = nil
        let created = try #require(Self.ticket(target)["body"])
        #expect(created["EndUserEmail"] == .string("ops@example.com"))
        #expect(created["EndUserFirstName"] == .string("Ada"))
        #expect(created["EndUserLastName"] == .string("Ops"))
        #expect(created["EndUserID"] == nil)

        // An existing contact wins over the details to create one; a numeric string is an id too.
        target["EndUserID"] = .string("77")
        let existing = try #require(Self.ticket(target)["body"])
        #expect(existing["EndUserID"] == .integer(77))
        #expect(existing["EndUserEmail"] == nil)
        #expect(existing["EndUserFirstName"] == nil)
    }

    @Test func aTicketWithoutADescriptionRepeatsItsTitle() throws {
        let body = try #require(Self.ticket(Self.target(), #"{"title": "Printer offline"}"#)["body"])
        #expect(body["Description"] == .string("Printer offline"))
        #expect(body["TicketPriority"] == .string("Medium"))
    }

    @Test func reportsBecomeTickets() throws {
        let request = try Self.render(.renderReport, "report", Self.report, Self.target())
        #expect(request["method"] == .string("POST"))
        #expect(request["url"] == .string("https://app.atera.com/api/v3/tickets"))
        #expect(request["headers"] == Self.legacyHeaders)
        #expect(request["body"] == .object([
            "TicketTitle": .string("Switchboard daily summary for pc-1"),
            "Description": .string("12 modules, 3 issues found, 2 remediated, 1 failed"),
            "TicketPriority": .string("High"), "TicketImpact": .string("Major"), "TicketStatus": .string("Open"),
            "TicketType": .string("Incident"), "EndUserID": .integer(42),
        ]))
        let quiet = try Self.render(.renderReport, "report", #"{"modules": 4, "issuesFound": 0, "remediated": 0, "failed": 0, "title": "Nightly"}"#, Self.target())
        #expect(quiet["body"]?["TicketTitle"] == .string("Nightly"))
        #expect(quiet["body"]?["TicketPriority"] == .string("Low"))
    }

    // MARK: Alerts

    @Test func alertsBecomeTicketsOnAPlainEndpoint() throws {
        let request = try Self.alert(Self.target(["APIEndpoint": .string("https://app.atera.com/api/v3")]))
        #expect(request == .object([
            "method": .string("POST"),
            "url": .string("https://app.atera.com/api/v3/tickets"),
            "headers": Self.legacyHeaders,
            "body": .object([
                "TicketTitle": .string("[Error] Disk on pc-1: C: full"), "Description": .string(Self.alertDetails),
                "TicketPriority": .string("High"), "TicketImpact": .string("Major"), "TicketStatus": .string("Open"),
                "TicketType": .string("Incident"), "EndUserID": .integer(42),
            ]),
        ]))
    }

    @Test func alertsBecomeAteraAlertsOnALegacyAlertsEndpoint() throws {
        let request = try Self.alert(Self.target([
            "APIEndpoint": .string("https://app.atera.com/api/v3/alerts"), "DeviceGuid": .string(Self.guid),
            "CompanyID": .string("7"), "AlertCode": .integer(1234), "AlertCategory": .string("disk"),
        ]))
        #expect(request == .object([
            "method": .string("POST"),
            "url": .string("https://app.atera.com/api/v3/alerts"),
            "headers": Self.legacyHeaders,
            "body": .object([
                "DeviceGuid": .string(Self.guid), "CustomerID": .integer(7), "Title": .string("[Error] Disk on pc-1: C: full"),
                "Severity": .string("Critical"), "AlertCategoryID": .string("Disk"), "AdditionalInfo": .string(Self.alertDetails),
                "Code": .integer(1234),
            ]),
        ]))
    }

    @Test func alertsAsConfigured() throws {
        // AlertsAs overrides what the endpoint suggests, both ways.
        let asAlert = try Self.alert(Self.target(["AlertsAs": .string("alert"), "DeviceGuid": .string(Self.guid)]))
        #expect(asAlert["url"] == .string("https://app.atera.com/api/v3/alerts"))
        #expect(asAlert["body"]?["AlertCategoryID"] == .string("General"))
        #expect(asAlert["body"]?["CustomerID"] == nil)
        #expect(asAlert["body"]?["Code"] == nil)
        let asTicket = try Self.alert(Self.target(["APIEndpoint": .string("https://app.atera.com/api/v3/alerts"), "AlertsAs": .string("ticket")]))
        #expect(asTicket["url"] == .string("https://app.atera.com/api/v3/tickets"))
        #expect(asTicket["body"]?["TicketTitle"] == .string("[Error] Disk on pc-1: C: full"))
    }

    @Test(arguments: [("Info", "Information"), ("Warning", "Warning"), ("Error", "Critical"), ("Critical", "Critical")])
    func alertSeverities(severity: String, atera: String) throws {
        let request = try Self.alert(Self.target(["AlertsAs": .string("alert"), "DeviceGuid": .string(Self.guid)]),
                                     #"{"module": "M", "severity": "\#(severity)", "message": "m", "endpoint": "pc-1"}"#)
        #expect(request["body"]?["Severity"] == .string(atera))
    }

    @Test func theAlertsOwnDeviceWins() throws {
        let own = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
        let request = try Self.alert(Self.target(["AlertsAs": .string("alert"), "DeviceGuid": .string(Self.guid)]),
                                     #"{"module": "Disk", "severity": "Warning", "message": "C: full", "endpoint": "pc-1", "domain": "corp.example", "timestamp": "2026-11-23T07:30:00Z", "data": {"deviceGuid": "\#(own)"}}"#)
        #expect(request["body"]?["DeviceGuid"] == .string(own))
        #expect(request["body"]?["AdditionalInfo"] == .string("""
            Severity: Warning
            Module: Disk
            Message: C: full
            Endpoint: pc-1.corp.example
            Time: 2026-11-23T07:30:00Z
            Source: Switchboard
            Data: {"deviceGuid":"\(own)"}
            """))
    }

    // MARK: Bad input

    @Test func badInputIsNamedPrecisely() throws {
        let alertTarget: [String: JSONValue] = Self.target(["AlertsAs": .string("alert"), "DeviceGuid": .string(Self.guid)])
        var noContact = Self.target()
        noContact["EndUserID"] = nil
        var noKey = Self.target()
        noKey["APIKey"] = nil
        let cases: [(EntryPointRole, String, String)] = [
            (.renderTicket, #"{"ticket": \#(Self.ticket)}"#, "target: missing"),
            (.renderTicket, Self.input("ticket", Self.ticket, noKey), "target.APIKey: missing"),
            (.renderTicket, Self.input("ticket", Self.ticket, Self.target(["APIKey": .string("")])), "target.APIKey: must not be empty"),
            (.renderTicket, Self.input("ticket", Self.ticket, Self.target(["APIEndpoint": .string("app.atera.com/api/v3")])),
             "target.APIEndpoint: expected an http:// or https:// URL, got 'app.atera.com/api/v3'"),
            (.renderTicket, Self.input("ticket", Self.ticket, Self.target(["AuthStyle": .string("basic")])),
             "target.AuthStyle: expected one of auto, apikey, bearer, got 'basic'"),
            (.renderTicket, Self.input("ticket", Self.ticket, Self.target(["ImpactHigh": .string("Severe")])),
             "target.ImpactHigh: expected one of NoImpact, SiteDown, ServerIssue, Minor, Major, Crisis, got 'Severe'"),
            (.renderTicket, Self.input("ticket", Self.ticket, Self.target(["TicketType": .string("Question")])),
             "target.TicketType: expected one of Incident, Problem, Request, Change, got 'Question'"),
            (.renderTicket, Self.input("ticket", Self.ticket, Self.target(["TicketStatus": .integer(1)])), "target.TicketStatus: expected a string"),
            (.renderTicket, Self.input("ticket", Self.ticket, noContact),
             "target.EndUserID: missing; Atera tickets need a contact: set EndUserID, or EndUserEmail, EndUserFirstName and EndUserLastName"),
            (.renderTicket, Self.input("ticket", Self.ticket, noContact.merging(["EndUserEmail": .string("a@b.c"), "EndUserFirstName": .string("A")]) { $1 }),
             "target.EndUserLastName: missing; EndUserEmail, EndUserFirstName and EndUserLastName create the contact together (or set EndUserID)"),
            (.renderTicket, Self.input("ticket", Self.ticket, noContact.merging(["EndUserLastName": .string("B")]) { $1 }),
             "target.EndUserEmail: missing; EndUserEmail, EndUserFirstName and EndUserLastName create the contact together (or set EndUserID)"),
            (.renderTicket, Self.input("ticket", Self.ticket, Self.target(["EndUserID": .string("ops@example.com")])), "target.EndUserID: expected an integer"),
            (.renderTicket, Self.input("ticket", #"{"title": "T", "priority": "urgent"}"#, Self.target()),
             "ticket.priority: expected one of low, medium, high, critical, got 'urgent'"),
            (.renderTicket, Self.input("ticket", #"{"priority": "low"}"#, Self.target()), "ticket.title: missing"),
            (.renderReport, Self.input("report", #"{"modules": 1, "issuesFound": 0, "remediated": 0}"#, Self.target()), "report.failed: missing"),
            (.renderAlert, Self.input("alert", Self.alert, Self.target(["AlertsAs": .string("pager")])),
             "target.AlertsAs: expected one of alert, ticket, got 'pager'"),
            (.renderAlert, Self.input("alert", Self.alert, Self.target(["AlertsAs": .string("alert")])),
             "target.DeviceGuid: missing; Atera alerts belong to a device: set DeviceGuid or send alert.data.deviceGuid (or set AlertsAs to ticket)"),
            (.renderAlert, Self.input("alert", Self.alert, Self.target(["AlertsAs": .string("alert"), "DeviceGuid": .string("pc-042")])),
             "target.DeviceGuid: expected a UUID such as 0f8fad5b-d9cb-469f-a165-70867728950e, got 'pc-042'"),
            (.renderAlert, Self.input("alert", #"{"module": "M", "severity": "Info", "message": "m", "data": {"deviceGuid": "0f8fad5b"}}"#, alertTarget),
             "alert.data.deviceGuid: expected a UUID such as 0f8fad5b-d9cb-469f-a165-70867728950e, got '0f8fad5b'"),
            (.renderAlert, Self.input("alert", #"{"module": "M", "severity": "Info", "message": "m", "data": {"deviceGuid": 7}}"#, alertTarget),
             "alert.data.deviceGuid: expected a string"),
            (.renderAlert, Self.input("alert", Self.alert, alertTarget.merging(["AlertCategory": .string("Network")]) { $1 }),
             "target.AlertCategory: expected one of Hardware, Disk, Availability, Performance, Exchange, General, got 'Network'"),
            (.renderAlert, Self.input("alert", Self.alert, alertTarget.merging(["CompanyID": .string("Contoso")]) { $1 }),
             "target.CompanyID: expected an integer"),
            (.renderAlert, Self.input("alert", Self.alert, alertTarget.merging(["AlertCode": .string("DISK")]) { $1 }),
             "target.AlertCode: expected an integer"),
            (.renderAlert, Self.input("alert", #"{"module": "M", "severity": "Fatal", "message": "m"}"#, alertTarget),
             "alert.severity: expected one of Info, Warning, Error, Critical, got 'Fatal'"),
            (.parseResponse, #"{"kind": "ticket", "body": ""}"#, "status: missing"),
            (.parseResponse, #"{"kind": "device", "status": 201}"#, "kind: expected one of alert, ticket, report, token, got 'device'"),
        ]
        for (role, input, message) in cases {
            #expect(Self.failure(role, input) == message)
        }
    }

    // MARK: Responses

    static func outcome(_ status: Int, _ body: String, _ headers: String = "{}", kind: String = "ticket") throws -> JSONValue {
        let text = JSONValue.string(body).text()
        return try BundledPluginTests.call(id, .parseResponse,
                                           #"{"kind": "\#(kind)", "status": \#(status), "headers": \#(headers), "body": \#(text), "target": {"APIKey": "k"}}"#)
    }

    @Test func createdIDs() throws {
        #expect(try Self.outcome(201, #"{"ActionID":"98765"}"#) == .object(["outcome": .string("delivered"), "createdId": .string("98765")]))
        #expect(try Self.outcome(201, #"{"ActionID":98765}"#, kind: "alert") == .object(["outcome": .string("delivered"), "createdId": .string("98765")]))
        #expect(try Self.outcome(200, #"{"ActionID":"41"}"#, kind: "report") == .object(["outcome": .string("delivered"), "createdId": .string("41")]))
        #expect(try Self.outcome(201, "") == .object(["outcome": .string("delivered"), "createdId": .null]))
        #expect(try Self.outcome(201, #"{"ActionID":""}"#) == .object(["outcome": .string("delivered"), "createdId": .null]))
    }

    @Test func problemDetailsAreRejectedWithTheirText() throws {
        let problem = #"{"type":"https://tools.ietf.org/html/rfc7231#section-6.5.1","title":"Bad Request","status":400,"detail":"Device not found","instance":"/api/v3/alerts"}"#
        #expect(try Self.outcome(400, problem, kind: "alert") == .object(["outcome": .string("rejected"), "error": .string("Bad Request: Device not found")]))
        let conflict = #"{"type":"about:blank","title":"Conflict","status":409,"detail":"An open alert with this code already exists"}"#
        #expect(try Self.outcome(409, conflict, kind: "alert")
                == .object(["outcome": .string("rejected"), "error": .string("Conflict: An open alert with this code already exists")]))
        let validation = #"{"title":"One or more validation errors occurred.","status":400,"errors":{"TicketTitle":["The TicketTitle field is required."],"EndUserID":["Unknown contact."]}}"#
        #expect(try Self.outcome(400, validation) == .object(["outcome": .string("rejected"), "error": .string(
            "One or more validation errors occurred.: EndUserID: Unknown contact.; TicketTitle: The TicketTitle field is required.")]))
        #expect(try Self.outcome(400, #"{"title":"Bad Request","status":400}"#) == .object(["outcome": .string("rejected"), "error": .string("Bad Request")]))
        #expect(try Self.outcome(400, "Invalid ticket") == .object(["outcome": .string("rejected"), "error": .string("HTTP 400: Invalid ticket")]))
    }

    @Test func standardClassification() throws {
        #expect(try Self.outcome(401, "") == .object(["outcome": .string("reauthenticate"), "error": .string("HTTP 401")]))
        #expect(try Self.outcome(429, "", #"{"Retry-After": "30"}"#)
                == .object(["outcome": .string("retry"), "retryAfterSeconds": .integer(30), "error": .string("HTTP 429")]))
        #expect(try Self.outcome(429, "Too many requests")
                == .object(["outcome": .string("retry"), "retryAfterSeconds": .null, "error": .string("HTTP 429: Too many requests")]))
        #expect(try Self.outcome(500, "Internal Server Error")
                == .object(["outcome": .string("retry"), "retryAfterSeconds": .null, "error": .string("HTTP 500: Internal Server Error")]))
        #expect(try Self.outcome(503, #"{"title":"Service Unavailable","detail":"maintenance"}"#, #"{"retry-after": "120"}"#)
                == .object(["outcome": .string("retry"), "retryAfterSeconds": .integer(120), "error": .string("Service Unavailable: maintenance")]))
        #expect(try Self.outcome(403, "Forbidden") == .object(["outcome": .string("rejected"), "error": .string("HTTP 403: Forbidden")]))
        #expect(try Self.outcome(404, "") == .object(["outcome": .string("rejected"), "error": .string("HTTP 404")]))
    }

    @Test func manifestDeclaresTheConfiguration() throws {
        let manifest = try BundledPluginTests.plugin(Self.id).manifest
        #expect(manifest.platform == "atera")
        let fields = Dictionary(uniqueKeysWithValues: manifest.config.map { ($0.name, $0) })
        #expect(fields["APIKey"]?.secret == true)
        #expect(fields["AuthStyle"]?.defaultValue == .string("auto"))
        #expect(fields["TicketStatus"]?.defaultValue == .string("Open"))
        #expect(fields["TicketType"]?.defaultValue == .string("Incident"))
        #expect(["ImpactLow", "ImpactMedium", "ImpactHigh", "ImpactCritical"].map { fields[$0]?.defaultValue }
                == [.string("Minor"), .string("Minor"), .string("Major"), .string("Crisis")])
        #expect(fields["AlertCategory"]?.defaultValue == .string("General"))
        for name in ["APIEndpoint", "EndUserID", "EndUserEmail", "EndUserFirstName", "EndUserLastName", "AlertsAs", "DeviceGuid", "AlertCode", "CompanyID"] {
            #expect(fields[name] != nil, "\(name) is not declared")
        }
    }
}
