@testable import Server
import Synchronization
import Testing

/// The authenticator on its own, with a clock the tests set.
@Suite struct WebhookAuthenticatorTests {
    static let secret = "topsecret"
    static let body = Array(#"{"alert":1}"#.utf8)

    /// Unix seconds, moved by the test.
    final class FixedClock: Sendable {
        let seconds: Mutex<Int64>
        init(_ seconds: Int64) { self.seconds = Mutex(seconds) }
        func set(_ value: Int64) { seconds.withLock { $0 = value } }
        var now: @Sendable () -> Int64 { { self.seconds.withLock { $0 } } }
    }

    /// Both steps; the reason of the first refusal.
    static func outcome(_ authenticator: WebhookAuthenticator, secret: String? = secret, token: String? = nil, signature: String? = nil,
                        body: [UInt8] = body) -> WebhookRejectionReason? {
        do {
            try authenticator.verify(body, authenticator.check(secret: secret, token: token, signature: signature))
            return nil
        } catch {
            return error
        }
    }

    static func sign(_ timestamp: Int64, secret: String = secret, body: [UInt8] = body) -> String {
        WebhookSignature.header(secret: secret, timestamp: timestamp, body: body)
    }

    @Test func theHeaderIsTheHexHMACOfTimestampDotBody() {
        // python3 -c 'import hmac,hashlib;print(hmac.new(b"topsecret",b"1700000000.{\"alert\":1}",hashlib.sha256).hexdigest())'
        #expect(Self.sign(1_700_000_000)
            == "t=1700000000,v1=279a898f18b043d419c2e382e8aa9a93758f715a5b63e37656ad8b74ff517613")
    }

    @Test func theHeaderParsesStrictly() throws {
        let hex = String(repeating: "0f", count: 32)
        let parsed = try #require(WebhookSignature(header: " t=12 , v1=\(hex),v0=ignored,v1=\(hex.uppercased())"))
        #expect(parsed.timestamp == 12)
        #expect(parsed.codes == [Array(repeating: 0x0f, count: 32), Array(repeating: 0x0f, count: 32)])
        for bad in ["", "t=12", "v1=\(hex)", "t=,v1=\(hex)", "t=-1,v1=\(hex)", "t=1.5,v1=\(hex)", "t=1,t=1,v1=\(hex)",
                    "t=1,v1=\(hex)0", "t=1,v1=\(hex.dropLast())g", "t=1,v1=\(hex),", "t=1;v1=\(hex)", "t=1234567890123456789,v1=\(hex)"] {
            #expect(WebhookSignature(header: bad) == nil, "\(bad)")
        }
    }

    @Test func checksRunInTheirDocumentedOrder() {
        let clock = FixedClock(1_000_000)
        let authenticator = WebhookAuthenticator(windowSeconds: 300, now: clock.now)
        #expect(Self.outcome(authenticator, secret: nil, token: "x") == .secretNotConfigured)
        #expect(Self.outcome(authenticator, secret: "", signature: "junk") == .secretNotConfigured)
        #expect(Self.outcome(authenticator) == .missingCredentials)
        #expect(Self.outcome(authenticator, token: "wrong", signature: "junk") == .malformedSignature)
        #expect(Self.outcome(authenticator, token: "wrong", signature: Self.sign(1)) == .invalidToken)
        #expect(Self.outcome(authenticator, token: Self.secret, signature: Self.sign(1)) == .staleTimestamp)
        #expect(Self.outcome(authenticator, token: Self.secret, signature: Self.sign(1_000_000, secret: "other")) == .invalidSignature)
        #expect(Self.outcome(authenticator, token: Self.secret, signature: Self.sign(1_000_000)) == nil)
        #expect(Self.outcome(authenticator, token: Self.secret, signature: Self.sign(1_000_000)) == .replayedSignature)
        #expect(Self.outcome(authenticator, token: Self.secret) == nil)
        #expect(Self.outcome(authenticator, token: Self.secret) == nil, "a token has no replay protection")
    }

    @Test func theWindowIncludesItsEdgesBothWays() {
        let clock = FixedClock(1_000_000)
        let authenticator = WebhookAuthenticator(windowSeconds: 300, now: clock.now)
        #expect(Self.outcome(authenticator, signature: Self.sign(999_700)) == nil)
        #expect(Self.outcome(authenticator, signature: Self.sign(1_000_300)) == nil)
        #expect(Self.outcome(authenticator, signature: Self.sign(999_699)) == .staleTimestamp)
        #expect(Self.outcome(authenticator, signature: Self.sign(1_000_301)) == .staleTimestamp)
    }

    @Test func theSignatureCoversTheBody() {
        let authenticator = WebhookAuthenticator(now: FixedClock(1_000_000).now)
        #expect(Self.outcome(authenticator, signature: Self.sign(1_000_000), body: Array(#"{"alert":2}"#.utf8)) == .invalidSignature)
    }

    @Test func replaysAreRememberedOnlyWhileTheirTimestampIsInTheWindow() {
        let clock = FixedClock(1_000_000)
        let authenticator = WebhookAuthenticator(windowSeconds: 300, now: clock.now)
        for second in 0..<10 {
            clock.set(1_000_000 + Int64(second))
            #expect(Self.outcome(authenticator, signature: Self.sign(clock.now())) == nil)
        }
        #expect(authenticator.rememberedSignatures == 10)
        // A different body at the same second is a different signature.
        #expect(Self.outcome(authenticator, signature: Self.sign(1_000_009, body: [1]), body: [1]) == nil)
        #expect(authenticator.rememberedSignatures == 11)

        clock.set(1_000_305)
        #expect(Self.outcome(authenticator, signature: Self.sign(1_000_005)) == .replayedSignature)
        #expect(Self.outcome(authenticator, signature: Self.sign(1_000_305)) == nil)
        #expect(authenticator.rememberedSignatures == 7, "the signatures of 1_000_000...1_000_004 are forgotten")
        clock.set(1_000_700)
        #expect(Self.outcome(authenticator, signature: Self.sign(1_000_700)) == nil)
        #expect(authenticator.rememberedSignatures == 1)
    }
}
