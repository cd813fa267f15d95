import Foundation
import PluginHost
import Testing

/// The NinjaOne adapter, called through the real host like every bundled plugin.
@Suite struct NinjaRMMPluginTests: DictionaryAdapterTests {
    static let id = "switchboard.ninjarmm"
    static var settings: [String: Any] { [
        "Name": "Ninja EU", "Platform": "ninjarmm", "APIEndpoint": "https://eu.ninjarmm.com",
        "ClientID": "client-abc", "APIKey": "s3cret/key+&=", "CompanyID": "22", "TicketFormID": 1,
    ] }
    static var alert: [String: Any] { [
        "module": "DiskCleanup", "severity": "Error", "message": "C: has 1% free",
        "timestamp": "2026-11-23T07:30:00Z", "endpoint": "pc-042", "domain": "corp.example", "source": "SelfHealingAgent",
    ] }

    // MARK: request_token

    @Test func tokenRequestIsAClientCredentialsGrant() throws {
        let request = try Self.call(.requestToken, ["target": Self.target()])
        #expect(request == .object([
            "method": .string("POST"),
            "url": .string("https://eu.ninjarmm.com/ws/oauth/token"),
            "headers": .object([
                "Content-Type": .string("application/x-www-form-urlencoded"),
                "Accept": .string("application/json"),
            ]),
            "bodyText": .string("grant_type=client_credentials&client_id=client-abc&client_secret=s3cret%2Fkey%2B%26%3D&scope=monitoring%20management%20control"),
        ]))
        #expect(request["headers"]?["Authorization"] == nil)
    }

    @Test func tokenRequestUsesTheConfiguredScope() throws {
        let request = try Self.call(.requestToken, ["target": Self.target(["Scope": "monitoring"])])
        #expect(request["bodyText"] == .string("grant_type=client_credentials&client_id=client-abc&client_secret=s3cret%2Fkey%2B%26%3D&scope=monitoring"))
    }

    @Test func tokenRequestNeedsTheApplicationCredentials() {
        Self.expectFailure(.requestToken, ["target": Self.target(["ClientID": NSNull()])], "target.ClientID: missing")
        Self.expectFailure(.requestToken, ["target": Self.target(["APIKey": NSNull()])], "target.APIKey: missing")
        Self.expectFailure(.requestToken, ["target": Self.target(["APIEndpoint": NSNull()])], "target.APIEndpoint: missing")
        Self.expectFailure(.requestToken, [:], "target.APIEndpoint: missing")
    }

    @Test(arguments: [
        ("https://api.ninjarmm.com/v2/alerts", "https://api.ninjarmm.com"),
        ("https://app.ninjarmm.com", "https://app.ninjarmm.com"),
        ("https://app.ninjarmm.com/", "https://app.ninjarmm.com"),
        ("https://eu.ninjarmm.com/v2", "https://eu.ninjarmm.com"),
        ("https://eu.ninjarmm.com/ws/oauth/token", "https://eu.ninjarmm.com"),
        ("https://oc.ninjarmm.com/V2/alerts?pageSize=10", "https://oc.ninjarmm.com"),
    ])
    func legacyEndpointsAreCutBackToTheInstance(endpoint: String, base: String) throws {
        let target = Self.target(["APIEndpoint": endpoint])
        #expect(try Self.call(.requestToken, ["target": target])["url"] == .string(base + "/ws/oauth/token"))
        let ticket = try Self.call(.renderAlert, ["alert": Self.alert, "target": target, "token": "t"])
        #expect(ticket["url"] == .string(base + "/v2/ticketing/ticket"))
    }

    @Test func endpointsMustBeHTTPURLsWithAHost() {
        Self.expectFailure(.requestToken, ["target": Self.target(["APIEndpoint": "app.ninjarmm.com"])],
                           "target.APIEndpoint: expected an http:// or https:// URL, got 'app.ninjarmm.com'")
        Self.expectFailure(.requestToken, ["target": Self.target(["APIEndpoint": "https:///v2/alerts"])],
                           "target.APIEndpoint: expected an http:// or https:// URL with a host, got 'https:///v2/alerts'")
    }

    // MARK: render_alert / render_ticket / render_report

    @Test func alertsOpenTickets() throws {
        var alert = Self.alert
        alert["data"] = ["nodeId": 1234]
        let request = try Self.call(.renderAlert, ["alert": alert, "target": Self.target(["Tags": " switchboard, rmm-alert ,,"]),
                                                   "token": "eyJ.token", "idempotencyKey": "5f0c6a2e-1c1b-4f7e-9d7e-0b1f6f1a2c3d"])
        #expect(request == .object([
            "method": .string("POST"),
            "url": .string("https://eu.ninjarmm.com/v2/ticketing/ticket"),
            "headers": .object([
                "Authorization": .string("Bearer eyJ.token"),
                "Content-Type": .string("application/json"),
                "Accept": .string("application/json"),
            ]),
            "body": .object([
                "clientId": .integer(22),
                "ticketFormId": .integer(1),
                "subject": .string("[Error] DiskCleanup on pc-042: C: has 1% free"),
                "status": .string("1000"),
                "type": .string("PROBLEM"),
                "priority": .string("HIGH"),
                "severity": .string("MAJOR"),
                "description": .object([
                    "public": .bool(false),
                    "body": .string("Severity: Error\nModule: DiskCleanup\nMessage: C: has 1% free\nEndpoint: pc-042.corp.example\nTime: 2026-11-23T07:30:00Z\nSource: SelfHealingAgent\nData: {\"nodeId\":1234}"),
                ]),
                "nodeId": .integer(1234),
                "tags": .array([.string("switchboard"), .string("rmm-alert")]),
            ]),
        ]))
        #expect(!request.text().contains("s3cret"))
    }

    @Test(arguments: [("Info", "LOW", "MINOR"), ("Warning", "MEDIUM", "MODERATE"), ("Error", "HIGH", "MAJOR"), ("Critical", "HIGH", "CRITICAL")])
    func alertSeverityMapsToPriorityAndSeverity(severity: String, priority: String, ninjaSeverity: String) throws {
        var alert = Self.alert
        alert["severity"] = severity
        let body = try #require(try Self.call(.renderAlert, ["alert": alert, "target": Self.target(), "token": "t"])["body"])
        #expect(body["priority"] == .string(priority))
        #expect(body["severity"] == .string(ninjaSeverity))
        #expect(body["nodeId"] == nil)
        #expect(body["tags"] == nil)
    }

    @Test func alertNodeIdMayBeADigitString() throws {
        var alert = Self.alert
        alert["data"] = ["nodeId": "77"]
        #expect(try Self.call(.renderAlert, ["alert": alert, "target": Self.target(), "token": "t"])["body"]?["nodeId"] == .integer(77))
    }

    @Test(arguments: [("low", "LOW", "MINOR"), ("medium", "MEDIUM", "MODERATE"), ("high", "HIGH", "MAJOR"), ("critical", "HIGH", "CRITICAL")])
    func ticketPriorityMapsToPriorityAndSeverity(priority: String, ninjaPriority: String, severity: String) throws {
        let ticket: [String: Any] = ["title": "Printer offline", "description": "Spooler keeps stopping", "priority": priority]
        let body = try #require(try Self.call(.renderTicket, ["ticket": ticket, "target": Self.target(), "token": "t"])["body"])
        #expect(body["priority"] == .string(ninjaPriority))
        #expect(body["severity"] == .string(severity))
    }

    @Test func ticketsCarryTheirDeviceAndTheConfiguredStatusAndType() throws {
        let ticket: [String: Any] = ["title": "Printer offline", "description": "Spooler keeps stopping", "device": "4321"]
        let request = try Self.call(.renderTicket, ["ticket": ticket, "target": Self.target(["TicketStatus": "2000", "TicketType": "incident",
                                                                                              "CompanyID": 7, "TicketFormID": "3"]),
                                                    "token": "tok"])
        #expect(request["method"] == .string("POST"))
        #expect(request["url"] == .string("https://eu.ninjarmm.com/v2/ticketing/ticket"))
        #expect(request["headers"]?["Authorization"] == .string("Bearer tok"))
        #expect(request["body"] == .object([
            "clientId": .integer(7), "ticketFormId": .integer(3), "subject": .string("Printer offline"),
            "status": .string("2000"), "type": .string("INCIDENT"), "priority": .string("MEDIUM"), "severity": .string("MODERATE"),
            "description": .object(["public": .bool(false), "body": .string("Spooler keeps stopping")]),
            "nodeId": .integer(4321),
        ]))
    }

    @Test func reportsOpenTickets() throws {
        let report: [String: Any] = ["modules": 12, "issuesFound": 3, "remediated": 2, "failed": 1, "endpoint": "pc-1",
                                     "timestamp": "2026-11-23T07:30:00Z"]
        let request = try Self.call(.renderReport, ["report": report, "target": Self.target(["TicketType": "TASK"]), "token": "tok"])
        #expect(request["url"] == .string("https://eu.ninjarmm.com/v2/ticketing/ticket"))
        #expect(request["headers"]?["Authorization"] == .string("Bearer tok"))
        #expect(request["body"] == .object([
            "clientId": .integer(22), "ticketFormId": .integer(1), "subject": .string("Switchboard daily summary for pc-1"),
            "status": .string("1000"), "type": .string("TASK"), "priority": .string("HIGH"), "severity": .string("MAJOR"),
            "description": .object(["public": .bool(false), "body": .string("12 modules, 3 issues found, 2 remediated, 1 failed")]),
        ]))
        let clean: [String: Any] = ["modules": 4, "issuesFound": 0, "remediated": 0, "failed": 0, "title": "Nightly run"]
        let quiet = try Self.call(.renderReport, ["report": clean, "target": Self.target(), "token": "tok"])
        #expect(quiet["body"]?["subject"] == .string("Nightly run"))
        #expect(quiet["body"]?["priority"] == .string("LOW"))
        #expect(quiet["body"]?["severity"] == .string("MINOR"))
    }

    @Test func badInputsAreNamed() {
        let ticket: [String: Any] = ["title": "T"]
        let cases: [(EntryPointRole, [String: Any], String)] = [
            (.renderAlert, ["alert": Self.alert, "target": Self.target()], "token: missing"),
            (.renderTicket, ["ticket": ticket, "target": Self.target()], "token: missing"),
            (.renderReport, ["report": ["modules": 1, "issuesFound": 0, "remediated": 0, "failed": 0], "target": Self.target()], "token: missing"),
            (.renderAlert, ["alert": Self.alert, "target": Self.target(["CompanyID": NSNull()]), "token": "t"], "target.CompanyID: missing"),
            (.renderAlert, ["alert": Self.alert, "target": Self.target(["CompanyID": "acme"]), "token": "t"], "target.CompanyID: expected an integer"),
            (.renderAlert, ["alert": Self.alert, "target": Self.target(["CompanyID": "0"]), "token": "t"],
             "target.CompanyID: expected an id between 1 and 2147483647, got 0"),
            (.renderAlert, ["alert": Self.alert, "target": Self.target(["TicketFormID": NSNull()]), "token": "t"], "target.TicketFormID: missing"),
            (.renderAlert, ["alert": Self.alert, "target": Self.target(["TicketFormID": 1.5]), "token": "t"], "target.TicketFormID: expected an integer"),
            (.renderAlert, ["alert": Self.alert, "target": Self.target(["TicketType": "BUG"]), "token": "t"],
             "target.TicketType: expected one of PROBLEM, QUESTION, INCIDENT, TASK, got 'BUG'"),
            (.renderAlert, ["alert": Self.alert.merging(["data": ["nodeId": "pc-042"]]) { $1 }, "target": Self.target(), "token": "t"],
             "alert.data.nodeId: expected an integer"),
            (.renderAlert, ["alert": Self.alert.merging(["data": ["nodeId": -4]]) { $1 }, "target": Self.target(), "token": "t"],
             "alert.data.nodeId: expected an id between 1 and 2147483647, got -4"),
            (.renderTicket, ["ticket": ["title": "T", "device": "pc-042"], "target": Self.target(), "token": "t"],
             "ticket.device: expected a NinjaOne device id (an integer), got 'pc-042'"),
            (.renderTicket, ["ticket": ["title": "T", "device": "0"], "target": Self.target(), "token": "t"],
             "ticket.device: expected an id between 1 and 2147483647, got 0"),
            (.renderTicket, ["ticket": ["title": "T", "priority": "urgent"], "target": Self.target(), "token": "t"],
             "ticket.priority: expected one of low, medium, high, critical, got 'urgent'"),
            (.renderAlert, ["alert": Self.alert, "target": Self.target(["APIEndpoint": NSNull()]), "token": "t"], "target.APIEndpoint: missing"),
            (.renderAlert, ["target": Self.target(), "token": "t"], "alert: missing"),
        ]
        for (role, input, message) in cases { Self.expectFailure(role, input, message) }
    }

    // MARK: parse_response

    @Test func createdTicketIdIsRead() throws {
        let body = #"{"id":5678,"version":1,"nodeId":1234,"clientId":22,"subject":"Disk","status":{"name":"NEW","statusId":1000},"createTime":1721131200.123}"#
        #expect(try Self.parse("ticket", 201, body) == .object(["outcome": .string("delivered"), "createdId": .string("5678")]))
        #expect(try Self.parse("alert", 200, body) == .object(["outcome": .string("delivered"), "createdId": .string("5678")]))
        #expect(try Self.parse("report", 200, "") == .object(["outcome": .string("delivered"), "createdId": .null]))
    }

    @Test func platformErrorsAreReadIntoTheError() throws {
        let body = #"{"resultCode":"VALIDATION_FAILED","errorMessage":"Ticket form 9 not found","incidentId":"f00d-42"}"#
        #expect(try Self.parse("ticket", 400, body)
                == .object(["outcome": .string("rejected"), "error": .string("HTTP 400: VALIDATION_FAILED: Ticket form 9 not found (incident f00d-42)")]))
        #expect(try Self.parse("ticket", 404, #"{"errorMessage":"Not found"}"#)
                == .object(["outcome": .string("rejected"), "error": .string("HTTP 404: Not found")]))
        #expect(try Self.parse("ticket", 400, "plain text")
                == .object(["outcome": .string("rejected"), "error": .string("HTTP 400: plain text")]))
    }

    @Test func standardOutcomes() throws {
        #expect(try Self.parse("ticket", 401, #"{"resultCode":"UNAUTHORIZED","errorMessage":"Token expired"}"#)
                == .object(["outcome": .string("reauthenticate"), "error": .string("HTTP 401: UNAUTHORIZED: Token expired")]))
        #expect(try Self.parse("ticket", 429, "", headers: ["Retry-After": "30"])
                == .object(["outcome": .string("retry"), "retryAfterSeconds": .integer(30), "error": .string("HTTP 429")]))
        #expect(try Self.parse("ticket", 429, "slow down")
                == .object(["outcome": .string("retry"), "retryAfterSeconds": .null, "error": .string("HTTP 429: slow down")]))
        #expect(try Self.parse("ticket", 500, #"{"resultCode":"FAILURE","errorMessage":"Internal error","incidentId":17}"#)
                == .object(["outcome": .string("retry"), "retryAfterSeconds": .null, "error": .string("HTTP 500: FAILURE: Internal error (incident 17)")]))
    }

    @Test func tokenResponses() throws {
        let full = #"{"access_token":"eyJ.abc","token_type":"Bearer","expires_in":1800,"scope":"monitoring management control"}"#
        #expect(try Self.parse("token", 200, full)
                == .object(["outcome": .string("delivered"), "accessToken": .string("eyJ.abc"), "expiresInSeconds": .integer(1800)]))
        #expect(try Self.parse("token", 200, #"{"access_token":"eyJ.abc","token_type":"Bearer"}"#)
                == .object(["outcome": .string("delivered"), "accessToken": .string("eyJ.abc"), "expiresInSeconds": .integer(3600)]))
        #expect(try Self.parse("token", 200, #"{"access_token":"eyJ.abc"}"#, target: ["TokenLifetimeSeconds": 600])["expiresInSeconds"] == .integer(600))
        #expect(try Self.parse("token", 200, #"{"token_type":"Bearer"}"#)
                == .object(["outcome": .string("rejected"), "error": .string("token response has no access_token")]))
        #expect(try Self.parse("token", 400, #"{"error":"invalid_client","error_description":"Bad client credentials"}"#)
                == .object(["outcome": .string("rejected"), "error": .string("HTTP 400: invalid_client: Bad client credentials")]))
        Self.expectFailure(.parseResponse, ["kind": "token", "status": 200, "body": #"{"access_token":"x"}"#, "target": ["TokenLifetimeSeconds": 0]],
                           "target.TokenLifetimeSeconds: must be positive, got 0")
        Self.expectFailure(.parseResponse, ["kind": "session", "status": 200, "body": ""],
                           "kind: expected one of alert, ticket, report, token, got 'session'")
    }
}
