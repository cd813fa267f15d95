import Foundation
import PluginHost
import Testing

/// The Datto RMM adapter, called through the real host like every bundled plugin.
@Suite struct DattoRMMPluginTests: DictionaryAdapterTests {
    static let id = "switchboard.dattormm"
    static let device = "31fcea20-3924-c976-0a59-52ec4a2bbf6f"
    static var settings: [String: Any] { [
        "Name": "Datto", "Platform": "dattormm", "APIEndpoint": "https://concord-api.centrastage.net",
        "APIKey": "APIKEY123", "APISecret": "SECRET 456&=",
    ] }
    static var alert: [String: Any] { [
        "module": "DiskCleanup", "severity": "Critical", "message": "C: has 1% free",
        "timestamp": "2026-11-23T09:30:00+02:00", "endpoint": "pc-042", "domain": "corp.example",
        "data": ["deviceUid": device, "freeGB": 0.9],
    ] }
    static var report: [String: Any] { [
        "modules": 12, "issuesFound": 3, "remediated": 2, "failed": 1, "endpoint": "pc-1", "timestamp": "2026-11-23T07:30:00Z",
    ] }

    static func alert(_ changes: [String: Any]) -> [String: Any] { alert.merging(changes) { $1 } }

    // MARK: request_token

    @Test func tokenRequestIsAPasswordGrantWithThePublicClient() throws {
        let request = try Self.call(.requestToken, ["target": Self.target()])
        #expect(request == .object([
            "method": .string("POST"),
            "url": .string("https://concord-api.centrastage.net/auth/oauth/token"),
            "headers": .object([
                "Authorization": .string("Basic cHVibGljLWNsaWVudDpwdWJsaWM="),
                "Content-Type": .string("application/x-www-form-urlencoded"),
                "Accept": .string("application/json"),
            ]),
            "bodyText": .string("grant_type=password&username=APIKEY123&password=SECRET%20456%26%3D"),
        ]))
    }

    @Test func tokenRequestNeedsTheAPIKeys() {
        Self.expectFailure(.requestToken, ["target": Self.target(["APIKey": NSNull()])], "target.APIKey: missing")
        Self.expectFailure(.requestToken, ["target": Self.target(["APISecret": NSNull()])], "target.APISecret: missing")
        Self.expectFailure(.requestToken, ["target": Self.target(["APISecret": ""])], "target.APISecret: must not be empty")
        Self.expectFailure(.requestToken, [:], "target.APIEndpoint: missing")
        Self.expectFailure(.requestToken, ["target": Self.target(["APIEndpoint": "concord-api.centrastage.net"])],
                           "target.APIEndpoint: expected an http:// or https:// URL, got 'concord-api.centrastage.net'")
    }

    @Test(arguments: [
        ("https://api.centrastage.net/api/v2/alert", "https://api.centrastage.net"),
        ("https://concord-api.centrastage.net/", "https://concord-api.centrastage.net"),
        ("https://concord-api.centrastage.net/api", "https://concord-api.centrastage.net"),
        ("https://zinfandel-api.centrastage.net/api/v2/account/devices?max=250", "https://zinfandel-api.centrastage.net"),
        ("https://merlot-api.centrastage.net/auth/oauth/token", "https://merlot-api.centrastage.net"),
    ])
    func legacyEndpointsAreCutBackToTheAPIURL(endpoint: String, apiURL: String) throws {
        let target = Self.target(["APIEndpoint": endpoint])
        #expect(try Self.call(.requestToken, ["target": target])["url"] == .string(apiURL + "/auth/oauth/token"))
        let request = try Self.call(.renderAlert, ["alert": Self.alert, "target": target, "token": "t"])
        #expect(request["url"] == .string("\(apiURL)/api/v2/device/\(Self.device)/udf"))
    }

    // MARK: render_alert / render_report

    @Test func alertsAreWrittenIntoTheAlertUDF() throws {
        let request = try Self.call(.renderAlert, ["alert": Self.alert, "target": Self.target(["AlertUDF": 12]), "token": "eyJ.token",
                                                   "idempotencyKey": "5f0c6a2e-1c1b-4f7e-9d7e-0b1f6f1a2c3d"])
        #expect(request == .object([
            "method": .string("POST"),
            "url": .string("https://concord-api.centrastage.net/api/v2/device/\(Self.device)/udf"),
            "headers": .object([
                "Authorization": .string("Bearer eyJ.token"),
                "Content-Type": .string("application/json"),
                "Accept": .string("application/json"),
            ]),
            "body": .object(["udf12": .string("2026-11-23T07:30:00Z Critical DiskCleanup: C: has 1% free")]),
        ]))
        let text = request.text()
        #expect(!text.contains("APIKEY123") && !text.contains("SECRET"))
    }

    @Test func theUDFDefaultsToOneAndMayBeGivenAsText() throws {
        #expect(try Self.call(.renderAlert, ["alert": Self.alert, "target": Self.target(), "token": "t"])["body"]
                == .object(["udf1": .string("2026-11-23T07:30:00Z Critical DiskCleanup: C: has 1% free")]))
        #expect(try Self.call(.renderAlert, ["alert": Self.alert, "target": Self.target(["AlertUDF": "300"]), "token": "t"])["body"]?["udf300"] != nil)
    }

    @Test func theTargetDeviceIsTheFallback() throws {
        let alert = Self.alert(["data": ["freeGB": 0.9]])
        let request = try Self.call(.renderAlert, ["alert": alert, "target": Self.target(["DeviceUID": "abc-123"]), "token": "t"])
        #expect(request["url"] == .string("https://concord-api.centrastage.net/api/v2/device/abc-123/udf"))
        let own = try Self.call(.renderAlert, ["alert": Self.alert, "target": Self.target(["DeviceUID": "abc-123"]), "token": "t"])
        #expect(own["url"] == .string("https://concord-api.centrastage.net/api/v2/device/\(Self.device)/udf"))
    }

    @Test func longAndMultiLineTextFitsOneUDF() throws {
        let long = Self.alert(["message": "line one\nline two\r\n" + String(repeating: "x", count: 400)])
        let value = try Self.call(.renderAlert, ["alert": long, "target": Self.target(), "token": "t"])["body"]?["udf1"]
        guard case .string(let text)? = value else { Issue.record("no udf1"); return }
        #expect(text.count == 255)
        #expect(text.hasPrefix("2026-11-23T07:30:00Z Critical DiskCleanup: line one line two xxx"))
        #expect(text.hasSuffix("x…"))
        #expect(!text.contains("\n") && !text.contains("\r"))
    }

    @Test func reportsAreWrittenIntoTheSummaryUDF() throws {
        let request = try Self.call(.renderReport, ["report": Self.report, "target": Self.target(["DeviceUID": Self.device, "SummaryUDF": 7, "AlertUDF": 3]),
                                                    "token": "tok"])
        #expect(request == .object([
            "method": .string("POST"),
            "url": .string("https://concord-api.centrastage.net/api/v2/device/\(Self.device)/udf"),
            "headers": .object([
                "Authorization": .string("Bearer tok"),
                "Content-Type": .string("application/json"),
                "Accept": .string("application/json"),
            ]),
            "body": .object(["udf7": .string("2026-11-23T07:30:00Z Error Switchboard daily summary for pc-1: 12 modules, 3 issues found, 2 remediated, 1 failed")]),
        ]))
        let fallback = try Self.call(.renderReport, ["report": Self.report, "target": Self.target(["DeviceUID": Self.device, "AlertUDF": 3]), "token": "tok"])
        #expect(fallback["body"]?["udf3"] != nil)
        let plain = try Self.call(.renderReport, ["report": Self.report, "target": Self.target(["DeviceUID": Self.device]), "token": "tok"])
        #expect(plain["body"]?["udf1"] != nil)
    }

    @Test func badInputsAreNamed() {
        let cases: [(EntryPointRole, [String: Any], String)] = [
            (.renderAlert, ["alert": Self.alert, "target": Self.target()], "token: missing"),
            (.renderReport, ["report": Self.report, "target": Self.target(["DeviceUID": Self.device])], "token: missing"),
            (.renderAlert, ["alert": Self.alert(["data": [:]]), "target": Self.target(), "token": "t"],
             "alert.data.deviceUid: missing, and target.DeviceUID is not set"),
            (.renderAlert, ["alert": Self.alert(["data": ["deviceUid": 42]]), "target": Self.target(), "token": "t"],
             "alert.data.deviceUid: expected a string"),
            (.renderAlert, ["alert": Self.alert(["data": ["deviceUid": "../../account"]]), "target": Self.target(), "token": "t"],
             "alert.data.deviceUid: expected a Datto RMM device UID (letters, digits and dashes), got '../../account'"),
            (.renderAlert, ["alert": Self.alert(["data": [:]]), "target": Self.target(["DeviceUID": "a b"]), "token": "t"],
             "target.DeviceUID: expected a Datto RMM device UID (letters, digits and dashes), got 'a b'"),
            (.renderAlert, ["alert": Self.alert, "target": Self.target(["AlertUDF": 0]), "token": "t"],
             "target.AlertUDF: expected a UDF number between 1 and 300, got 0"),
            (.renderAlert, ["alert": Self.alert, "target": Self.target(["AlertUDF": 301]), "token": "t"],
             "target.AlertUDF: expected a UDF number between 1 and 300, got 301"),
            (.renderAlert, ["alert": Self.alert, "target": Self.target(["AlertUDF": "udf5"]), "token": "t"],
             "target.AlertUDF: expected an integer"),
            (.renderReport, ["report": Self.report, "target": Self.target(), "token": "t"], "target.DeviceUID: missing"),
            (.renderReport, ["report": Self.report, "target": Self.target(["DeviceUID": Self.device, "SummaryUDF": 500]), "token": "t"],
             "target.SummaryUDF: expected a UDF number between 1 and 300, got 500"),
            (.renderAlert, ["alert": Self.alert(["severity": "Fatal"]), "target": Self.target(), "token": "t"],
             "alert.severity: expected one of Info, Warning, Error, Critical, got 'Fatal'"),
        ]
        for (role, input, message) in cases { Self.expectFailure(role, input, message) }
    }

    @Test func thereIsNoTicketRole() throws {
        #expect(throws: PluginCallError.roleNotProvided(plugin: Self.id, role: .renderTicket)) {
            try BundledPluginTests.plugin(Self.id).call(.renderTicket, input: Data(#"{"ticket": {"title": "x"}}"#.utf8))
        }
    }

    // MARK: parse_response

    @Test func successfulWritesAreDelivered() throws {
        #expect(try Self.parse("alert", 200, "") == .object(["outcome": .string("delivered"), "createdId": .null]))
        #expect(try Self.parse("report", 204, "") == .object(["outcome": .string("delivered"), "createdId": .null]))
    }

    @Test func springAndOAuthErrorsAreRead() throws {
        let spring = #"{"timestamp":1721131200000,"status":404,"error":"Not Found","message":"Device not found","path":"/api/v2/device/x/udf"}"#
        #expect(try Self.parse("alert", 404, spring)
                == .object(["outcome": .string("rejected"), "error": .string("HTTP 404: Not Found: Device not found (/api/v2/device/x/udf)")]))
        let bare = #"{"timestamp":1721131200000,"status":400,"error":"Bad Request","message":"No message available","path":"/api/v2/device/x/udf"}"#
        #expect(try Self.parse("alert", 400, bare)
                == .object(["outcome": .string("rejected"), "error": .string("HTTP 400: Bad Request (/api/v2/device/x/udf)")]))
        #expect(try Self.parse("token", 400, #"{"error":"invalid_grant","error_description":"Bad credentials"}"#)
                == .object(["outcome": .string("rejected"), "error": .string("HTTP 400: invalid_grant: Bad credentials")]))
        #expect(try Self.parse("alert", 400, "<html>bad</html>")
                == .object(["outcome": .string("rejected"), "error": .string("HTTP 400: <html>bad</html>")]))
    }

    @Test func standardOutcomes() throws {
        #expect(try Self.parse("alert", 401, #"{"error":"invalid_token","error_description":"Access token expired"}"#)
                == .object(["outcome": .string("reauthenticate"), "error": .string("HTTP 401: invalid_token: Access token expired")]))
        #expect(try Self.parse("alert", 429, "", headers: ["Retry-After": "12"])
                == .object(["outcome": .string("retry"), "retryAfterSeconds": .integer(12), "error": .string("HTTP 429")]))
        #expect(try Self.parse("alert", 429, "")
                == .object(["outcome": .string("retry"), "retryAfterSeconds": .null, "error": .string("HTTP 429")]))
        #expect(try Self.parse("alert", 500, #"{"status":500,"error":"Internal Server Error","message":"boom","path":"/api/v2/device/x/udf"}"#)
                == .object(["outcome": .string("retry"), "retryAfterSeconds": .null,
                            "error": .string("HTTP 500: Internal Server Error: boom (/api/v2/device/x/udf)")]))
    }

    @Test func a403IsABlockOnlyWhenItSaysSo() throws {
        let denied = #"{"status":403,"error":"Forbidden","message":"Access is denied","path":"/api/v2/device/x/udf"}"#
        #expect(try Self.parse("alert", 403, denied)
                == .object(["outcome": .string("rejected"), "error": .string("HTTP 403: Forbidden: Access is denied (/api/v2/device/x/udf)")]))
        #expect(try Self.parse("alert", 403, denied, headers: ["Retry-After": "60"])
                == .object(["outcome": .string("retry"), "retryAfterSeconds": .integer(60),
                            "error": .string("HTTP 403: Forbidden: Access is denied (/api/v2/device/x/udf)")]))
        #expect(try Self.parse("alert", 403, "Your IP address has been BLOCKED")
                == .object(["outcome": .string("retry"), "retryAfterSeconds": .integer(300), "error": .string("HTTP 403: Your IP address has been BLOCKED")]))
        #expect(try Self.parse("token", 403, #"{"message":"Rate limit exceeded"}"#)
                == .object(["outcome": .string("retry"), "retryAfterSeconds": .integer(300), "error": .string("HTTP 403: Rate limit exceeded")]))
        #expect(try Self.parse("alert", 403, "rate limit", target: ["BlockedRetrySeconds": 120])["retryAfterSeconds"] == .integer(120))
        Self.expectFailure(.parseResponse, ["kind": "alert", "status": 403, "body": "blocked", "target": ["BlockedRetrySeconds": -1]],
                           "target.BlockedRetrySeconds: must be positive, got -1")
    }

    @Test func tokenResponses() throws {
        let full = #"{"access_token":"eyJhbGciOi.x","token_type":"bearer","expires_in":359999,"scope":"default"}"#
        #expect(try Self.parse("token", 200, full)
                == .object(["outcome": .string("delivered"), "accessToken": .string("eyJhbGciOi.x"), "expiresInSeconds": .integer(359_999)]))
        #expect(try Self.parse("token", 200, #"{"access_token":"eyJhbGciOi.x","token_type":"bearer"}"#)
                == .object(["outcome": .string("delivered"), "accessToken": .string("eyJhbGciOi.x"), "expiresInSeconds": .integer(360_000)]))
        #expect(try Self.parse("token", 200, #"{"access_token":"a"}"#, target: ["TokenLifetimeSeconds": 7200])["expiresInSeconds"] == .integer(7200))
        #expect(try Self.parse("token", 200, "{}")
                == .object(["outcome": .string("rejected"), "error": .string("token response has no access_token")]))
    }

    // MARK: render_action

    static let job = "c0a1b2c3-0000-4000-8000-000000000001"
    static var jobStep: [String: Any] { ["kind": "platform-job", "device": device, "operation": "reboot", "variables": ["Delay": "0", "Force": "true"]] }
    static var sessionStep: [String: Any] { ["kind": "remote-session", "device": device] }

    static func action(_ stage: String, _ step: [String: Any] = jobStep, target changes: [String: Any] = [:], jobUid: String? = job) -> [String: Any] {
        var input: [String: Any] = ["stage": stage, "step": step, "target": target(["RebootComponentUID": "comp-reboot-1", "ScriptComponentUID": "comp-script-2"].merging(changes) { $1 }),
                                    "token": "eyJ.token"]
        input["jobUid"] = jobUid
        return input
    }

    @Test func aPlatformJobStartsAsAQuickJobRunningTheOperationsComponent() throws {
        #expect(try Self.call(.renderAction, Self.action("start", jobUid: nil)) == .object([
            "method": .string("PUT"),
            "url": .string("https://concord-api.centrastage.net/api/v2/device/\(Self.device)/quickjob"),
            "headers": .object([
                "Authorization": .string("Bearer eyJ.token"),
                "Content-Type": .string("application/json"),
                "Accept": .string("application/json"),
            ]),
            "body": .object([
                "jobName": .string("Switchboard: reboot"),
                "jobComponent": .object([
                    "componentUid": .string("comp-reboot-1"),
                    "variables": .array([
                        .object(["name": .string("Delay"), "value": .string("0")]),
                        .object(["name": .string("Force"), "value": .string("true")]),
                    ]),
                ]),
            ]),
        ]))
        let script = try Self.call(.renderAction, Self.action("start", ["kind": "platform-job", "device": Self.device, "operation": "run-script"]))
        #expect(script["body"] == .object([
            "jobName": .string("Switchboard: run-script"),
            "jobComponent": .object(["componentUid": .string("comp-script-2"), "variables": .array([])]),
        ]))
    }

    @Test(arguments: [
        ("status", "/api/v2/job/c0a1b2c3-0000-4000-8000-000000000001"),
        ("results", "/api/v2/job/c0a1b2c3-0000-4000-8000-000000000001/results/31fcea20-3924-c976-0a59-52ec4a2bbf6f"),
        ("stdout", "/api/v2/job/c0a1b2c3-0000-4000-8000-000000000001/results/31fcea20-3924-c976-0a59-52ec4a2bbf6f/stdout"),
        ("stderr", "/api/v2/job/c0a1b2c3-0000-4000-8000-000000000001/results/31fcea20-3924-c976-0a59-52ec4a2bbf6f/stderr"),
    ])
    func laterStagesReadTheJob(stage: String, path: String) throws {
        #expect(try Self.call(.renderAction, Self.action(stage)) == .object([
            "method": .string("GET"),
            "url": .string("https://concord-api.centrastage.net" + path),
            "headers": .object(["Authorization": .string("Bearer eyJ.token"), "Accept": .string("application/json")]),
        ]))
    }

    @Test func aRemoteSessionReadsTheDevice() throws {
        #expect(try Self.call(.renderAction, Self.action("device", Self.sessionStep, jobUid: nil)) == .object([
            "method": .string("GET"),
            "url": .string("https://concord-api.centrastage.net/api/v2/device/\(Self.device)"),
            "headers": .object(["Authorization": .string("Bearer eyJ.token"), "Accept": .string("application/json")]),
        ]))
    }

    @Test func badActionInputsAreNamed() {
        func step(_ changes: [String: Any]) -> [String: Any] { Self.jobStep.merging(changes) { $1 } }
        var noStage = Self.action("start")
        noStage["stage"] = nil
        var noToken = Self.action("start")
        noToken["token"] = nil
        let cases: [([String: Any], String)] = [
            (noStage, "stage: missing"),
            (Self.action("poll"), "stage: expected one of start, status, results, stdout, stderr, device, got 'poll'"),
            (noToken, "token: missing"),
            (Self.action("start", target: ["RebootComponentUID": NSNull()]),
             "target.RebootComponentUID: missing: set it to the UID of the Datto RMM component that 'reboot' jobs run"),
            (Self.action("start", step(["operation": "run-script"]), target: ["ScriptComponentUID": NSNull()]),
             "target.ScriptComponentUID: missing: set it to the UID of the Datto RMM component that 'run-script' jobs run"),
            (Self.action("start", step(["operation": "shutdown"])), "step.operation: expected one of reboot, run-script, got 'shutdown'"),
            (Self.action("start", step(["variables": ["Delay": 5]])), "step.variables.Delay: expected a string"),
            (Self.action("start", step(["variables": "Delay=5"])), "step.variables: expected an object"),
            (Self.action("start", step(["device": "../account"])),
             "step.device: expected a Datto RMM device UID (letters, digits and dashes), got '../account'"),
            (Self.action("start", step(["kind": "local-reboot"])), "step.kind: expected one of platform-job, remote-session, got 'local-reboot'"),
            (Self.action("device"), "step.kind: stage 'device' belongs to a remote-session step, got 'platform-job'"),
            (Self.action("status", Self.sessionStep), "step.kind: stage 'status' belongs to a platform-job step, got 'remote-session'"),
            (Self.action("status", jobUid: nil), "jobUid: missing"),
            (Self.action("results", jobUid: "x/../y"), "jobUid: expected a Datto RMM job UID (letters, digits and dashes), got 'x/../y'"),
            (["stage": "start", "token": "t", "target": Self.target()], "step: missing"),
        ]
        for (input, message) in cases { Self.expectFailure(.renderAction, input, message) }
    }

    // MARK: parse_action

    static func parseAction(_ stage: String, _ status: Int, _ body: String, headers: [String: String] = [:]) throws -> JSONValue {
        try call(.parseAction, ["stage": stage, "status": status, "headers": headers, "body": body, "target": [:] as [String: Any]])
    }

    @Test func theQuickJobAndItsStatusGiveTheJob() throws {
        let created = #"{"job":{"id":123456,"uid":"c0a1","name":"Switchboard: reboot","dateCreated":1721131200000,"status":"active"},"jobComponents":[{"uid":"comp-1","name":"Reboot","variables":[]}]}"#
        #expect(try Self.parseAction("start", 200, created)
                == .object(["outcome": .string("delivered"), "jobUid": .string("c0a1"), "jobStatus": .string("active")]))
        #expect(try Self.parseAction("status", 200, #"{"id":123456,"uid":"c0a1","name":"Switchboard: reboot","status":"completed"}"#)
                == .object(["outcome": .string("delivered"), "jobUid": .string("c0a1"), "jobStatus": .string("completed")]))
    }

    @Test func resultsGiveTheDeploymentStatusAndEachComponent() throws {
        let body = #"{"jobUid":"c0a1","deviceUid":"d","ranOn":1721131200000,"jobDeploymentStatus":"Warning","componentResults":[{"componentUid":"comp-1","componentName":"Reboot","componentStatus":"Success","numberOfWarnings":2,"hasStdOut":true,"hasStdErr":false},{"componentName":null,"componentStatus":null,"numberOfWarnings":null,"hasStdOut":null,"hasStdErr":null}]}"#
        #expect(try Self.parseAction("results", 200, body) == .object([
            "outcome": .string("delivered"), "deploymentStatus": .string("Warning"),
            "components": .array([
                .object(["componentName": .string("Reboot"), "componentStatus": .string("Success"), "numberOfWarnings": .integer(2),
                         "hasStdOut": .bool(true), "hasStdErr": .bool(false)]),
                .object(["componentName": .null, "componentStatus": .null, "numberOfWarnings": .integer(0),
                         "hasStdOut": .bool(false), "hasStdErr": .bool(false)]),
            ]),
        ]))
    }

    @Test func outputItemsAreJoined() throws {
        let body = #"[{"componentUid":"comp-1","componentName":"Reboot","stdData":"first line\nsecond line"},{"componentUid":"comp-2","componentName":"Other","stdData":"third"}]"#
        #expect(try Self.parseAction("stdout", 200, body) == .object(["outcome": .string("delivered"), "text": .string("first line\nsecond line\nthird")]))
        #expect(try Self.parseAction("stderr", 200, "[]") == .object(["outcome": .string("delivered"), "text": .string("")]))
        #expect(try Self.parseAction("stderr", 200, "") == .object(["outcome": .string("delivered"), "text": .string("")]))
    }

    @Test func theDeviceGivesItsWebRemoteURL() throws {
        let device = #"{"id":1,"uid":"d","hostname":"pc-042","webRemoteUrl":"https://concord.centrastage.net/csm/remote/d"}"#
        #expect(try Self.parseAction("device", 200, device) == .object([
            "outcome": .string("delivered"), "hostname": .string("pc-042"), "webRemoteUrl": .string("https://concord.centrastage.net/csm/remote/d"),
        ]))
        #expect(try Self.parseAction("device", 200, #"{"uid":"d","hostname":"pc-042","webRemoteUrl":null}"#)
                == .object(["outcome": .string("delivered"), "hostname": .string("pc-042"), "webRemoteUrl": .null]))
        #expect(try Self.parseAction("device", 200, #"{"uid":"d","webRemoteUrl":""}"#)
                == .object(["outcome": .string("delivered"), "hostname": .null, "webRemoteUrl": .null]))
    }

    @Test func errorsAreReadAsForDelivery() throws {
        let spring = #"{"timestamp":1721131200000,"status":400,"error":"Bad Request","message":"Component not found","path":"/api/v2/device/d/quickjob"}"#
        #expect(try Self.parseAction("start", 400, spring)
                == .object(["outcome": .string("rejected"), "error": .string("HTTP 400: Bad Request: Component not found (/api/v2/device/d/quickjob)")]))
        #expect(try Self.parseAction("status", 401, #"{"error":"invalid_token","error_description":"Access token expired"}"#)
                == .object(["outcome": .string("reauthenticate"), "error": .string("HTTP 401: invalid_token: Access token expired")]))
        #expect(try Self.parseAction("results", 429, "", headers: ["Retry-After": "3"])
                == .object(["outcome": .string("retry"), "retryAfterSeconds": .integer(3), "error": .string("HTTP 429")]))
        #expect(try Self.parseAction("device", 503, "")
                == .object(["outcome": .string("retry"), "retryAfterSeconds": .null, "error": .string("HTTP 503")]))
        #expect(try Self.parseAction("start", 403, "Your IP address has been blocked")
                == .object(["outcome": .string("retry"), "retryAfterSeconds": .integer(300), "error": .string("HTTP 403: Your IP address has been blocked")]))
    }

    @Test func answersThatAreNotDattosAreRejected() throws {
        let cases: [(String, String, String)] = [
            ("start", #"{"uid":"c0a1","status":"active"}"#, "HTTP 200: expected a quick job with job.uid and job.status, got '{\"uid\":\"c0a1\",\"status\":\"active\"}'"),
            ("status", "<html>maintenance</html>", "HTTP 200: expected a job with uid and status, got '<html>maintenance</html>'"),
            ("results", #"{"jobUid":"c0a1"}"#, "HTTP 200: expected job results with jobDeploymentStatus, got '{\"jobUid\":\"c0a1\"}'"),
            ("stdout", #"{"stdData":"x"}"#, "HTTP 200: expected a list of output items, got '{\"stdData\":\"x\"}'"),
            ("device", "[]", "HTTP 200: expected a device, got '[]'"),
        ]
        for (stage, body, error) in cases {
            #expect(try Self.parseAction(stage, 200, body) == .object(["outcome": .string("rejected"), "error": .string(error)]))
        }
        Self.expectFailure(.parseAction, ["stage": "token", "status": 200, "body": ""],
                           "stage: expected one of start, status, results, stdout, stderr, device, got 'token'")
        Self.expectFailure(.parseAction, ["stage": "status", "body": ""], "status: missing")
    }

    // MARK: render_inbound / parse_inbound

    @Test func listsStartAtPageZeroAndFollowTheLinkDattoGave() throws {
        let first = try Self.call(.renderInbound, ["resource": "devices", "token": "tok", "target": Self.target()])
        #expect(first["url"] == .string("https://concord-api.centrastage.net/api/v2/account/devices?max=250&page=0"))
        #expect(first["headers"] == .object(["Authorization": .string("Bearer tok"), "Accept": .string("application/json")]))
        let sites = try Self.call(.renderInbound, ["resource": "sites", "token": "tok", "target": Self.target(["PageSize": 50])])
        #expect(sites["url"] == .string("https://concord-api.centrastage.net/api/v2/account/sites?max=50&page=0"))
        let next = "https://concord-api.centrastage.net/api/v2/account/devices?max=250&page=1"
        #expect(try Self.call(.renderInbound, ["resource": "devices", "page": next, "token": "tok", "target": Self.target()])["url"] == .string(next))
        let alert = try Self.call(.renderInbound, ["resource": "alert", "uid": "alert-1", "token": "tok", "target": Self.target()])
        #expect(alert["url"] == .string("https://concord-api.centrastage.net/api/v2/alert/alert-1"))
    }

    @Test func badInboundInputsAreNamed() {
        let cases: [([String: Any], String)] = [
            (["resource": "jobs", "token": "t", "target": Self.target()], "resource: expected one of sites, devices, alert, device, got 'jobs'"),
            (["resource": "devices", "token": "t", "page": "https://evil.example/api/v2/account/devices?page=1", "target": Self.target()],
             "page: the page link 'https://evil.example/api/v2/account/devices?page=1' is not on the account's API host (https://concord-api.centrastage.net)"),
            (["resource": "devices", "token": "t", "page": "http://concord-api.centrastage.net/api/v2/account/devices?page=1", "target": Self.target()],
             "page: the page link 'http://concord-api.centrastage.net/api/v2/account/devices?page=1' is not on the account's API host (https://concord-api.centrastage.net)"),
            (["resource": "devices", "token": "t", "target": Self.target(["PageSize": 500])], "target.PageSize: expected 1 to 250 (Datto's maximum page size), got 500"),
            (["resource": "alert", "uid": "../x", "token": "t", "target": Self.target()], "uid: expected a Datto RMM alert UID (letters, digits and dashes), got '../x'"),
            (["resource": "alert", "token": "t", "target": Self.target()], "uid: missing"),
            (["resource": "sites", "target": Self.target()], "token: missing"),
        ]
        for (input, message) in cases { Self.expectFailure(.renderInbound, input, message) }
    }

    static func parseInbound(_ resource: String, _ status: Int, _ body: String) throws -> JSONValue {
        try call(.parseInbound, ["resource": resource, "status": status, "headers": [:] as [String: String], "body": body, "target": [:] as [String: Any]])
    }

    static func devicePage(_ devices: [String], next: String? = nil) -> String {
        #"{"pageDetails":{"count":\#(devices.count),"totalCount":900,"prevPageUrl":null,"nextPageUrl":\#(next.map { "\"\($0)\"" } ?? "null")},"devices":[\#(devices.joined(separator: ","))]}"#
    }

    @Test func devicesAreMappedToCMDBFields() throws {
        func device(_ category: String?, deviceClass: String = "device", flags: String = #""online":true"#) -> String {
            #"{"id":7,"uid":"d-1","siteUid":"s-1","siteName":"HQ","deviceType":\#(category.map { #"{"category":"\#($0)","type":"x"}"# } ?? "null"),"hostname":"h1","operatingSystem":null,"lastSeen":1721131200000,"deviceClass":"\#(deviceClass)",\#(flags)}"#
        }
        let cases: [(String?, String, String, String)] = [
            ("Desktop", "device", "workstation", #""online":true"#), ("Laptop", "device", "workstation", #""online":false"#),
            ("Server", "device", "server", #""suspended":true,"online":true"#), ("Network Device", "device", "network_device", #""deleted":true"#),
            ("Printer", "device", "printer", #""online":null"#), (nil, "printer", "printer", ""), ("ESXi Host", "esxihost", "server", ""),
            (nil, "rmmnetworkdevice", "network_device", ""), ("Tablet", "unknown", "other", ""),
        ]
        for (category, deviceClass, ciType, flags) in cases {
            let page = try Self.parseInbound("devices", 200, Self.devicePage([device(category, deviceClass: deviceClass, flags: flags.isEmpty ? #""a64Bit":true"# : flags)],
                                                                              next: "https://x/api/v2/account/devices?page=1"))
            guard case .array(let items)? = page["devices"], let item = items.first else { Issue.record("no devices in \(page)"); continue }
            #expect(item["ciType"] == .string(ciType), "\(category ?? "-")/\(deviceClass)")
            #expect(item["uid"] == .string("d-1") && item["id"] == .string("7") && item["name"] == .string("h1") && item["os"] == .null)
            #expect(item["lastSeen"] == .number(1721131200) || item["lastSeen"] == .integer(1721131200))
            #expect(page["nextPage"] == .string("https://x/api/v2/account/devices?page=1") && page["totalCount"] == .integer(900))
        }
        let statuses = try [#""online":true"#, #""online":false"#, #""suspended":true,"online":true"#, #""deleted":true,"suspended":true"#].map { flags in
            try Self.parseInbound("devices", 200, Self.devicePage([device("Desktop", flags: flags)]))["devices"]?.firstElement?["status"]
        }
        #expect(statuses == [.string("online"), .string("offline"), .string("suspended"), .string("deleted")])
    }

    @Test func alertsGetTheirTypeFromTheirContext() throws {
        func alert(_ context: String, priority: String = #""High""#) -> String {
            #"{"alertUid":"a-1","priority":\#(priority),"diagnostics":"text","resolved":null,"timestamp":1721131200000,"alertContext":\#(context),"alertSourceInfo":{"deviceUid":"d-1","deviceName":"h1","siteUid":"s-1","siteName":"HQ"}}"#
        }
        let cases: [(String, String)] = [
            (#"{"@class":"perf_resource_usage_ctx","type":"CPU"}"#, "CPU"), (#"{"@class":"perf_resource_usage_ctx","type":"MEMORY"}"#, "Memory"),
            (#"{"@class":"perf_disk_usage_ctx"}"#, "Disk"), (#"{"@class":"antivirus_ctx"}"#, "Antivirus"), (#"{"@class":"ransomware_ctx"}"#, "Antivirus"),
            (#"{"@class":"patch_ctx"}"#, "Patch"), (#"{"@class":"online_offline_status_ctx"}"#, "Network"), (#"{"@class":"ping_ctx"}"#, "Network"),
            (#"{"@class":"eventlog_ctx"}"#, "EventLog"), (#"{"@class":"comp_script_ctx"}"#, "Script"), (#"{"@class":"srvc_status_ctx"}"#, "Other"), ("null", "Other"),
        ]
        for (context, type) in cases {
            #expect(try Self.parseInbound("alert", 200, alert(context))["alert"]?["type"] == .string(type), "\(context)")
        }
        let read = try Self.parseInbound("alert", 200, alert("null", priority: "null"))["alert"]
        #expect(read?["priority"] == .string("Unknown") && read?["resolved"] == .bool(false) && read?["siteUid"] == .string("s-1"))
    }

    @Test func malformedPagesAreRejectedWhole() throws {
        let good = #"{"uid":"d-1","siteUid":"s-1","hostname":"h1"}"#
        let cases: [(String, String, String)] = [
            ("devices", "<html>", "HTTP 200: malformed devices page: not a JSON object: '<html>'"),
            ("devices", #"{"devices":[]}"#, "HTTP 200: malformed devices page: pageDetails: missing"),
            ("devices", #"{"pageDetails":{},"devices":{}}"#, "HTTP 200: malformed devices page: devices: expected a list"),
            ("devices", Self.devicePage([good, #"{"siteUid":"s-1","hostname":"h2"}"#]), "HTTP 200: malformed devices page: devices[1].uid: missing"),
            ("devices", Self.devicePage([good, "7"]), "HTTP 200: malformed devices page: devices[1]: expected an object"),
            ("devices", Self.devicePage([#"{"uid":"d-1","siteUid":"s-1","hostname":""}"#]), "HTTP 200: malformed devices page: devices[0].hostname: expected a non-empty string"),
            ("sites", #"{"pageDetails":{},"sites":[{"uid":"s-1"}]}"#, "HTTP 200: malformed sites page: sites[0].name: missing"),
            ("alert", #"{"alertUid":"a-1"}"#, "HTTP 200: malformed alert: alertSourceInfo: missing"),
        ]
        for (resource, body, error) in cases {
            #expect(try Self.parseInbound(resource, 200, body) == .object(["outcome": .string("rejected"), "error": .string(error)]))
        }
        #expect(try Self.parseInbound("alert", 404, #"{"status":404,"error":"Not Found","message":"Alert not found","path":"/api/v2/alert/x"}"#)
                == .object(["outcome": .string("rejected"), "error": .string("HTTP 404: Not Found: Alert not found (/api/v2/alert/x)")]))
        #expect(try Self.parseInbound("devices", 401, "")["outcome"] == .string("reauthenticate"))
        #expect(try Self.parseInbound("devices", 429, "")["outcome"] == .string("retry"))
    }
}

private extension JSONValue {
    var firstElement: JSONValue? { if case .array(let items) = self { items.first } else { nil } }
}
