import Foundation
import PluginHost
import Testing

/// The ConnectWise PSA adapter, called through the real host like every bundled plugin.
@Suite struct ConnectWisePluginTests {
    static let id = "switchboard.connectwise"
    static let base = "https://api-na.myconnectwise.net/v4_6_release/apis/3.0"
    static let clientID = "0e5b1a9c-1d2e-4f3a-9b8c-7d6e5f4a3b2c"
    /// base64("myco+123pub:secret"), the reference's own example.
    static let authorization = "Basic bXljbysxMjNwdWI6c2VjcmV0"
    static let alert = #""alert": {"module": "DiskCleanup", "severity": "Critical", "message": "C: has 1% free", "timestamp": "2026-11-23T07:30:00Z", "endpoint": "pc-042", "domain": "corp.example"}"#
    static let details = "Severity: Critical\nModule: DiskCleanup\nMessage: C: has 1% free\nEndpoint: pc-042.corp.example\nTime: 2026-11-23T07:30:00Z\nSource: Switchboard"

    /// `"target": {...}`: every required field, with `set` (raw JSON values) replacing or adding
    /// members and `unset` left out.
    static func target(_ set: KeyValuePairs<String, String> = [:], unset: String? = nil) -> String {
        var members: [(String, String)] = [("APIEndpoint", "\"\(base)\""), ("CompanyID", #""myco""#), ("APIKey", #""123pub:secret""#),
                                           ("ClientID", "\"\(clientID)\""), ("TicketCompany", #""AcmeCorp""#)]
        for (name, value) in set {
            if let index = members.firstIndex(where: { $0.0 == name }) { members[index].1 = value } else { members.append((name, value)) }
        }
        return #""target": {"# + members.filter { $0.0 != unset }.map { #""\#($0.0)": \#($0.1)"# }.joined(separator: ", ") + "}"
    }

    static func target(endpoint: String) -> String { target(["APIEndpoint": "\"\(endpoint)\""]) }
    static func target(apiKey: String) -> String { target(["APIKey": "\"\(apiKey)\""]) }

    static func call(_ role: EntryPointRole, _ members: String...) throws -> JSONValue {
        try BundledPluginTests.call(id, role, "{" + members.joined(separator: ", ") + "}")
    }

    static func failure(_ role: EntryPointRole, _ input: String, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(throws: PluginCallError.failed(plugin: id, role: role, status: 1, message: message), sourceLocation: sourceLocation) {
            try BundledPluginTests.plugin(id).call(role, input: Data(input.utf8))
        }
    }

    // MARK: Requests

    @Test func anAlertBecomesAServiceTicket() throws {
        let request = try Self.call(.renderAlert, Self.alert, Self.target(["Board": #""1""#]), #""idempotencyKey": "5d0c7a52-7b0e-4a8e-9d1c-3f1e2a4b5c6d""#)
        #expect(request == .object([
            "method": .string("POST"),
            "url": .string(Self.base + "/service/tickets"),
            "headers": .object([
                "Authorization": .string(Self.authorization),
                "clientId": .string(Self.clientID),
                "Accept": .string("application/vnd.connectwise.com+json; version=2022.2"),
                "Content-Type": .string("application/json"),
            ]),
            "body": .object([
                "summary": .string("[Critical] DiskCleanup on pc-042: C: has 1% free"),
                "recordType": .string("ServiceTicket"),
                "company": .object(["identifier": .string("AcmeCorp")]),
                "board": .object(["id": .integer(1)]),
                "priority": .object(["id": .integer(1)]),
                "initialDescription": .string(Self.details),
                "externalXRef": .string("5d0c7a52-7b0e-4a8e-9d1c-3f1e2a4b5c6d"),
            ]),
        ]))
        // The keys appear only inside the Basic credentials.
        #expect(try !#require(request["body"]).text().contains("123pub"))
        #expect(!request.text().contains("secret"))
    }

    @Test(arguments: [
        base, base + "/", base + "/service/tickets", base + "/service/tickets/", base + "/Service/Tickets",
    ])
    func legacyAndPlainEndpointsPostToTheTicketsResource(endpoint: String) throws {
        let request = try Self.call(.renderAlert, Self.alert, Self.target(endpoint: endpoint))
        #expect(request["url"] == .string(Self.base + "/service/tickets"))
    }

    @Test func theOlderAgentsBase64KeysAreAccepted() throws {
        let encoded = Data("123pub:secret".utf8).base64EncodedString()
        let request = try Self.call(.renderAlert, Self.alert, Self.target(apiKey: encoded))
        #expect(request["headers"]?["Authorization"] == .string(Self.authorization))
    }

    @Test func optionalFieldsAreLeftOutWhenUnset() throws {
        let body = try #require(try Self.call(.renderAlert, Self.alert, Self.target())["body"])
        #expect(body["board"] == nil)
        #expect(body["externalXRef"] == nil)
    }

    @Test func companyAndBoardAreSentByIdOrByName() throws {
        func body(_ name: String, _ value: String) throws -> JSONValue {
            try #require(try Self.call(.renderAlert, Self.alert, Self.target([name: value]))["body"])
        }
        #expect(try body("TicketCompany", #""250""#)["company"] == .object(["id": .integer(250)]))
        #expect(try body("TicketCompany", "250")["company"] == .object(["id": .integer(250)]))
        #expect(try body("TicketCompany", #""Acme2""#)["company"] == .object(["identifier": .string("Acme2")]))
        #expect(try body("Board", #""Service Board""#)["board"] == .object(["name": .string("Service Board")]))
        #expect(try body("Board", "7")["board"] == .object(["id": .integer(7)]))
        #expect(try body("Board", #""Tier 2 (24x7)""#)["board"] == .object(["name": .string("Tier 2 (24x7)")]))
    }

    @Test func prioritiesComeFromTheConfiguredIds() throws {
        let defaults: [(String, Int64)] = [("Info", 4), ("Warning", 3), ("Error", 2), ("Critical", 1)]
        let custom: [(String, Int64)] = [("Info", 8), ("Warning", 7), ("Error", 6), ("Critical", 5)]
        let config: KeyValuePairs<String, String> = ["PriorityLow": "8", "PriorityMedium": #""7""#, "PriorityHigh": "6", "PriorityCritical": "5"]
        for (severity, id) in defaults {
            let alert = #""alert": {"module": "M", "severity": "\#(severity)", "message": "x", "endpoint": "pc", "domain": "d"}"#
            #expect(try Self.call(.renderAlert, alert, Self.target())["body"]?["priority"] == .object(["id": .integer(id)]))
        }
        for (severity, id) in custom {
            let alert = #""alert": {"module": "M", "severity": "\#(severity)", "message": "x", "endpoint": "pc", "domain": "d"}"#
            #expect(try Self.call(.renderAlert, alert, Self.target(config))["body"]?["priority"] == .object(["id": .integer(id)]))
        }
        for (priority, id) in [("low", 8), ("medium", 7), ("high", 6), ("critical", 5)] as [(String, Int64)] {
            let ticket = #""ticket": {"title": "t", "priority": "\#(priority)"}"#
            #expect(try Self.call(.renderTicket, ticket, Self.target(config))["body"]?["priority"] == .object(["id": .integer(id)]))
        }
    }

    @Test func theAPIVersionIsConfigurable() throws {
        let request = try Self.call(.renderAlert, Self.alert, Self.target(["APIVersion": #""2023.1""#]))
        #expect(request["headers"]?["Accept"] == .string("application/vnd.connectwise.com+json; version=2023.1"))
    }

    @Test func ticketsKeepTheirDeviceAndCategoryAndLongTitlesAreCut() throws {
        let title = String(repeating: "x", count: 120)
        let request = try Self.call(.renderTicket,
                                    #""ticket": {"title": "\#(title)", "description": "Disk is full.", "priority": "high", "device": "pc-042", "category": "Disk"}"#,
                                    Self.target())
        let body = try #require(request["body"])
        #expect(body["summary"] == .string(String(repeating: "x", count: 99) + "…"))
        #expect(body["initialDescription"] == .string("Disk is full.\n\nDevice: pc-042\nCategory: Disk"))
        #expect(body["priority"] == .object(["id": .integer(2)]))
        #expect(request["url"] == .string(Self.base + "/service/tickets"))
        #expect(request["headers"]?["Authorization"] == .string(Self.authorization))

        let bare = try #require(try Self.call(.renderTicket, #""ticket": {"title": "Short"}"#, Self.target())["body"])
        #expect(bare["summary"] == .string("Short"))
        #expect(bare["initialDescription"] == nil)
        #expect(bare["priority"] == .object(["id": .integer(3)]))
    }

    @Test func reportsBecomeTicketsWithTheirSummary() throws {
        let request = try Self.call(.renderReport,
                                    #""report": {"modules": 12, "issuesFound": 3, "remediated": 2, "failed": 1, "endpoint": "pc-1", "timestamp": "2026-11-23T07:30:00Z"}"#,
                                    Self.target(["Board": #""Service Board""#]), #""idempotencyKey": "r-1""#)
        #expect(request["method"] == .string("POST"))
        #expect(request["url"] == .string(Self.base + "/service/tickets"))
        #expect(request["body"] == .object([
            "summary": .string("Switchboard daily summary for pc-1"),
            "recordType": .string("ServiceTicket"),
            "company": .object(["identifier": .string("AcmeCorp")]),
            "board": .object(["name": .string("Service Board")]),
            "priority": .object(["id": .integer(2)]),
            "initialDescription": .string("12 modules, 3 issues found, 2 remediated, 1 failed"),
            "externalXRef": .string("r-1"),
        ]))
        let quiet = try Self.call(.renderReport, #""report": {"modules": 5, "issuesFound": 0, "remediated": 0, "failed": 0, "endpoint": "pc-1"}"#, Self.target())
        #expect(quiet["body"]?["priority"] == .object(["id": .integer(4)]))
    }

    @Test func badInputIsRefusedWithTheField() {
        let cases: [(String, String)] = [
            ("{\(Self.alert)}", "target: missing"),
            ("{\(Self.target())}", "alert: missing"),
            ("{\(Self.alert), \(Self.target(unset: "APIEndpoint"))}", "target.APIEndpoint: missing"),
            ("{\(Self.alert), \(Self.target(unset: "CompanyID"))}", "target.CompanyID: missing"),
            ("{\(Self.alert), \(Self.target(unset: "APIKey"))}", "target.APIKey: missing"),
            ("{\(Self.alert), \(Self.target(unset: "ClientID"))}", "target.ClientID: missing"),
            ("{\(Self.alert), \(Self.target(unset: "TicketCompany"))}",
             "target.TicketCompany: missing (the company tickets are opened for, by id or identifier; CompanyID is only the login company)"),
            ("{\(Self.alert), \(Self.target(endpoint: "ftp://cw.example.com/apis/3.0"))}",
             "target.APIEndpoint: expected an http:// or https:// URL, got 'ftp://cw.example.com/apis/3.0'"),
            ("{\(Self.alert), \(Self.target(endpoint: "https://api-na.myconnectwise.net"))}",
             "target.APIEndpoint: expected the API base URL, such as \(Self.base), got 'https://api-na.myconnectwise.net'"),
            ("{\(Self.alert), \(Self.target(endpoint: Self.base + "/company/companies"))}",
             "target.APIEndpoint: expected the API base URL, such as \(Self.base), got '\(Self.base)/company/companies'"),
            ("{\(Self.alert), \(Self.target(endpoint: Self.base + "?clientId=x"))}",
             "target.APIEndpoint: expected a URL without a query or fragment, such as \(Self.base)"),
            ("{\(Self.alert), \(Self.target(apiKey: "123pub"))}", "target.APIKey: expected 'publicKey:privateKey'"),
            ("{\(Self.alert), \(Self.target(apiKey: ":secret"))}", "target.APIKey: expected 'publicKey:privateKey'"),
            ("{\(Self.alert), \(Self.target(apiKey: "123pub:"))}", "target.APIKey: expected 'publicKey:privateKey'"),
            ("{\(Self.alert), \(Self.target(apiKey: Data("a:b:c".utf8).base64EncodedString()))}", "target.APIKey: expected 'publicKey:privateKey'"),
            ("{\(Self.alert), \(Self.target(apiKey: Data("nocolon".utf8).base64EncodedString()))}", "target.APIKey: expected 'publicKey:privateKey'"),
            ("{\(Self.alert), \(Self.target(["ClientID": #""my-app""#]))}",
             "target.ClientID: expected the ConnectWise developer client id, a GUID such as 0e5b1a9c-1d2e-4f3a-9b8c-7d6e5f4a3b2c"),
            ("{\(Self.alert), \(Self.target(["APIVersion": #""2022.2\r\nX-Injected: 1""#]))}",
             "target.APIVersion: expected a version such as 2022.2, got '2022.2\r\nX-Injected: 1'"),
            ("{\(Self.alert), \(Self.target(["TicketCompany": #"true"#]))}", "target.TicketCompany: expected a string or an integer"),
            ("{\(Self.alert), \(Self.target(["Board": #""""#]))}", "target.Board: must not be empty"),
            ("{\(Self.alert), \(Self.target(["Board": #"1.5"#]))}", "target.Board: expected a string or an integer"),
            ("{\(Self.alert), \(Self.target(["PriorityHigh": #""urgent""#]))}", "target.PriorityHigh: expected an integer"),
            ("{\(Self.alert), \(Self.target(["PriorityLow": #"0"#]))}", "target.PriorityLow: expected a positive integer"),
            ("{\(Self.alert), \(Self.target()), \"idempotencyKey\": \"\(String(repeating: "k", count: 101))\"}",
             "idempotencyKey: must be at most 100 characters (externalXRef)"),
        ]
        for (input, message) in cases { Self.failure(.renderAlert, input, message) }
        Self.failure(.renderTicket, "{\(Self.target())}", "ticket: missing")
        Self.failure(.renderTicket, #"{"ticket": {"title": "t", "priority": "urgent"}, \#(Self.target())}"#,
                     "ticket.priority: expected one of low, medium, high, critical, got 'urgent'")
        Self.failure(.renderReport, #"{"report": {"modules": 1, "issuesFound": 0, "remediated": 0}, \#(Self.target())}"#, "report.failed: missing")
    }

    // MARK: Responses

    static func outcome(_ status: Int, _ body: String = "", headers: [String: String] = [:], kind: String = "ticket") throws -> JSONValue {
        let input = try JSONSerialization.data(withJSONObject: ["kind": kind, "status": status, "headers": headers, "body": body])
        return try JSONValue.parse(BundledPluginTests.plugin(id).call(.parseResponse, input: input))
    }

    @Test func createdTicketsReportTheirId() throws {
        let created = #"{"id":50123,"summary":"Disk space low on SERVER1","recordType":"ServiceTicket","board":{"id":1,"name":"Service Board"},"company":{"id":250,"identifier":"AcmeCorp"},"_info":{"lastUpdated":"2026-07-16T12:00:00Z"}}"#
        #expect(try Self.outcome(201, created) == .object(["outcome": .string("delivered"), "createdId": .string("50123")]))
        #expect(try Self.outcome(201, created, kind: "report")["createdId"] == .string("50123"))
        #expect(try Self.outcome(200, "") == .object(["outcome": .string("delivered"), "createdId": .null]))
    }

    @Test func validationErrorsCarryConnectWisesText() throws {
        let invalid = #"{"code":"InvalidObject","message":"ticket object is invalid","errors":[{"code":"NullValue","message":"Summary may not be empty.","resource":"ticket","field":"summary"},{"code":"InvalidField","message":"Board not found.","resource":"board"}]}"#
        #expect(try Self.outcome(400, invalid) == .object([
            "outcome": .string("rejected"),
            "error": .string("InvalidObject: ticket object is invalid (summary: NullValue - Summary may not be empty.; board: InvalidField - Board not found.)"),
        ]))
        #expect(try Self.outcome(400, #"{"code":"InvalidObject","message":"ticket object is invalid"}"#)["error"]
                == .string("InvalidObject: ticket object is invalid"))
        #expect(try Self.outcome(403, "<html>denied</html>") == .object(["outcome": .string("rejected"), "error": .string("HTTP 403: <html>denied</html>")]))
        #expect(try Self.outcome(404, "") == .object(["outcome": .string("rejected"), "error": .string("HTTP 404")]))
    }

    @Test func authenticationThrottlingAndServerErrors() throws {
        #expect(try Self.outcome(401, #"{"code":"Unauthorized","message":"Invalid credentials"}"#)
                == .object(["outcome": .string("reauthenticate"), "error": .string("Unauthorized: Invalid credentials")]))
        #expect(try Self.outcome(429, "", headers: ["Retry-After": "7"])
                == .object(["outcome": .string("retry"), "retryAfterSeconds": .integer(7), "error": .string("HTTP 429")]))
        #expect(try Self.outcome(429, "")
                == .object(["outcome": .string("retry"), "retryAfterSeconds": .null, "error": .string("HTTP 429")]))
        #expect(try Self.outcome(500, #"{"code":"ConnectWiseApi","message":"An error occurred"}"#)
                == .object(["outcome": .string("retry"), "retryAfterSeconds": .null, "error": .string("ConnectWiseApi: An error occurred")]))
        #expect(try Self.outcome(503, "busy", headers: ["retry-after": "30"])
                == .object(["outcome": .string("retry"), "retryAfterSeconds": .integer(30), "error": .string("HTTP 503: busy")]))
    }
}
