import Crypto
import Delivery
import Foundation
import PluginHost
import SwitchboardStore
import TestSupport
import Testing

/// The delivery engine over real HTTP on loopback: durability, exactly-once, signatures, tokens,
/// redaction, and which targets hear of what.
@Suite struct DeliveryEngineTests {
    @Test func signedWebhookBodyVerifiesWithTheSharedSecret() async throws {
        let emulator = try await PlatformEmulator.start()
        emulator.reply("/hook", .init(status: 200, body: "ok"))
        let sandbox = try DeliverySandbox()
        let (engine, store) = try sandbox.engine(targets(#"{"Name": "hook", "Enabled": true, "APIEndpoint": "\#(emulator.url)/hook", "Secret": "s3cret-value"}"#))
        let queued = try engine.enqueue(alert: AlertEvent(severity: .warning, module: "Net", message: "DNS failed", data: ["Issues": .array([.string("DNS")])]))
        #expect(try await engine.deliver(among: queued.map(\.id), patience: .seconds(5)).map(\.status) == [.delivered])
        let request = try #require(emulator.requests(to: "/hook").first)
        let mac = HMAC<SHA256>.authenticationCode(for: Data(request.body.utf8), using: SymmetricKey(data: Data("s3cret-value".utf8)))
        #expect(request.headers["x-switchboard-signature-256"] == "sha256=" + mac.map { String(format: "%02x", $0) }.joined())
        let body = try #require(request.json)
        #expect(Set(body.keys) == ["source", "module", "severity", "message", "timestamp", "endpoint", "domain", "data"])
        #expect((body["data"] as? [String: Any])?["Issues"] as? [String] == ["DNS"])
        #expect(!(try store.auditEntries(AuditFilter(), limit: 10).map { "\($0)" }.joined().contains("s3cret-value")))
        await emulator.stop()
    }

    @Test func onlyTargetsWhoseSettingsLetTheAlertThroughGetIt() async throws {
        let emulator = try await PlatformEmulator.start()
        emulator.reply("/", .init(status: 200, body: "ok"))
        let sandbox = try DeliverySandbox()
        let (engine, _) = try sandbox.engine(targets("""
            {"Name": "all", "Enabled": true, "APIEndpoint": "\(emulator.url)/all", "MinimumSeverity": "Info", "SendOnVerification": true},
            {"Name": "errors", "Enabled": true, "APIEndpoint": "\(emulator.url)/errors", "MinimumSeverity": "Error"},
            {"Name": "quiet", "Enabled": true, "APIEndpoint": "\(emulator.url)/quiet", "SendOnDetection": false},
            {"Name": "off", "Enabled": false, "APIEndpoint": "\(emulator.url)/off", "MinimumSeverity": "Info"}
            """))
        #expect(try engine.enqueue(alert: AlertEvent(severity: .warning, module: "M", message: "x", phase: .detection)).map(\.target) == ["all"])
        #expect(try engine.enqueue(alert: AlertEvent(severity: .critical, module: "M", message: "x", phase: .detection)).map(\.target) == ["all", "errors"])
        #expect(try engine.enqueue(alert: AlertEvent(severity: .critical, module: "M", message: "x", phase: .verification)).map(\.target) == ["all"])
        #expect(try engine.enqueue(alert: AlertEvent(severity: .warning, module: "M", message: "x", phase: .remediation)).map(\.target) == ["all", "quiet"])
        #expect(try engine.enqueue(alert: AlertEvent(severity: .info, module: "M", message: "x")).map(\.target) == ["all"])
        await emulator.stop()
    }

    @Test func anExpiredTokenIsRenewedOnceOn401() async throws {
        let emulator = try await PlatformEmulator.start()
        emulator.reply("/ws/oauth/token", .init(status: 200, body: #"{"access_token":"tok-old","expires_in":3600}"#),
                       .init(status: 200, body: #"{"access_token":"tok-new","expires_in":3600}"#))
        emulator.reply("/v2/ticketing/ticket", .init(status: 401, body: #"{"errorMessage":"token expired"}"#), .init(status: 200, body: #"{"id":7}"#))
        let sandbox = try DeliverySandbox()
        let (engine, _) = try sandbox.engine(targets(#"{"Name": "ninja", "Platform": "NinjaRMM", "Enabled": true, "APIEndpoint": "\#(emulator.url)", "ClientID": "c", "APIKey": "client-secret-1", "CompanyID": "3", "TicketFormID": 2}"#))
        let queued = try engine.enqueue(alert: AlertEvent(severity: .error, module: "Disk", message: "C: full"))
        let message = try #require(try await engine.deliver(among: queued.map(\.id), patience: .seconds(5)).first)
        #expect(message.status == .delivered)
        #expect(message.remoteID == "7")
        #expect(emulator.requests(to: "/v2/ticketing/ticket").map { $0.headers["authorization"] } == ["Bearer tok-old", "Bearer tok-new"])
        #expect(emulator.requests(to: "/ws/oauth/token").count == 2)
        await emulator.stop()
    }

    @Test func badCredentialsAreDeadLetteredWithoutEchoingSecrets() async throws {
        let emulator = try await PlatformEmulator.start()
        // A platform that echoes the credentials it refused.
        emulator.reply("/api/v3/tickets", .init(status: 401, body: "X-API-KEY atera-secret-key-9 is not valid"))
        let sandbox = try DeliverySandbox()
        let (engine, store) = try sandbox.engine(targets(#"{"Name": "atera", "Platform": "Atera", "Enabled": true, "APIEndpoint": "\#(emulator.url)/api/v3", "APIKey": "atera-secret-key-9", "EndUserID": 1}"#))
        let queued = try engine.enqueue(alert: AlertEvent(severity: .error, module: "Disk", message: "C: full"))
        let message = try #require(try await engine.deliver(among: queued.map(\.id), patience: .seconds(5)).first)
        #expect(message.status == .dead)
        #expect(message.lastError == "authentication failed: HTTP 401: X-API-KEY [REDACTED] is not valid")
        let audit = try store.auditEntries(AuditFilter(events: ["delivery.attempted"]), limit: 10)
        #expect(audit.first?.entry.error == "authentication failed: HTTP 401: X-API-KEY [REDACTED] is not valid")
        #expect(try store.messages(status: nil, limit: 10).allSatisfy { !($0.lastError ?? "").contains("atera-secret-key-9") && !$0.payload.contains("atera-secret-key-9") })
        await emulator.stop()
    }

    @Test func messagesQueuedWhileThePlatformIsDownAreDeliveredOnceAfterARestart() async throws {
        // The platform is down: its port refuses connections (and stays ours until it is back).
        let down = try ClosedPort()
        let port = down.port
        let sandbox = try DeliverySandbox()
        let configuration = targets(#"{"Name": "hook", "Enabled": true, "APIEndpoint": "http://127.0.0.1:\#(port)/hook", "MinimumSeverity": "Info"}"#)
        var queued: [OutboxMessage] = []
        do {
            let (engine, _) = try sandbox.engine(configuration)
            for index in 0..<5 {
                queued += try engine.enqueue(alert: AlertEvent(severity: .warning, module: "M", message: "alert \(index)"))
            }
            let first = try await engine.deliver(among: queued.map(\.id), patience: .seconds(0))
            #expect(first.map(\.status) == Array(repeating: .pending, count: 5))
            #expect(first.allSatisfy { $0.attempts == 1 && ($0.lastError ?? "").isEmpty == false })
        }
        // The host restarts: a new store handle and engine over the same file; the platform is back.
        down.release()
        let emulator = try await PlatformEmulator.start(port: port)
        emulator.reply("/hook", .init(status: 200, body: "ok"))
        let (engine, store) = try sandbox.engine(configuration)
        let delivered = try await engine.deliver(among: nil, patience: .seconds(10))
        #expect(delivered.map(\.status) == Array(repeating: .delivered, count: 5))
        let keys = emulator.requests(to: "/hook").compactMap { $0.headers["idempotency-key"] }
        #expect(keys.count == 5)
        #expect(Set(keys) == Set(queued.map(\.idempotencyKey)))
        // Nothing is left to send twice.
        #expect(try await engine.deliver(among: nil, patience: .seconds(0)).isEmpty)
        #expect(emulator.requests(to: "/hook").count == 5)
        #expect(try store.verifyAuditChain().isIntact)
        await emulator.stop()
    }

    @Test func aMessageLeftSendingByACrashIsResentWithTheSameKey() async throws {
        let emulator = try await PlatformEmulator.start()
        emulator.reply("/hook", .init(status: 200, body: "ok"))
        let sandbox = try DeliverySandbox()
        let (engine, store) = try sandbox.engine(targets(#"{"Name": "hook", "Enabled": true, "APIEndpoint": "\#(emulator.url)/hook"}"#))
        let queued = try engine.enqueue(alert: AlertEvent(severity: .error, module: "M", message: "x"))
        // Claimed by a host that then died: its lease runs out.
        _ = try store.claimDue(now: Date(), lease: 0.2, limit: 10, among: nil)
        try await Task.sleep(for: .milliseconds(300))
        let final = try await engine.deliver(among: nil, patience: .seconds(5))
        #expect(final.map(\.status) == [.delivered])
        #expect(emulator.requests(to: "/hook").map { $0.headers["idempotency-key"] } == [queued.first?.idempotencyKey])
        await emulator.stop()
    }

    @Test func reportsGoToTargetsWithDailySummaries() async throws {
        let emulator = try await PlatformEmulator.start()
        emulator.reply("/", .init(status: 200, body: "ok"))
        let sandbox = try DeliverySandbox()
        let (engine, _) = try sandbox.engine(targets("""
            {"Name": "daily", "Enabled": true, "APIEndpoint": "\(emulator.url)/daily"},
            {"Name": "alerts-only", "Enabled": true, "APIEndpoint": "\(emulator.url)/alerts", "SendDailySummary": false}
            """))
        let summary = try RunSummary(results: Data(#"{"modules": [{"name": "Disk", "issuesFound": 2, "remediated": 1, "failed": 1}, {"name": "Net", "issuesFound": 1, "remediated": 1}]}"#.utf8), file: "results.json")
        #expect(summary == RunSummary(modules: 2, issuesFound: 3, remediated: 2, failed: 1))
        let queued = try engine.enqueue(report: summary)
        #expect(queued.map(\.target) == ["daily"])
        #expect(try await engine.deliver(among: queued.map(\.id), patience: .seconds(5)).map(\.status) == [.delivered])
        let report = try #require(emulator.requests(to: "/daily").first?.json?["report"] as? [String: Any])
        #expect(report["modules"] as? Int == 2)
        #expect(report["failed"] as? Int == 1)
        #expect(throws: ConfigurationErrors(problems: [ConfigurationProblem(location: "r.json", field: "modules[0].failed", reason: "expected a non-negative integer, got -1")])) {
            try RunSummary(results: Data(#"{"modules": [{"failed": -1}]}"#.utf8), file: "r.json")
        }
        await emulator.stop()
    }

    @Test func testAlertsAreNotRetriedAndDeadLettersCanBeRetried() async throws {
        let emulator = try await PlatformEmulator.start()
        emulator.reply("/hook", .init(status: 503, body: "maintenance"), .init(status: 200, body: "ok"))
        let sandbox = try DeliverySandbox()
        let (engine, store) = try sandbox.engine(targets(#"{"Name": "hook", "Enabled": true, "APIEndpoint": "\#(emulator.url)/hook"}"#))
        let test = try engine.enqueueTest(to: engine.configuration.targets)
        let failed = try #require(try await engine.deliver(among: test.map(\.id), patience: .seconds(5)).first)
        #expect(failed.status == .dead)
        #expect(failed.lastError == "HTTP 503: maintenance")
        #expect(try store.retry(ids: nil, now: Date()) == 1)
        #expect(try await engine.deliver(among: test.map(\.id), patience: .seconds(5)).map(\.status) == [.delivered])
        #expect(try store.purge(statuses: [.delivered], before: nil) == 1)
        #expect(try store.messages(status: nil, limit: 10).isEmpty)
        await emulator.stop()
    }

    @Test func requestsAreConfinedToTheTargetsHost() throws {
        let sandbox = try DeliverySandbox()
        let (engine, _) = try sandbox.engine(targets(#"{"Name": "cw", "Platform": "ConnectWise", "Enabled": true, "APIEndpoint": "https://api-na.myconnectwise.net/v4_6_release/apis/3.0", "CompanyID": "myco", "APIKey": "a:b", "ClientID": "\#(AdapterEndToEndTests.guid)"}"#))
        let target = try #require(engine.configuration.target(named: "cw"))
        #expect(engine.dryRun(target) == "switchboard.connectwise: render_alert returned SB_ERR_INVALID_INPUT (1): target.TicketCompany: missing (the company tickets are opened for, by id or identifier; CompanyID is only the login company)")
    }
}
