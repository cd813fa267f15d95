import Crypto
import Foundation
import Synchronization

/// Authenticates Datto webhook requests against the shared secret, in two steps so that what the
/// headers alone can refuse is refused before the body is read:
///
/// 1. `check(secret:token:signature:)`, in this order: no secret (`secretNotConfigured`), neither
///    header (`missingCredentials`), an unparseable signature (`malformedSignature`), a token that
///    is not the secret (`invalidToken`), a signature timestamp further than the window from now
///    (`staleTimestamp`).
/// 2. `verify(_:_:)`, once the body is read: no `v1` entry matches (`invalidSignature`), or this
///    signature was already accepted (`replayedSignature`).
///
/// Either header suffices; when both are sent, both must be valid. Tokens are compared through their
/// SHA-256 digests and MACs with swift-crypto's constant-time equality. A static token cannot be
/// protected against replay; a signature is accepted once: it is remembered (by timestamp and MAC)
/// until its timestamp leaves the window, so the memory held is bounded by the accepted rate times
/// the window (about 100 bytes per signature).
///
/// ```swift
/// let authenticator = WebhookAuthenticator(windowSeconds: 300)
/// let pending = try authenticator.check(secret: secret, token: nil, signature: header)
/// try authenticator.verify(body, pending)
/// ```
public final class WebhookAuthenticator: Sendable {
    /// How far (in seconds, either way) a signature's timestamp may be from now.
    public let windowSeconds: Int64
    private let now: @Sendable () -> Int64
    private let accepted = Mutex(AcceptedSignatures())

    /// - Parameter now: the current time in Unix seconds (injectable for tests).
    public init(windowSeconds: Int64 = 300, now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }) {
        self.windowSeconds = windowSeconds
        self.now = now
    }

    /// What the headers established, for `verify(_:_:)` to finish once the body is read.
    public struct Pending: Sendable {
        /// The signature still to be checked against the body, with the key to check it; nil when
        /// only a token was sent.
        fileprivate let signed: (signature: WebhookSignature, key: SymmetricKey)?
    }

    /// The checks that need no body; see the type's documentation for their order.
    public func check(secret: String?, token: String?, signature: String?) throws(WebhookRejectionReason) -> Pending {
        guard let secret, !secret.isEmpty else { throw .secretNotConfigured }
        guard token != nil || signature != nil else { throw .missingCredentials }
        var parsed: WebhookSignature?
        if let signature {
            guard let valid = WebhookSignature(header: signature) else { throw .malformedSignature }
            parsed = valid
        }
        // Digests first: equal lengths, so the comparison time says nothing about the secret.
        if let token, SHA256.hash(data: Array(token.utf8)) != SHA256.hash(data: Array(secret.utf8)) { throw .invalidToken }
        guard let parsed else { return Pending(signed: nil) }
        guard abs(now() - parsed.timestamp) <= windowSeconds else { throw .staleTimestamp }
        return Pending(signed: (parsed, WebhookSignature.key(secret)))
    }

    /// The checks on the body: the signature's MAC, then replay. Accepting a signature uses it up.
    public func verify(_ body: [UInt8], _ pending: Pending) throws(WebhookRejectionReason) {
        guard let (signature, key) = pending.signed else { return }
        let code = WebhookSignature.code(key: key, timestamp: signature.timestamp, body: body)
        // Every entry is compared, so the time taken does not tell which one matched.
        var matched = false
        for candidate in signature.codes where code == candidate { matched = true }
        guard matched else { throw .invalidSignature }
        let time = now()
        let fresh = accepted.withLock {
            $0.record(Fingerprint(code), timestamp: signature.timestamp, now: time, window: windowSeconds)
        }
        guard fresh else { throw .replayedSignature }
    }

    /// How many accepted signatures are remembered against replay.
    var rememberedSignatures: Int { accepted.withLock { $0.count } }
}

/// Accepted signatures by timestamp, forgotten once their timestamp is out of the window (a replay
/// of them would be refused as stale anyway).
private struct AcceptedSignatures {
    private var byTimestamp: [Int64: Set<Fingerprint>] = [:]
    private var prunedAt: Int64?

    /// Remembers a signature; false when it was already remembered.
    mutating func record(_ fingerprint: Fingerprint, timestamp: Int64, now: Int64, window: Int64) -> Bool {
        if prunedAt != now {
            for expired in byTimestamp.keys.filter({ $0 + window < now }) { byTimestamp[expired] = nil }
            prunedAt = now
        }
        return byTimestamp[timestamp, default: []].insert(fingerprint).inserted
    }

    var count: Int { byTimestamp.values.reduce(0) { $0 + $1.count } }
}

/// An HMAC-SHA256 as four words: hashable without an allocation per signature.
private struct Fingerprint: Hashable {
    let words: SIMD4<UInt64>

    init(_ code: HashedAuthenticationCode<SHA256>) {
        words = code.withUnsafeBytes { raw in
            SIMD4(raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self), raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                  raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self), raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        }
    }
}
