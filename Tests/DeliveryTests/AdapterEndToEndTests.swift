import Delivery
import Foundation
import PluginHost
import SwitchboardStore
import TestSupport
import Testing

/// Every platform adapter, end to end: a real alert through the outbox, the plugin, real HTTP on
/// loopback to an emulated platform, through 500, 429 (with and without Retry-After) and a
/// timeout to success; then a 400 that is dead-lettered with the platform's own error text.
@Suite struct AdapterEndToEndTests {
    /// What one platform expects and answers.
    struct Platform: Sendable, CustomTestStringConvertible {
        let name: String
        /// The target's settings, with `URL` standing for the emulator's base URL.
        let target: String
        let path: String
        /// Headers that must be on every delivery request, exactly.
        let headers: [String: String]
        /// Body fields that must be present, as JSON text of their value.
        let body: [String: String]
        let success: PlatformEmulator.Reply
        let createdID: String?
        let invalid: PlatformEmulator.Reply
        /// A fragment of the platform's error text the dead letter must carry.
        let invalidText: String
        /// For OAuth platforms: the token path and what its request must carry.
        var token: (path: String, headers: [String: String], body: String)?

        var testDescription: String { name }
    }

    static let guid = "0e5b1a9c-1d2e-4f3a-9b8c-7d6e5f4a3b2c"

    static let platforms: [Platform] = [
        Platform(name: "webhook", target: #""Platform": "Webhook", "APIEndpoint": "URL/hooks/T1""#, path: "/hooks/T1",
                 headers: ["content-type": "application/json"], body: ["module": #""Disk""#, "severity": #""Error""#, "message": #""C: full""#],
                 success: .init(status: 200, body: "ok"), createdID: nil,
                 invalid: .init(status: 400, body: "invalid_payload"), invalidText: "HTTP 400: invalid_payload"),
        Platform(name: "connectwise", target: """
            "Platform": "ConnectWise", "APIEndpoint": "URL/v4_6_release/apis/3.0", "CompanyID": "myco", "APIKey": "pub123:priv456",
            "ClientID": "\(guid)", "TicketCompany": "AcmeCorp", "Board": "1"
            """, path: "/v4_6_release/apis/3.0/service/tickets",
                 headers: ["authorization": "Basic " + Data("myco+pub123:priv456".utf8).base64EncodedString(), "clientid": guid,
                           "accept": "application/vnd.connectwise.com+json; version=2022.2", "content-type": "application/json"],
                 body: ["recordType": #""ServiceTicket""#, "company": #"{"identifier":"AcmeCorp"}"#, "board": #"{"id":1}"#, "priority": #"{"id":2}"#],
                 success: .init(status: 201, body: #"{"id":50123,"summary":"x"}"#), createdID: "50123",
                 invalid: .init(status: 400, body: #"{"code":"InvalidObject","message":"ticket object is invalid","errors":[{"code":"NullValue","message":"Board is required","resource":"ticket","field":"board"}]}"#),
                 invalidText: "InvalidObject: ticket object is invalid"),
        Platform(name: "ninjarmm", target: #""Platform": "NinjaRMM", "APIEndpoint": "URL", "ClientID": "cid-1", "APIKey": "csecret-1", "CompanyID": "22", "TicketFormID": 1"#,
                 path: "/v2/ticketing/ticket", headers: ["authorization": "Bearer tok-ninja", "content-type": "application/json"],
                 body: ["clientId": "22", "ticketFormId": "1", "priority": #""HIGH""#, "severity": #""MAJOR""#, "status": #""1000""#],
                 success: .init(status: 200, body: #"{"id":5678}"#), createdID: "5678",
                 invalid: .init(status: 400, body: #"{"resultCode":"VALIDATION_ERROR","errorMessage":"ticketFormId is invalid"}"#),
                 invalidText: "ticketFormId is invalid",
                 token: ("/ws/oauth/token", ["content-type": "application/x-www-form-urlencoded"],
                         "grant_type=client_credentials&client_id=cid-1&client_secret=csecret-1&scope=monitoring%20management%20control")),
        Platform(name: "dattormm", target: #""Platform": "DattoRMM", "APIEndpoint": "URL", "APIKey": "key-1", "APISecret": "secret-1", "DeviceUID": "dev-1", "AlertUDF": 5"#,
                 path: "/api/v2/device/dev-1/udf", headers: ["authorization": "Bearer tok-datto", "content-type": "application/json"],
                 body: [:], success: .init(status: 200), createdID: nil,
                 invalid: .init(status: 400, body: #"{"timestamp":1,"status":400,"error":"Bad Request","message":"udf5 is too long","path":"/api/v2/device/dev-1/udf"}"#),
                 invalidText: "udf5 is too long",
                 token: ("/auth/oauth/token", ["authorization": "Basic cHVibGljLWNsaWVudDpwdWJsaWM=", "content-type": "application/x-www-form-urlencoded"],
                         "grant_type=password&username=key-1&password=secret-1")),
        Platform(name: "atera", target: #""Platform": "Atera", "APIEndpoint": "URL/api/v3", "APIKey": "atera-key-1", "EndUserID": 42"#,
                 path: "/api/v3/tickets", headers: ["x-api-key": "atera-key-1", "content-type": "application/json", "accept": "application/json"],
                 body: ["TicketPriority": #""High""#, "EndUserID": "42", "TicketType": #""Incident""#],
                 success: .init(status: 201, body: #"{"ActionID":"98765"}"#), createdID: "98765",
                 invalid: .init(status: 400, body: #"{"type":"about:blank","title":"Bad Request","status":400,"detail":"EndUserID 42 does not exist"}"#),
                 invalidText: "EndUserID 42 does not exist"),
        Platform(name: "syncro", target: #""Platform": "Syncro", "APIEndpoint": "URL/api/v1", "APIKey": "T-syncro-1", "CompanyID": "1001", "RateLimitRetrySeconds": 1"#,
                 path: "/api/v1/tickets", headers: ["authorization": "Bearer T-syncro-1", "content-type": "application/json"],
                 body: ["customer_id": "1001", "status": #""New""#],
                 success: .init(status: 200, body: #"{"ticket":{"id":31415,"number":1042}}"#), createdID: "31415",
                 invalid: .init(status: 422, body: #"{"errors":["Customer must exist"]}"#), invalidText: "Customer must exist"),
    ]

    @Test(arguments: platforms)
    func alertIsRetriedThroughErrorsThenDeliveredOnce(platform: Platform) async throws {
        let emulator = try await PlatformEmulator.start()
        let sandbox = try DeliverySandbox()
        if let token = platform.token {
            emulator.reply(token.path, .init(status: 200, body: #"{"access_token":"tok-\#(platform.name == "ninjarmm" ? "ninja" : "datto")","expires_in":3600}"#))
        }
        emulator.reply(platform.path,
                       .init(status: 500, body: "upstream failure"),
                       .init(status: 429, headers: ["Retry-After": "1"]),
                       .init(status: 429),
                       .init(status: 201, delay: .milliseconds(3500)),
                       platform.success)
        let settings = platform.target.replacingOccurrences(of: "URL", with: emulator.url)
        let (engine, store) = try sandbox.engine(targets(#"{"Name": "t", "Enabled": true, \#(settings)}"#, timeout: 2))

        let queued = try engine.enqueue(alert: AlertEvent(severity: .error, module: "Disk", message: "C: full", phase: .detection))
        #expect(queued.count == 1)
        let final = try await engine.deliver(among: queued.map(\.id), patience: .seconds(20))
        let message = try #require(final.first)
        #expect(message.status == .delivered, "\(message.lastError ?? "")")
        #expect(message.attempts == 5)
        #expect(message.remoteID == platform.createdID)

        let deliveries = emulator.requests(to: platform.path)
        #expect(deliveries.count == 5)
        #expect(Set(deliveries.map { $0.headers["idempotency-key"] }) == [message.idempotencyKey])
        // Retry-After: 1 was honoured between the second and third attempts.
        if deliveries.count == 5 { #expect(deliveries[2].time.timeIntervalSince(deliveries[1].time) >= 0.95) }
        for request in deliveries {
            #expect(request.method == "POST")
            for (name, value) in platform.headers { #expect(request.headers[name] == value, "\(name)") }
            let body = try #require(request.json)
            for (field, json) in platform.body {
                let actual = body[field].flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys, .fragmentsAllowed]) }
                #expect(actual.map { String(decoding: $0, as: UTF8.self) } == json, "\(field)")
            }
        }
        if let token = platform.token {
            let tokenRequests = emulator.requests(to: token.path)
            #expect(tokenRequests.count == 1, "the token is cached across attempts")
            #expect(tokenRequests.first?.method == "POST")
            #expect(tokenRequests.first?.body == token.body)
            for (name, value) in token.headers { #expect(tokenRequests.first?.headers[name] == value, "\(name)") }
        }

        // A validation error is final: dead-lettered with the platform's own words.
        emulator.reply(platform.path, platform.invalid)
        let second = try engine.enqueue(alert: AlertEvent(severity: .critical, module: "Disk", message: "C: full"))
        let dead = try #require(try await engine.deliver(among: second.map(\.id), patience: .seconds(5)).first)
        #expect(dead.status == .dead)
        #expect(dead.attempts == 1)
        #expect(dead.lastError?.contains(platform.invalidText) == true, "\(dead.lastError ?? "")")

        let audit = try store.auditEntries(AuditFilter(events: ["delivery.attempted"]), limit: 100)
        #expect(audit.map(\.entry.outcome) == ["retry", "retry", "retry", "retry", "delivered", "dead"])
        #expect(audit.allSatisfy { $0.entry.plugin == "switchboard.\(platform.name)@\(Paths.catalog.loaded.first { $0.manifest.id == "switchboard.\(platform.name)" }?.manifest.version ?? "")" })
        #expect(try store.verifyAuditChain().isIntact)
        await emulator.stop()
    }

    /// 401: an OAuth platform's token is renewed once and the request sent again; then, as for
    /// the key-based platforms at once, the message is dead-lettered as an authentication failure.
    @Test(arguments: platforms)
    func unauthorizedIsAnAuthenticationFailure(platform: Platform) async throws {
        let emulator = try await PlatformEmulator.start()
        let sandbox = try DeliverySandbox()
        if let token = platform.token {
            emulator.reply(token.path, .init(status: 200, body: #"{"access_token":"tok-1","expires_in":3600}"#))
        }
        emulator.reply(platform.path, .init(status: 401, body: #"{"message":"credentials rejected"}"#))
        let settings = platform.target.replacingOccurrences(of: "URL", with: emulator.url)
        let (engine, _) = try sandbox.engine(targets(#"{"Name": "t", "Enabled": true, \#(settings)}"#))
        let queued = try engine.enqueue(alert: AlertEvent(severity: .error, module: "Disk", message: "C: full"))
        let message = try #require(try await engine.deliver(among: queued.map(\.id), patience: .seconds(5)).first)
        #expect(message.status == .dead)
        #expect(message.attempts == 1)
        #expect(message.lastHTTPStatus == 401)
        #expect(message.lastError?.contains("401") == true || message.lastError?.contains("authentication") == true, "\(message.lastError ?? "")")
        #expect(emulator.requests(to: platform.path).count == (platform.token == nil ? 1 : 2))
        if let token = platform.token { #expect(emulator.requests(to: token.path).count == 2) }
        await emulator.stop()
    }
}
