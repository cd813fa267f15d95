import Foundation
import PluginHost
import Testing

/// The Syncro adapter, called through the real host like every bundled plugin.
@Suite struct SyncroPluginTests {
    static let id = "switchboard.syncro"
    static let base = "https://acme.syncromsp.com/api/v1"
    static let key = "T0123456789abcdef-0123456789abcdef"
    static let alert = #""alert": {"module": "DiskCleanup", "severity": "Critical", "message": "C: has 1% free", "timestamp": "2026-11-23T07:30:00Z", "endpoint": "pc-042", "domain": "corp.example"}"#
    static let title = "[Critical] DiskCleanup on pc-042: C: has 1% free"
    static let details = "Severity: Critical\nModule: DiskCleanup\nMessage: C: has 1% free\nEndpoint: pc-042.corp.example\nTime: 2026-11-23T07:30:00Z\nSource: Switchboard"
    static let headers: JSONValue = .object([
        "Authorization": .string("Bearer \(key)"), "Accept": .string("application/json"), "Content-Type": .string("application/json"),
    ])

    /// `"target": {...}`: every required field, with `set` (raw JSON values) replacing or adding
    /// members and `unset` left out.
    static func target(_ set: KeyValuePairs<String, String> = [:], unset: String? = nil) -> String {
        var members: [(String, String)] = [("APIEndpoint", "\"\(base)\""), ("APIKey", "\"\(key)\""), ("CompanyID", "1001")]
        for (name, value) in set {
            if let index = members.firstIndex(where: { $0.0 == name }) { members[index].1 = value } else { members.append((name, value)) }
        }
        return #""target": {"# + members.filter { $0.0 != unset }.map { #""\#($0.0)": \#($0.1)"# }.joined(separator: ", ") + "}"
    }

    static func alert(data: String) -> String {
        #""alert": {"module": "DiskCleanup", "severity": "Critical", "message": "C: has 1% free", "timestamp": "2026-11-23T07:30:00Z", "endpoint": "pc-042", "domain": "corp.example", "data": \#(data)}"#
    }

    static func call(_ role: EntryPointRole, _ members: String...) throws -> JSONValue {
        try BundledPluginTests.call(id, role, "{" + members.joined(separator: ", ") + "}")
    }

    static func failure(_ role: EntryPointRole, _ input: String, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(throws: PluginCallError.failed(plugin: id, role: role, status: 1, message: message), sourceLocation: sourceLocation) {
            try BundledPluginTests.plugin(id).call(role, input: Data(input.utf8))
        }
    }

    static func comment(_ body: String) -> JSONValue {
        .array([.object(["subject": .string("Initial Issue"), "body": .string(body), "hidden": .bool(true), "do_not_email": .bool(true)])])
    }

    // MARK: Tickets

    @Test func ticketsArePostedWithAPrivateFirstComment() throws {
        let request = try Self.call(.renderTicket, #""ticket": {"title": "Disk space low on SERVER1", "description": "C: at 95%", "priority": "high"}"#,
                                    Self.target(), #""idempotencyKey": "k-1""#)
        #expect(request == .object([
            "method": .string("POST"),
            "url": .string(Self.base + "/tickets"),
            "headers": Self.headers,
            "body": .object([
                "customer_id": .integer(1001), "subject": .string("Disk space low on SERVER1"),
                "problem_type": .string("Other"), "status": .string("New"), "comments_attributes": Self.comment("C: at 95%"),
            ]),
        ]))
        #expect(try !#require(request["body"]).text().contains(Self.key))
    }

    @Test func ticketConfigAndDevicesAreMapped() throws {
        let request = try Self.call(.renderTicket, #""ticket": {"title": "Printer offline", "device": "4321"}"#,
                                    Self.target(["CompanyID": #""1002""#, "ProblemType": #""Hardware""#, "TicketStatus": #""In Progress""#, "ContactID": #""55""#]))
        #expect(request["body"] == .object([
            "customer_id": .integer(1002), "subject": .string("Printer offline"), "problem_type": .string("Hardware"),
            "status": .string("In Progress"), "contact_id": .integer(55), "asset_ids": .array([.integer(4321)]),
            // Without a description the comment repeats the title rather than being empty.
            "comments_attributes": Self.comment("Printer offline"),
        ]))
    }

    @Test func reportsBecomeTickets() throws {
        let request = try Self.call(.renderReport,
                                    #""report": {"modules": 12, "issuesFound": 3, "remediated": 2, "failed": 1, "endpoint": "pc-1", "timestamp": "2026-11-23T07:30:00Z"}"#,
                                    Self.target(["AssetID": "77", "AlertsAs": #""alert""#]))
        #expect(request == .object([
            "method": .string("POST"),
            "url": .string(Self.base + "/tickets"),
            "headers": Self.headers,
            "body": .object([
                "customer_id": .integer(1001), "subject": .string("Switchboard daily summary for pc-1"),
                "problem_type": .string("Other"), "status": .string("New"),
                "comments_attributes": Self.comment("12 modules, 3 issues found, 2 remediated, 1 failed"),
            ]),
        ]))
    }

    // MARK: Authentication styles

    @Test func theKeyGoesWhereAuthStyleSays() throws {
        let header = try Self.call(.renderTicket, #""ticket": {"title": "t"}"#, Self.target(["AuthStyle": #""header""#]))
        #expect(header["headers"] == .object([
            "Authorization": .string(Self.key), "Accept": .string("application/json"), "Content-Type": .string("application/json"),
        ]))
        #expect(header["url"] == .string(Self.base + "/tickets"))

        let query = try Self.call(.renderTicket, #""ticket": {"title": "t"}"#, Self.target(["AuthStyle": #""QUERY""#, "APIKey": #""k+y/=&1""#]))
        #expect(query["url"] == .string(Self.base + "/tickets?api_key=k%2By%2F%3D%261"))
        #expect(query["headers"] == .object(["Accept": .string("application/json"), "Content-Type": .string("application/json")]))
        #expect(try !#require(query["body"]).text().contains("k+y"))

        let bearer = try Self.call(.renderTicket, #""ticket": {"title": "t"}"#, Self.target(["AuthStyle": #""bearer""#]))
        #expect(bearer["headers"] == Self.headers)
    }

    // MARK: Alerts

    @Test func alertsBecomeRMMAlertsOnTheirAsset() throws {
        let request = try Self.call(.renderAlert, Self.alert(data: #"{"assetId": 77}"#), Self.target(["AlertsAs": #""alert""#]))
        #expect(request == .object([
            "method": .string("POST"),
            "url": .string(Self.base + "/rmm_alerts"),
            "headers": Self.headers,
            "body": .object([
                "customer_id": .integer(1001), "asset_id": .integer(77), "description": .string(Self.title), "resolved": .bool(false),
                "properties": .object([
                    "subject": .string(Self.title), "body": .string(Self.details + "\nData: {\"assetId\":77}"),
                    "hidden": .bool(true), "do_not_email": .bool(true),
                ]),
            ]),
        ]))
        // The configured asset stands in when the alert names none; a string of digits is an id too.
        let configured = try Self.call(.renderAlert, Self.alert, Self.target(["AlertsAs": #""alert""#, "AssetID": "88"]))
        #expect(configured["body"]?["asset_id"] == .integer(88))
        let text = try Self.call(.renderAlert, Self.alert(data: #"{"assetId": "99"}"#), Self.target(["AlertsAs": #""alert""#, "AssetID": "88"]))
        #expect(text["body"]?["asset_id"] == .integer(99))
    }

    @Test func alertsBecomeTicketsByDefault() throws {
        let request = try Self.call(.renderAlert, Self.alert(data: #"{"assetId": 77}"#), Self.target())
        #expect(request == .object([
            "method": .string("POST"),
            "url": .string(Self.base + "/tickets"),
            "headers": Self.headers,
            "body": .object([
                "customer_id": .integer(1001), "subject": .string(Self.title), "problem_type": .string("Other"), "status": .string("New"),
                "asset_ids": .array([.integer(77)]), "comments_attributes": Self.comment(Self.details + "\nData: {\"assetId\":77}"),
            ]),
        ]))
        let configured = try Self.call(.renderAlert, Self.alert, Self.target(["AssetID": "88"]))
        #expect(configured["body"]?["asset_ids"] == .array([.integer(88)]))
        let unlinked = try Self.call(.renderAlert, Self.alert, Self.target())
        #expect(unlinked["body"]?["asset_ids"] == nil)
        #expect(unlinked["body"]?["comments_attributes"] == Self.comment(Self.details))
    }

    @Test(arguments: [
        // (APIEndpoint, AlertsAs, expected URL of an alert)
        (base, nil, base + "/tickets"),
        (base + "/", nil, base + "/tickets"),
        (base + "/tickets", nil, base + "/tickets"),
        (base + "/tickets/", nil, base + "/tickets"),
        (base + "/rmm_alerts", nil, base + "/rmm_alerts"),
        (base + "/rmm_alerts", "ticket", base + "/tickets"),
        (base + "/tickets", "alert", base + "/rmm_alerts"),
        (base, "Alert", base + "/rmm_alerts"),
    ] as [(String, String?, String)])
    func legacyEndpointsChooseTheDefaultAlertKind(endpoint: String, alertsAs: String?, url: String) throws {
        var set: KeyValuePairs<String, String> = ["APIEndpoint": "\"\(endpoint)\"", "AssetID": "5"]
        if let alertsAs { set = ["APIEndpoint": "\"\(endpoint)\"", "AssetID": "5", "AlertsAs": "\"\(alertsAs)\""] }
        #expect(try Self.call(.renderAlert, Self.alert, Self.target(set))["url"] == .string(url))
        // Tickets and reports always go to /tickets.
        #expect(try Self.call(.renderTicket, #""ticket": {"title": "t"}"#, Self.target(set))["url"] == .string(Self.base + "/tickets"))
    }

    @Test func badInputIsRefusedWithTheField() {
        let ticket = #""ticket": {"title": "t"}"#
        let cases: [(EntryPointRole, String, String)] = [
            (.renderTicket, "{\(ticket)}", "target: missing"),
            (.renderTicket, "{\(Self.target())}", "ticket: missing"),
            (.renderAlert, "{\(Self.target())}", "alert: missing"),
            (.renderTicket, "{\(ticket), \(Self.target(unset: "APIEndpoint"))}", "target.APIEndpoint: missing"),
            (.renderTicket, "{\(ticket), \(Self.target(unset: "APIKey"))}", "target.APIKey: missing"),
            (.renderTicket, "{\(ticket), \(Self.target(unset: "CompanyID"))}", "target.CompanyID: missing"),
            (.renderTicket, "{\(ticket), \(Self.target(["CompanyID": #""acme""#]))}", "target.CompanyID: expected an integer"),
            (.renderTicket, "{\(ticket), \(Self.target(["CompanyID": "0"]))}", "target.CompanyID: expected a positive integer"),
            (.renderTicket, "{\(ticket), \(Self.target(["ContactID": "-3"]))}", "target.ContactID: expected a positive integer"),
            (.renderTicket, "{\(ticket), \(Self.target(["AssetID": #""pc-042""#]))}", "target.AssetID: expected an integer"),
            (.renderTicket, "{\(ticket), \(Self.target(["ProblemType": #""""#]))}", "target.ProblemType: must not be empty"),
            (.renderTicket, "{\(ticket), \(Self.target(["AuthStyle": #""basic""#]))}",
             "target.AuthStyle: expected one of bearer, header, query, got 'basic'"),
            (.renderTicket, "{\(ticket), \(Self.target(["AlertsAs": #""email""#]))}", "target.AlertsAs: expected one of alert, ticket, got 'email'"),
            (.renderTicket, "{\(ticket), \(Self.target(["APIEndpoint": #""https://acme.syncromsp.com""#]))}",
             "target.APIEndpoint: expected the API base URL, such as https://acme.syncromsp.com/api/v1, got 'https://acme.syncromsp.com'"),
            (.renderTicket, "{\(ticket), \(Self.target(["APIEndpoint": #""https://acme.syncromsp.com/api/v1/customers""#]))}",
             "target.APIEndpoint: expected the API base URL, such as https://acme.syncromsp.com/api/v1, got 'https://acme.syncromsp.com/api/v1/customers'"),
            (.renderTicket, "{\(ticket), \(Self.target(["APIEndpoint": #""https://acme.syncromsp.com/api/v1/tickets?api_key=secret""#]))}",
             "target.APIEndpoint: expected a URL without a query or fragment, such as https://acme.syncromsp.com/api/v1"),
            (.renderTicket, "{\(ticket), \(Self.target(["APIEndpoint": #""acme.syncromsp.com/api/v1""#]))}",
             "target.APIEndpoint: expected an http:// or https:// URL, got 'acme.syncromsp.com/api/v1'"),
            (.renderTicket, #"{"ticket": {"title": "t", "device": "pc-042"}, \#(Self.target())}"#,
             "ticket.device: expected a Syncro asset id (an integer), got 'pc-042'"),
            (.renderTicket, #"{"ticket": {"description": "d"}, \#(Self.target())}"#, "ticket.title: missing"),
            (.renderAlert, "{\(Self.alert), \(Self.target(["AlertsAs": #""alert""#]))}",
             "alert.data.assetId: missing (a Syncro RMM alert needs an asset: send alert.data.assetId or set target.AssetID)"),
            (.renderAlert, "{\(Self.alert(data: #"{"assetId": "pc-042"}"#)), \(Self.target())}", "alert.data.assetId: expected an integer"),
            (.renderAlert, "{\(Self.alert(data: #"{"assetId": 0}"#)), \(Self.target())}", "alert.data.assetId: expected a positive integer"),
            (.renderReport, #"{"report": {"modules": 1, "issuesFound": 0, "remediated": 0, "failed": -1}, \#(Self.target())}"#,
             "report.failed: must not be negative"),
        ]
        for (role, input, message) in cases { Self.failure(role, input, message) }
    }

    // MARK: Responses

    static func outcome(_ status: Int, _ body: String = "", headers: [String: String] = [:], kind: String = "ticket") throws -> JSONValue {
        let input = try JSONSerialization.data(withJSONObject: ["kind": kind, "status": status, "headers": headers, "body": body])
        return try JSONValue.parse(BundledPluginTests.plugin(id).call(.parseResponse, input: input))
    }

    static func delivered(_ id: String?) -> JSONValue { .object(["outcome": .string("delivered"), "createdId": id.map(JSONValue.string) ?? .null]) }

    @Test func createdRecordsReportTheirId() throws {
        #expect(try Self.outcome(201, #"{"ticket":{"id":31415,"number":1042,"subject":"Disk space low","status":"New","customer_id":1001}}"#)
                == Self.delivered("31415"))
        #expect(try Self.outcome(200, #"{"rmm_alert":{"id":9,"customer_id":1001,"asset_id":77}}"#, kind: "alert") == Self.delivered("9"))
        #expect(try Self.outcome(200, #"{"alert":{"id":"a-7"}}"#, kind: "alert") == Self.delivered("a-7"))
        // A top-level id wins over the ids of nested records.
        #expect(try Self.outcome(201, #"{"id":5,"customer":{"id":1001}}"#) == Self.delivered("5"))
        #expect(try Self.outcome(201, #"{"record":{"id":8},"meta":{"page":1}}"#) == Self.delivered("8"))
        #expect(try Self.outcome(201, #"{"a":{"id":1},"b":{"id":2}}"#) == Self.delivered(nil))
        #expect(try Self.outcome(204, "") == Self.delivered(nil))
    }

    @Test func errorsCarrySyncrosText() throws {
        func rejected(_ error: String) -> JSONValue { .object(["outcome": .string("rejected"), "error": .string(error)]) }
        #expect(try Self.outcome(404, #"{"error":"Customer not found"}"#) == rejected("Customer not found"))
        #expect(try Self.outcome(422, #"{"errors":["Subject can't be blank","Customer must exist"]}"#)
                == rejected("Subject can't be blank; Customer must exist"))
        #expect(try Self.outcome(422, #"{"errors":{"subject":["can't be blank"],"customer":["must exist","is invalid"]}}"#)
                == rejected("customer: must exist, is invalid; subject: can't be blank"))
        #expect(try Self.outcome(400, #"{"success":false,"message":"Asset does not belong to customer"}"#)
                == rejected("Asset does not belong to customer"))
        #expect(try Self.outcome(400, #"{"errors":[{"message":"Problem type is not included in the list"}]}"#)
                == rejected("Problem type is not included in the list"))
        #expect(try Self.outcome(403, "Forbidden") == rejected("HTTP 403: Forbidden"))
        #expect(try Self.outcome(400, #"{"status":"bad"}"#) == rejected(#"HTTP 400: {"status":"bad"}"#))
    }

    @Test func authenticationThrottlingAndServerErrors() throws {
        #expect(try Self.outcome(401, #"{"error":"Not authorized"}"#)
                == .object(["outcome": .string("reauthenticate"), "error": .string("Not authorized")]))
        #expect(try Self.outcome(429, "", headers: ["Retry-After": "12"])
                == .object(["outcome": .string("retry"), "retryAfterSeconds": .integer(12),
                            "error": .string("HTTP 429: rate limited (Syncro allows 180 requests per minute per IP address)")]))
        #expect(try Self.outcome(429, #"{"error":"Rate limit exceeded"}"#)
                == .object(["outcome": .string("retry"), "retryAfterSeconds": .integer(60), "error": .string("Rate limit exceeded")]))
        #expect(try Self.outcome(500, "oops")
                == .object(["outcome": .string("retry"), "retryAfterSeconds": .null, "error": .string("HTTP 500: oops")]))
        #expect(try Self.outcome(502, "", headers: ["retry-after": "3"])
                == .object(["outcome": .string("retry"), "retryAfterSeconds": .integer(3), "error": .string("HTTP 502")]))
    }
}
