import AsyncHTTPClient
import Datto
import DattoEmulator
import Foundation
import NIOCore
import PluginHost
import Server
import SwitchboardStore
import TestSupport
import Testing

/// Alert webhooks to tickets over real HTTP: the server, the alert ingest, the emulated Datto API
/// (for minimal bodies), a real SQLite file.
@Suite struct AlertWebhookTests {
    /// A served ingest over a synced demo account.
    struct Served: Sendable {
        let sandbox: DattoSandbox
        let port: Int
        let serving: Task<Void, any Error>
        let http = HTTPClient(eventLoopGroupProvider: .singleton)

        /// `plugins` and `limiter` serve the alert ingest's reads of the API.
        static func start(account: DattoAccountData = .demo, plugins: [LoadedPlugin] = Paths.catalog.loaded, limiter: RateLimiter = .datto(),
                          settings change: (inout DattoSettings) -> Void = { _ in }) async throws -> Served {
            let sandbox = try await DattoSandbox.start(account, settings: change)
            try await sandbox.mapDemoSites()
            _ = try await sandbox.sync().run()
            let resolver = AutoResolver(store: sandbox.store, settings: sandbox.settings.autoResolve, engine: nil)
            let ingest = AlertIngest(store: sandbox.store, client: try sandbox.client(limiter: limiter, plugins: plugins), settings: sandbox.settings,
                                     failures: sandbox.failures, resolver: resolver)
            let secret = sandbox.settings.webhookSecret
            let server = SwitchboardServer(configuration: ServerConfiguration(port: 0, bodyLimit: 4096), receiver: ingest, secret: { secret },
                                           dashboard: { DashboardPage(title: "test") })
            let (ports, continuation) = AsyncStream<Int>.makeStream()
            let serving = Task { try await server.run { continuation.yield($0) } }
            var port = 0
            for await bound in ports { port = bound; break }
            return Served(sandbox: sandbox, port: port, serving: serving)
        }

        func post(_ body: String, token: String? = "a-shared-secret-for-tests") async throws -> (status: Int, json: JSONValue) {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/webhooks/datto")
            request.method = .POST
            if let token { request.headers.add(name: "X-Switchboard-Token", value: token) }
            request.body = .bytes(ByteBuffer(string: body))
            let response = try await http.execute(request, timeout: .seconds(30))
            let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
            return (Int(response.status.code), try JSONValue.parse(Data(text.utf8)))
        }

        func stop() async throws {
            serving.cancel()
            _ = try? await serving.value
            try await http.shutdown()
        }

        var tickets: [Ticket] { get throws { try sandbox.store.tickets(tenants: nil, status: nil, limit: 1000) } }
    }

    @Test func aMinimalBodyIsCompletedFromTheAPIIntoOneTicket() async throws {
        let served = try await Served.start { $0.queues = ["Performance": "noc"]; $0.assignees = ["noc": "alice"] }
        let answer = try await served.post(#"{"alertUid": "alert-0001-cpu"}"#)
        #expect(answer.status == 201)
        #expect(answer.json["status"] == .string("created") && answer.json["tenant"] == .string("acme") && answer.json["priority"] == .string("high"))
        let ticket = try #require(try served.tickets.first)
        #expect(ticket.title == "CPU alert on ACME-DC01: CPU usage above 95% for 15 minutes")
        #expect(ticket.category == "Performance" && ticket.queue == "noc" && ticket.assignee == "alice")
        #expect(ticket.device == "datto:\(DattoAccountData.demo.devices[0].uid)")
        #expect(served.sandbox.emulator.requestCount(pathPrefix: "/api/v2/alert/alert-0001-cpu") == 1)
        let events = try served.sandbox.store.auditEntries(AuditFilter(), limit: nil).suffix(2).map(\.entry.event)
        #expect(events == ["datto.alert.received", "datto.ticket.created"])
        try await served.stop()
    }

    @Test func priorityAndCategoryMapping() async throws {
        let served = try await Served.start { $0.categories = ["Patch": "Maintenance"] }
        let cases: [(String, String, Ticket.Priority, String)] = [
            ("Critical", "Disk", .critical, "Hardware"), ("High", "Memory", .high, "Performance"), ("Moderate", "Network", .medium, "Network"),
            ("Low", "Antivirus", .low, "Security"), ("Information", "Patch", .low, "Maintenance"), ("Low", "Backup", .low, "General"),
        ]
        for (index, (priority, type, expected, category)) in cases.enumerated() {
            let answer = try await served.post(#"{"alertUid":"rich-\#(index)","siteUid":"site-globex","priority":"\#(priority)","alertType":"\#(type)","message":"m","deviceUid":"\#(DattoAccountData.demo.devices[8].uid)"}"#)
            #expect(answer.status == 201, "\(answer.json.text())")
            let ticket = try #require(try served.tickets.last)
            #expect(ticket.priority == expected && ticket.category == category && ticket.tenant == "globex")
        }
        // Rich bodies are used as they are: the API was not asked.
        #expect(served.sandbox.emulator.requestCount(pathPrefix: "/api/v2/alert/") == 0)
        try await served.stop()
    }

    @Test func badInputGetsAClearAnswerAndNoTicket() async throws {
        let served = try await Served.start()
        let cases: [(body: String, token: String?, status: Int, error: String)] = [
            (#"{"alertUid":"a"}"#, nil, 401, "missing credentials: send X-Switchboard-Token or X-Switchboard-Signature"),
            (#"{"alertUid":"a"}"#, "wrong-secret", 401, "invalid token"),
            (#"{"alertUid": "a""#, "a-shared-secret-for-tests", 400, "malformed JSON: unexpected end of the document"),
            ("[1, 2]", "a-shared-secret-for-tests", 400, "expected a JSON object"),
            (#"{"resolved": true}"#, "a-shared-secret-for-tests", 422, #"alertUid: missing (the webhook template must send {"alertUid": "[alert_uid]"})"#),
            (#"{"alertUid": 12}"#, "a-shared-secret-for-tests", 422, "alertUid: expected a string, got integer"),
            (#"{"alertUid": "../../etc"}"#, "a-shared-secret-for-tests", 422, "alertUid: expected a Datto alert UID (letters, digits and dashes), got '../../etc'"),
            (#"{"alertUid":"r1","siteUid":"site-acme-hq","priority":"Urgent"}"#, "a-shared-secret-for-tests", 422,
             "priority: expected one of Critical, High, Moderate, Low, Information, Unknown, got 'Urgent'"),
            (#"{"alertUid":"nope-unknown"}"#, "a-shared-secret-for-tests", 404, "unknown alert 'nope-unknown': Datto RMM does not know it"),
            (#"{"alertUid":"nope-unknown","resolved":true}"#, "a-shared-secret-for-tests", 404, "unknown alert 'nope-unknown': no ticket was created for it"),
            (String(repeating: " ", count: 5000) + "{}", "a-shared-secret-for-tests", 413, "body exceeds 4096 bytes"),
        ]
        for item in cases {
            let answer = try await served.post(item.body, token: item.token)
            #expect(answer.status == item.status && answer.json["error"] == .string(item.error), "\(item.body.prefix(60)): \(answer.json.text())")
        }
        #expect(try served.tickets.isEmpty)
        let rejected = try served.sandbox.store.auditEntries(AuditFilter(), limit: nil).filter { $0.entry.event == "datto.webhook.rejected" }
        #expect(rejected.count == 6)
        try await served.stop()
    }

    @Test func unknownSitesAndDevicesAndDuplicates() async throws {
        let served = try await Served.start()
        let unknownSite = try await served.post(#"{"alertUid":"s1","siteUid":"site-new","siteName":"New Office","priority":"High"}"#)
        #expect(unknownSite.status == 202 && unknownSite.json["status"] == .string("ignored"))
        #expect(unknownSite.json["reason"] == .string("site 'site-new' is unmapped: map it with switchboard datto sites map site-new TENANT"))
        // Listed as unmapped and flagged once, however many alerts come.
        _ = try await served.post(#"{"alertUid":"s2","siteUid":"site-new","priority":"High"}"#)
        #expect(try served.sandbox.store.dattoSites().first { $0.uid == "site-new" }?.mapping == .unmapped)
        #expect(try served.sandbox.events("datto.site.unmapped").count == 1)
        let unknownDevice = try await served.post(#"{"alertUid":"d1","siteUid":"site-acme-hq","priority":"Low","deviceUid":"dev-not-synced"}"#)
        #expect(unknownDevice.status == 201 && unknownDevice.json["device"] == .null)
        #expect(unknownDevice.json["warning"] == .string("device 'dev-not-synced' is not in the tenant's CMDB (yet): the ticket is not linked to a device"))
        let duplicate = try await served.post(#"{"alertUid":"d1","siteUid":"site-acme-hq","priority":"Low","deviceUid":"dev-not-synced"}"#)
        #expect(duplicate.status == 200 && duplicate.json["status"] == .string("duplicate") && duplicate.json["ticket"] == unknownDevice.json["ticket"])
        #expect(try served.tickets.count == 1)
        try await served.stop()
    }

    @Test func anUnreachableAPIAnswers503AndTheAlertIsTakenLater() async throws {
        let served = try await Served.start()
        served.sandbox.emulator.inject("/api/v2/alert/alert-0002-disk", Array(repeating: .init(status: 500, body: "{}"), count: 4))
        let down = try await served.post(#"{"alertUid":"alert-0002-disk"}"#)
        #expect(down.status == 503)
        #expect(down.json["error"] == .string("cannot read alert 'alert-0002-disk' from Datto RMM, send it again later: Datto RMM: HTTP 500: gave up after 4 attempts: HTTP 500: {}"))
        #expect(try served.tickets.isEmpty)
        let again = try await served.post(#"{"alertUid":"alert-0002-disk"}"#)
        #expect(again.status == 201 && again.json["priority"] == .string("critical"))
        try await served.stop()
    }

    @Test func concurrentDeliveriesOfTheSameAlertsMakeOneTicketEach() async throws {
        let served = try await Served.start()
        let devices = DattoAccountData.demo.devices
        try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<200 {
                let alert = index % 50
                group.addTask {
                    try await served.post(#"{"alertUid":"c-\#(alert)","siteUid":"site-acme-hq","priority":"High","deviceUid":"\#(devices[alert % 4].uid)"}"#).status
                }
            }
            var statuses: [Int: Int] = [:]
            for try await status in group { statuses[status, default: 0] += 1 }
            #expect(statuses == [201: 50, 200: 150])
        }
        #expect(try served.tickets.count == 50)
        #expect(try served.sandbox.store.verifyAuditChain().isIntact)
        try await served.stop()
    }

    @Test func aResolvedAlertResolvesItsTicketWithTheSLA() async throws {
        let served = try await Served.start { $0.autoResolve.delaySeconds = 0.2 }
        let raised = try await served.post(#"{"alertUid":"alert-0003-av"}"#)
        #expect(raised.status == 201)
        let resolving = try await served.post(#"{"alertUid":"alert-0003-av","resolved":"true"}"#)
        #expect(resolving.status == 202 && resolving.json["status"] == .string("resolving"))
        #expect(try served.tickets.first?.status == .new)
        try await Task.sleep(for: .milliseconds(300))
        let resolver = AutoResolver(store: served.sandbox.store, settings: served.sandbox.settings.autoResolve, engine: nil)
        let resolved = try resolver.resolveDue(at: Date())
        #expect(resolved.map(\.status) == [.resolved])
        let notes = try served.sandbox.store.notes(ticket: try #require(resolved.first).id)
        #expect(notes.last?.text.hasPrefix("Resolved automatically: Datto RMM reported alert alert-0003-av resolved at ") == true)
        #expect(notes.last?.text.contains("Time to resolve: ") == true)
        let audit = try #require(try served.sandbox.events("datto.ticket.resolved").first)
        #expect(audit.entry.details["timeToResolveSeconds"] != nil)
        let again = try await served.post(#"{"alertUid":"alert-0003-av","resolved":true}"#)
        #expect(again.status == 200 && again.json["status"] == .string("already-resolved"))
        try await served.stop()
    }
}
