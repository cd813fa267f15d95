import AsyncHTTPClient
import Foundation
import NIOCore
import Server
import Testing

/// `POST /v1/webhooks/datto` over real HTTP: who gets in, who is refused with which exact answer, and
/// that refusals never reach the receiver but always reach the app's rejection callback.
@Suite struct DattoWebhookTests {
    static let body = #"{"alertUID":"a-1","message":"Disk C: 95% full"}"#

    /// One way of being refused.
    struct Refusal: Sendable, CustomTestStringConvertible {
        let testDescription: String
        var secret: String? = RunningServer.secret
        /// The request's headers, given the current Unix time.
        let headers: @Sendable (Int64) -> [String: String]
        let reason: WebhookRejectionReason
        let status: Int
        let error: String
    }

    static func signature(_ timestamp: Int64, secret: String = RunningServer.secret) -> String {
        WebhookSignature.header(secret: secret, timestamp: timestamp, body: Array(body.utf8))
    }

    static let hex64 = String(repeating: "ab", count: 32)
    static let missing = "missing credentials: send X-Switchboard-Token or X-Switchboard-Signature"
    static let malformed = "malformed X-Switchboard-Signature: expected t=<unix seconds>,v1=<hex HMAC-SHA256>"
    static let stale = "stale timestamp: outside the 300-second window"
    static let notConfigured = "webhook secret not configured: run switchboard datto webhook-secret"

    static let refusals: [Refusal] = [
        Refusal(testDescription: "no secret configured", secret: nil, headers: { _ in ["X-Switchboard-Token": "anything"] },
                reason: .secretNotConfigured, status: 503, error: notConfigured),
        Refusal(testDescription: "empty secret configured", secret: "", headers: { _ in [:] },
                reason: .secretNotConfigured, status: 503, error: notConfigured),
        Refusal(testDescription: "no credentials", headers: { _ in [:] }, reason: .missingCredentials, status: 401, error: missing),
        Refusal(testDescription: "wrong token", headers: { _ in ["X-Switchboard-Token": "topsecret2"] },
                reason: .invalidToken, status: 401, error: "invalid token"),
        Refusal(testDescription: "empty token", headers: { _ in ["X-Switchboard-Token": ""] },
                reason: .invalidToken, status: 401, error: "invalid token"),
        Refusal(testDescription: "signature is not key=value", headers: { _ in ["X-Switchboard-Signature": "sha256=\(hex64)"] },
                reason: .malformedSignature, status: 400, error: malformed),
        Refusal(testDescription: "signature without t", headers: { _ in ["X-Switchboard-Signature": "v1=\(hex64)"] },
                reason: .malformedSignature, status: 400, error: malformed),
        Refusal(testDescription: "signature without v1", headers: { now in ["X-Switchboard-Signature": "t=\(now)"] },
                reason: .malformedSignature, status: 400, error: malformed),
        Refusal(testDescription: "non-numeric t", headers: { _ in ["X-Switchboard-Signature": "t=soon,v1=\(hex64)"] },
                reason: .malformedSignature, status: 400, error: malformed),
        Refusal(testDescription: "short v1", headers: { now in ["X-Switchboard-Signature": "t=\(now),v1=abcdef"] },
                reason: .malformedSignature, status: 400, error: malformed),
        Refusal(testDescription: "malformed signature beside a valid token",
                headers: { now in ["X-Switchboard-Token": RunningServer.secret, "X-Switchboard-Signature": "t=\(now)"] },
                reason: .malformedSignature, status: 400, error: malformed),
        Refusal(testDescription: "timestamp 301 s in the past", headers: { now in ["X-Switchboard-Signature": signature(now - 301)] },
                reason: .staleTimestamp, status: 401, error: stale),
        // Farther than 301 s: the server reads its clock a moment after this one (the exact boundary
        // is WebhookAuthenticatorTests' work, on a fixed clock).
        Refusal(testDescription: "timestamp 360 s in the future", headers: { now in ["X-Switchboard-Signature": signature(now + 360)] },
                reason: .staleTimestamp, status: 401, error: stale),
        Refusal(testDescription: "signed with another secret", headers: { now in ["X-Switchboard-Signature": signature(now, secret: "other")] },
                reason: .invalidSignature, status: 401, error: "invalid signature"),
        Refusal(testDescription: "signature for another timestamp",
                headers: { now in ["X-Switchboard-Signature": signature(now).replacingOccurrences(of: "t=\(now)", with: "t=\(now - 1)")] },
                reason: .invalidSignature, status: 401, error: "invalid signature"),
        Refusal(testDescription: "valid token, invalid signature",
                headers: { now in ["X-Switchboard-Token": RunningServer.secret, "X-Switchboard-Signature": signature(now, secret: "other")] },
                reason: .invalidSignature, status: 401, error: "invalid signature"),
        Refusal(testDescription: "invalid token, valid signature",
                headers: { now in ["X-Switchboard-Token": "nope", "X-Switchboard-Signature": signature(now)] },
                reason: .invalidToken, status: 401, error: "invalid token"),
    ]

    @Test(arguments: refusals)
    func refusedRequestsGetTheirExactAnswerAndNeverReachTheReceiver(_ refusal: Refusal) async throws {
        let server = try await RunningServer.start(secret: refusal.secret)
        let answer = try await server.post(body: Self.body, headers: refusal.headers(Int64(Date().timeIntervalSince1970)))
        #expect(answer.status == refusal.status)
        #expect(answer.body == #"{"error":"\#(refusal.error)"}"#)
        #expect(answer.headers["content-type"] == "application/json")
        #expect(server.receiver.bodies.isEmpty)
        let rejection = try #require(server.rejections.first)
        #expect(server.rejections.count == 1)
        #expect(rejection.reason == refusal.reason)
        #expect(rejection.status == refusal.status)
        #expect(rejection.message == refusal.error)
        #expect(rejection.remoteAddress?.hasPrefix("127.0.0.1:") == true)
    }

    @Test func aValidTokenHandsTheBodyToTheReceiverAndSendsItsAnswer() async throws {
        let server = try await RunningServer.start()
        let answer = try await server.post(body: Self.body, headers: ["X-Switchboard-Token": RunningServer.secret])
        #expect(answer.status == 202)
        #expect(answer.body == #"{"ticket":"T-1"}"#)
        #expect(answer.headers["content-type"] == "application/json")
        #expect(server.receiver.bodies == [Self.body])
        #expect(server.rejections.isEmpty)
    }

    @Test func aValidSignatureIsAcceptedAlsoBesideAWrongV1Entry() async throws {
        let server = try await RunningServer.start()
        #expect(try await server.postSigned(Self.body).status == 202)
        // Another timestamp, or this would be a replay of the first.
        let earlier = Int64(Date().timeIntervalSince1970) - 5
        let rotated = Self.signature(earlier).replacingOccurrences(of: "t=\(earlier),", with: "t=\(earlier), v1=\(Self.hex64),")
        let answer = try await server.post(body: Self.body, headers: ["X-Switchboard-Signature": rotated])
        #expect(answer.status == 202)
        #expect(answer.body == #"{"ticket":"T-1"}"#)
        let both = ["X-Switchboard-Token": RunningServer.secret, "X-Switchboard-Signature": Self.signature(earlier - 5)]
        #expect(try await server.post(body: Self.body, headers: both).status == 202)
        #expect(server.receiver.bodies == [Self.body, Self.body, Self.body])
        #expect(server.rejections.isEmpty)
    }

    @Test func aSignatureIsAcceptedOnceThenRefusedAsAReplay() async throws {
        let server = try await RunningServer.start()
        let headers = ["X-Switchboard-Signature": Self.signature(Int64(Date().timeIntervalSince1970))]
        #expect(try await server.post(body: Self.body, headers: headers).status == 202)
        let replay = try await server.post(body: Self.body, headers: headers)
        #expect(replay.status == 409)
        #expect(replay.body == #"{"error":"replayed signature"}"#)
        #expect(server.receiver.bodies == [Self.body])
        #expect(server.rejections.map(\.reason) == [.replayedSignature])
    }

    @Test func theWindowComesFromTheConfiguration() async throws {
        let server = try await RunningServer.start(configuration: ServerConfiguration(port: 0, signatureWindowSeconds: 60))
        let answer = try await server.postSigned(Self.body, skew: -61)
        #expect(answer.status == 401)
        #expect(answer.body == #"{"error":"stale timestamp: outside the 60-second window"}"#)
        #expect(try await server.postSigned(Self.body, skew: -30).status == 202)
    }

    @Test func aBodyOverTheLimitIsRefusedWhetherItsLengthIsDeclaredOrNot() async throws {
        let server = try await RunningServer.start()
        let token = ["X-Switchboard-Token": RunningServer.secret]
        let atLimit = String(repeating: "x", count: 65_536)
        #expect(try await server.post(body: atLimit, headers: token).status == 202)

        let declared = try await server.post(body: atLimit + "x", headers: token)
        #expect(declared.status == 413)
        #expect(declared.body == #"{"error":"body exceeds 65536 bytes"}"#)

        // Chunked: no Content-Length, 16 KiB parts, 80 KiB in all.
        let parts = (0..<5).map { _ in ByteBuffer(repeating: UInt8(ascii: "x"), count: 16_384) }
        let chunked = try await server.send("POST", RunningServer.webhookPath, headers: token,
                                            body: .stream(parts.async, length: .unknown))
        #expect(chunked.status == 413)
        #expect(chunked.body == #"{"error":"body exceeds 65536 bytes"}"#)

        // The body is checked before its signature.
        let signed = try await server.postSigned(atLimit + "x")
        #expect(signed.status == 413)
        #expect(server.receiver.bodies == [atLimit])
        #expect(server.rejections.map(\.reason) == [.bodyTooLarge, .bodyTooLarge, .bodyTooLarge])
        // The connection still serves requests afterwards.
        #expect(try await server.post(body: Self.body, headers: token).status == 202)
    }

    @Test func theLimitComesFromTheConfigurationAndHeadersAreCheckedFirst() async throws {
        let server = try await RunningServer.start(configuration: ServerConfiguration(port: 0, bodyLimit: 10))
        let answer = try await server.post(body: Self.body, headers: ["X-Switchboard-Token": RunningServer.secret])
        #expect(answer.status == 413)
        #expect(answer.body == #"{"error":"body exceeds 10 bytes"}"#)
        // Without credentials the size does not matter: the headers already say no.
        #expect(try await server.post(body: Self.body, headers: [:]).status == 401)
    }
}

extension Array where Element: Sendable {
    /// The elements as an async sequence (a request body streamed in parts).
    fileprivate var async: AsyncStream<Element> {
        AsyncStream { continuation in
            for element in self { continuation.yield(element) }
            continuation.finish()
        }
    }
}
