import Foundation
import PluginHost
import TestSupport
import Testing

/// The plugins built by this package, loaded the way the host loads them: bundled manifests,
/// libraries from the build output.
@Suite struct BundledPluginTests {
    static var catalog: PluginCatalog { Paths.catalog }

    static func plugin(_ id: String) throws -> LoadedPlugin { try catalog.plugin(id: id) }

    static func call(_ id: String, _ role: EntryPointRole, _ input: String) throws -> JSONValue {
        try JSONValue.parse(plugin(id).call(role, input: Data(input.utf8)))
    }

    /// The bundled manifests, by file name.
    static var manifestNames: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: Paths.repository + "/Manifests")) ?? [])
            .filter { $0.hasSuffix(".json") && !$0.hasSuffix(".schema.json") }.sorted()
    }

    @Test func bundledManifestsMatchTheirBuiltLibraries() async throws {
        let folder = Paths.repository + "/Manifests"
        let names = Self.manifestNames
        #expect(Set(["switchboard.reboot.json", "switchboard.webhook.json"]).isSubset(of: names))
        for name in names {
            let manifest = try Manifest(json: JSONValue.parse(#require(FileManager.default.contents(atPath: folder + "/" + name))), file: name)
            let library = Paths.products + "/" + manifest.library
            #expect(try await sha256(of: library) == manifest.sha256,
                    "Manifests/\(name) is stale: run `swift build && .build/debug/switchboard plugins refresh-digests` and commit the result")
        }
    }

    @Test func everyBundledPluginLoads() {
        #expect(Self.catalog.entries.count == Self.manifestNames.count)
        for entry in Self.catalog.entries {
            #expect(entry.error == nil, "\(entry.error?.description ?? "")")
            #expect(entry.candidate.origin == .bundled)
        }
    }

    // MARK: Webhook (Swift)

    @Test func webhookRendersTheGenericPayload() throws {
        let request = try Self.call("switchboard.webhook", .renderAlert, """
            {"alert": {"source": "SelfHealingAgent", "module": "DiskCleanup", "severity": "critical",
                       "message": "C: has 1% free", "timestamp": "2026-11-23T09:30:00+02:00",
                       "endpoint": "pc-042", "domain": "corp.example", "data": {"freeGB": 0.9, "fixed": false}},
             "target": {"APIEndpoint": "https://hooks.example.com/services/T0"}}
            """)
        #expect(request == .object([
            "method": .string("POST"),
            "url": .string("https://hooks.example.com/services/T0"),
            "headers": .object(["Content-Type": .string("application/json")]),
            "body": .object([
                "source": .string("SelfHealingAgent"), "module": .string("DiskCleanup"), "severity": .string("Critical"),
                "message": .string("C: has 1% free"), "timestamp": .string("2026-11-23T07:30:00Z"),
                "endpoint": .string("pc-042"), "domain": .string("corp.example"),
                "data": .object(["freeGB": .number(0.9), "fixed": .bool(false)]),
            ]),
        ]))
    }

    @Test func webhookFillsInHostTimeAndDefaults() throws {
        let request = try Self.call("switchboard.webhook", .renderAlert,
                                    #"{"alert": {"module": "Services", "severity": "Info", "message": "spooler restarted"}}"#)
        let body = try #require(request["body"])
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, 255)
        let hostName = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        #expect(body["endpoint"] == .string(String(hostName.split(separator: ".").first ?? "")))
        #expect(body["source"] == .string("Switchboard"))
        #expect(body["data"] == .object([:]))
        guard case .string(let timestamp)? = body["timestamp"] else { Issue.record("no timestamp"); return }
        #expect(timestamp.wholeMatch(of: #/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/#) != nil)
        guard case .string = body["domain"] else { Issue.record("no domain"); return }
        #expect(request["url"] == nil)
    }

    @Test func webhookRejectsBadAlerts() throws {
        let cases: [(String, String)] = [
            (#"{"alert": {"module": "M", "severity": "Urgent", "message": "x"}}"#,
             "alert.severity: expected one of Info, Warning, Error, Critical, got 'Urgent'"),
            (#"{"alert": {"severity": "Info", "message": "x"}}"#, "alert.module: missing"),
            (#"{"alert": {"module": 7, "severity": "Info", "message": "x"}}"#, "alert.module: expected a string"),
            (#"{"alert": {"module": "M", "severity": "Info", "message": "x", "timestamp": "yesterday"}}"#,
             "alert.timestamp: expected an ISO-8601 date-time such as 2026-11-23T07:30:00Z, got 'yesterday'"),
            (#"{"alert": {"module": "M", "severity": "Info", "message": "x", "data": [1]}}"#, "alert.data: expected an object"),
            (#"{"alert": {"module": "M", "severity": "Info", "message": "x"}, "target": {"APIEndpoint": "ftp://x"}}"#,
             "target.APIEndpoint: expected an http:// or https:// URL, got 'ftp://x'"),
            (#"{"notes": []}"#, "alert: missing"),
            (#"[1, 2]"#, "input: expected a JSON object"),
            (#"{"alert": {"module": "M", "severity": "Info", "message": "x"}, "target": {"Format": "fax"}}"#,
             "target.Format: expected one of generic, slack, teams, teams-adaptive, got 'fax'"),
        ]
        for (input, message) in cases {
            #expect(throws: PluginCallError.failed(plugin: "switchboard.webhook", role: .renderAlert, status: 1, message: message)) {
                try Self.plugin("switchboard.webhook").call(.renderAlert, input: Data(input.utf8))
            }
        }
    }

    static let alert = #""alert": {"module": "Disk", "severity": "Error", "message": "C: full", "timestamp": "2026-11-23T07:30:00Z", "endpoint": "pc-1", "domain": "corp.example"}"#

    @Test func webhookSlackFormat() throws {
        let request = try Self.call("switchboard.webhook", .renderAlert,
                                    #"{\#(Self.alert), "target": {"APIEndpoint": "https://hooks.slack.com/services/T/B/X", "Format": "slack"}}"#)
        #expect(request["url"] == .string("https://hooks.slack.com/services/T/B/X"))
        let body = try #require(request["body"])
        #expect(body["text"] == .string("[Error] Disk on pc-1: C: full"))
        guard case .array(let blocks)? = body["blocks"] else { Issue.record("no blocks"); return }
        #expect(blocks.map { $0["type"] } == [.string("header"), .string("section"), .string("section")])
        #expect(blocks[1]["text"] == .object(["type": .string("mrkdwn"), "text": .string("C: full")]))
        #expect(request["signature"] == nil)
    }

    @Test func webhookTeamsFormats() throws {
        let card = try Self.call("switchboard.webhook", .renderAlert,
                                 #"{\#(Self.alert), "target": {"APIEndpoint": "https://x.webhook.office.com/webhookb2/1", "Format": "teams"}}"#)
        #expect(card["body"]?["@type"] == .string("MessageCard"))
        #expect(card["body"]?["themeColor"] == .string("E81123"))
        #expect(card["body"]?["title"] == .string("[Error] Disk on pc-1: C: full"))
        let adaptive = try Self.call("switchboard.webhook", .renderAlert,
                                     #"{\#(Self.alert), "target": {"APIEndpoint": "https://prod.logic.azure.com/w", "Format": "teams-adaptive"}}"#)
        #expect(adaptive["body"]?["type"] == .string("message"))
        guard case .array(let attachments)? = adaptive["body"]?["attachments"] else { Issue.record("no attachments"); return }
        #expect(attachments.first?["contentType"] == .string("application/vnd.microsoft.card.adaptive"))
        #expect(attachments.first?["content"]?["type"] == .string("AdaptiveCard"))
    }

    @Test func webhookAsksTheHostToSignWhenASecretIsSet() throws {
        let request = try Self.call("switchboard.webhook", .renderAlert,
                                    #"{\#(Self.alert), "target": {"APIEndpoint": "https://example.com/hook", "Secret": "s3cret"}}"#)
        #expect(request["signature"] == .object(["header": .string("X-Switchboard-Signature-256"), "prefix": .string("sha256=")]))
        #expect(!request.text().contains("s3cret"))
    }

    @Test func webhookRendersReports() throws {
        let request = try Self.call("switchboard.webhook", .renderReport, """
            {"report": {"modules": 12, "issuesFound": 3, "remediated": 2, "failed": 1, "endpoint": "pc-1", "timestamp": "2026-11-23T07:30:00Z"},
             "target": {"APIEndpoint": "https://example.com/hook"}}
            """)
        #expect(request["body"]?["report"]?["failed"] == .integer(1))
        #expect(request["body"]?["report"]?["title"] == .string("Switchboard daily summary for pc-1"))
        #expect(throws: PluginCallError.failed(plugin: "switchboard.webhook", role: .renderReport, status: 1, message: "report.remediated: must not be negative")) {
            try Self.plugin("switchboard.webhook").call(.renderReport, input: Data(#"{"report": {"modules": 1, "issuesFound": 0, "remediated": -1, "failed": 0}}"#.utf8))
        }
    }

    @Test func webhookReadsReceiverAnswers() throws {
        func outcome(_ status: Int, _ body: String, _ headers: String = "{}") throws -> JSONValue {
            try Self.call("switchboard.webhook", .parseResponse, #"{"kind": "alert", "status": \#(status), "headers": \#(headers), "body": "\#(body)"}"#)
        }
        #expect(try outcome(200, "ok") == .object(["outcome": .string("delivered"), "createdId": .null]))
        #expect(try outcome(429, "", #"{"Retry-After": "7"}"#)
                == .object(["outcome": .string("retry"), "retryAfterSeconds": .integer(7), "error": .string("HTTP 429")]))
        #expect(try outcome(200, "Microsoft Teams endpoint returned HTTP error 429")["outcome"] == .string("retry"))
        #expect(try outcome(503, "busy")["outcome"] == .string("retry"))
        #expect(try outcome(404, "channel_not_found") == .object(["outcome": .string("rejected"), "error": .string("HTTP 404: channel_not_found")]))
        #expect(try outcome(401, "")["outcome"] == .string("reauthenticate"))
    }

    // MARK: Reboot (C)

    @Test func rebootPlansALocalReboot() throws {
        let plan = try Self.plugin("switchboard.reboot").call(.planAction, input: Data("""
            {"action": "reboot", "ticket": "T-42", "device": {"id": "local", "platform": "local"},
             "parameters": {"delaySeconds": 60, "force": true}}
            """.utf8))
        #expect(String(decoding: plan, as: UTF8.self)
                == #"{"steps":[{"kind":"local-reboot","delaySeconds":60,"force":true}],"summary":"reboot local device local in 60 s (forced)"}"#)
    }

    @Test func rebootPlansADattoJob() throws {
        let plan = try Self.plugin("switchboard.reboot").call(.planAction, input: Data(#"{"device": {"id": "a1b2-\"c\"", "platform": "datto"}}"#.utf8))
        #expect(String(decoding: plan, as: UTF8.self)
                == #"{"steps":[{"kind":"platform-job","platform":"datto","operation":"reboot","device":"a1b2-\"c\"","variables":{"delaySeconds":"0","force":"false"}}],"summary":"reboot Datto RMM device a1b2-\"c\" now"}"#)
    }

    @Test func rebootRejectsWhatItCannotPlan() throws {
        let plugin = try Self.plugin("switchboard.reboot")
        #expect(throws: PluginCallError.failed(plugin: "switchboard.reboot", role: .planAction, status: 2,
                                               message: "device.platform: reboot is not supported on platform 'atera'")) {
            try plugin.call(.planAction, input: Data(#"{"device": {"id": "x", "platform": "atera"}}"#.utf8))
        }
        #expect(throws: PluginCallError.failed(plugin: "switchboard.reboot", role: .planAction, status: 1,
                                               message: "parameters.delaySeconds: expected an integer between 0 and 86400")) {
            try plugin.call(.planAction, input: Data(#"{"device": {"id": "x", "platform": "local"}, "parameters": {"delaySeconds": -1}}"#.utf8))
        }
        #expect(throws: PluginCallError.failed(plugin: "switchboard.reboot", role: .planAction, status: 1,
                                               message: "input: not valid JSON at byte 11")) {
            try plugin.call(.planAction, input: Data(#"{"device": }"#.utf8))
        }
    }
}
