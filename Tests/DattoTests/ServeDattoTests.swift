import AsyncHTTPClient
import Datto
import DattoEmulator
import Foundation
import NIOCore
import NIOHTTP1
import Server
import SwitchboardStore
import TestSupport
import Testing

/// The real `switchboard serve` process: startup sync, webhooks, health, metrics, dashboard,
/// failure alerts and the resolution notice through a delivery target, graceful SIGTERM.
@Suite struct ServeDattoTests {
    @Test func serveTurnsWebhooksIntoTicketsAndStopsGracefully() async throws {
        let sandbox = try await DattoSandbox.start { settings in
            settings.queues = ["Performance": "noc"]
            settings.assignees = ["noc": "alice"]
            settings.autoResolve.delaySeconds = 0
        }
        // Acme's sites are mapped; Globex stays unmapped, so the startup sync raises its alert.
        _ = try sandbox.store.recordSites(try await sandbox.client().sites(), at: Date())
        for site in ["site-acme-hq", "site-acme-branch"] {
            _ = try sandbox.store.setSiteMapping(site, tenant: "acme", audit: AuditEntry(event: "datto.site.mapped", actor: "test"))
        }
        let sink = try await PlatformEmulator.start()
        sink.reply("/hook", .init(status: 200, body: "ok"))
        try sandbox.folder.write(#"{"targets": [{"Name": "ops", "Platform": "Webhook", "Enabled": true, "APIEndpoint": "\#(sink.url)/hook", "MinimumSeverity": "Info"}]}"#,
                                 to: "home/config.json")

        let process = Process()
        process.executableURL = URL(fileURLWithPath: Paths.switchboard)
        process.arguments = ["serve", "--port", "0"]
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SWITCHBOARD_") }
        environment["SWITCHBOARD_HOME"] = sandbox.folder.root + "/home"
        process.environment = environment
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        var banner = ""
        while !banner.contains("\n") {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { break }
            banner += String(decoding: chunk, as: UTF8.self)
        }
        let port = try #require(banner.split(separator: ":").last.flatMap { Int($0.prefix { $0.isNumber }) })
        #expect(banner.hasPrefix("listening on http://127.0.0.1:\(port) "))
        let base = "http://127.0.0.1:\(port)"
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        func request(_ method: HTTPMethod, _ path: String, body: String? = nil, headers: [(String, String)] = []) async throws -> (Int, String) {
            var request = HTTPClientRequest(url: base + path)
            request.method = method
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let body { request.body = .bytes(ByteBuffer(string: body)) }
            let response = try await http.execute(request, timeout: .seconds(30))
            return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 1 << 20)))
        }
        func signed(_ body: String) -> [(String, String)] {
            [("X-Switchboard-Signature", WebhookSignature.header(secret: "a-shared-secret-for-tests", timestamp: Int64(Date().timeIntervalSince1970),
                                                                 body: Array(body.utf8)))]
        }

        // The startup sync imports Acme's devices (the ticket links to one).
        for _ in 0..<100 where try sandbox.store.devices(tenants: ["acme"]).count < 8 { try await Task.sleep(for: .milliseconds(50)) }
        #expect(try sandbox.store.devices(tenants: nil).count == 8)
        let raised = #"{"alertUid":"alert-0001-cpu"}"#
        let created = try await request(.POST, "/v1/webhooks/datto", body: raised, headers: signed(raised))
        #expect(created.0 == 201, "\(created.1)")
        let refused = try await request(.POST, "/v1/webhooks/datto", body: raised, headers: [("X-Switchboard-Token", "nope")])
        #expect(refused.0 == 401 && refused.1 == #"{"error":"invalid token"}"#)
        #expect(try await request(.GET, "/healthz") == (200, #"{"status":"ok"}"#))
        let metrics = try await request(.GET, "/metrics")
        #expect(metrics.0 == 200 && metrics.1.contains("switchboard_datto_tickets_created_total 1\n") && metrics.1.contains("switchboard_datto_devices 8\n"))
        #expect(metrics.1.contains(#"switchboard_webhook_rejections_total{reason="invalid_token"} 1"#))
        let page = try await request(.GET, "/")
        #expect(page.0 == 200 && page.1.contains("Tickets created from alerts") && page.1.contains("Acme HQ"))
        let resolved = #"{"alertUid":"alert-0001-cpu","resolved":true}"#
        let resolution = try await request(.POST, "/v1/webhooks/datto", body: resolved, headers: signed(resolved))
        #expect(resolution.0 == 202 && resolution.1.contains(#""status":"resolved""#))

        // The unmapped site's alert and alice's notice reach the delivery target.
        var bodies: [String] = []
        for _ in 0..<100 where bodies.count < 2 {
            try await Task.sleep(for: .milliseconds(100))
            bodies = sink.requests(to: "/hook").map(\.body)
        }
        #expect(bodies.contains { $0.contains("Datto RMM site 'Globex' (site-globex) is not mapped to a tenant") })
        #expect(bodies.contains { $0.contains("assigned to alice was resolved automatically") })

        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).hasSuffix("switchboard: stopped\n"))
        let rejected = try sandbox.events("datto.webhook.rejected")
        #expect(rejected.map { $0.entry.outcome } == ["invalid_token"])
        #expect(try sandbox.store.tickets(tenants: nil, status: nil, limit: 10).map(\.status) == [.resolved])
        #expect(try sandbox.store.verifyAuditChain().isIntact)
        try await http.shutdown()
        await sink.stop()
    }

    @Test func theDemoRunsTheWholeFlow() async throws {
        let folder = try TemporaryFolder()
        let result = try await folder.switchboard(["demo", "--home", folder.root + "/demo"])
        #expect(result.status == 0, "\(result.stderr)")
        for line in ["== 4. datto sync: 1 page(s), 12 devices created in the CMDB",
                     "Datto posts a signed alert webhook {\"alertUid\": \"alert-0001-cpu\"} -> HTTP 201",
                     "the same signed request replayed: HTTP 409 {\"error\":\"replayed signature\"}",
                     "with the X-Switchboard-Token header: HTTP 200",
                     "== 6. alice (technician in acme) reboots the ticket's device: executed",
                     "== 7. bob (technician in globex only) asks for the same reboot: denied",
                     "tenant acme, status resolved, priority high, category Performance, queue noc",
                     "datto.ticket.resolved", "   intact: "] {
            #expect(result.stdout.contains(line), "missing: \(line)")
        }
        // The data stays for a look around with the ordinary commands.
        let tickets = try await folder.switchboard(["tickets", "list"], home: folder.root + "/demo")
        #expect(tickets.status == 0 && tickets.stdout.contains("resolved"))
        let verify = try await folder.switchboard(["audit", "verify"], home: folder.root + "/demo")
        #expect(verify.status == 0)
    }
}
