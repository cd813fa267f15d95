import Crypto
import Foundation

/// The `X-Switchboard-Signature` header: `t=<unix seconds>,v1=<hex HMAC-SHA256>`, where the MAC is
/// keyed with the secret's UTF-8 bytes over `"<t>." + body`. Several `v1` entries may be sent while
/// a secret is being rotated; any one of them may match. Entries with other keys are ignored, so a
/// later scheme can be sent alongside.
///
/// ```swift
/// let header = WebhookSignature.header(secret: secret, timestamp: Int64(Date().timeIntervalSince1970), body: body)
/// request.headers.add(name: "X-Switchboard-Signature", value: header)
/// ```
public struct WebhookSignature: Sendable, Equatable {
    /// Unix seconds, as signed by the sender.
    public let timestamp: Int64
    /// The `v1` MACs, 32 bytes each, in header order.
    public let codes: [[UInt8]]

    /// The header value signing `body` at `timestamp` with `secret`.
    public static func header(secret: String, timestamp: Int64, body: some DataProtocol) -> String {
        "t=\(timestamp),v1=\(hex(code(key: key(secret), timestamp: timestamp, body: body)))"
    }

    /// Parses a header value; nil when it is malformed: a missing, repeated or non-numeric `t`, no
    /// `v1`, a `v1` that is not 64 hex digits, or an entry without `=`. Spaces around entries are
    /// allowed (repeated header fields arrive joined by ", ").
    public init?(header: String) {
        var timestamp: Int64?
        var codes: [[UInt8]] = []
        for entry in header.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
            let entry = entry.trimmingSpaces()
            guard let equals = entry.firstIndex(of: UInt8(ascii: "=")) else { return nil }
            let key = entry[..<equals]
            let value = entry[entry.index(after: equals)...]
            if key.elementsEqual("t".utf8) {
                guard timestamp == nil, let seconds = Self.seconds(value) else { return nil }
                timestamp = seconds
            } else if key.elementsEqual("v1".utf8) {
                guard let code = Self.bytes(hex: value) else { return nil }
                codes.append(code)
            }
        }
        guard let timestamp, !codes.isEmpty else { return nil }
        self.timestamp = timestamp
        self.codes = codes
    }

    /// The signing key for a secret.
    static func key(_ secret: String) -> SymmetricKey { SymmetricKey(data: Array(secret.utf8)) }

    /// HMAC-SHA256 over `"<timestamp>." + body`: what the sender signs and the receiver recomputes.
    static func code(key: SymmetricKey, timestamp: Int64, body: some DataProtocol) -> HashedAuthenticationCode<SHA256> {
        var hmac = HMAC<SHA256>(key: key)
        hmac.update(data: Array("\(timestamp).".utf8))
        hmac.update(data: body)
        return hmac.finalize()
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    static func hex(_ code: HashedAuthenticationCode<SHA256>) -> String {
        var digits: [UInt8] = []
        digits.reserveCapacity(64)
        for byte in code {
            digits.append(hexDigits[Int(byte >> 4)])
            digits.append(hexDigits[Int(byte & 0x0f)])
        }
        return String(decoding: digits, as: UTF8.self)
    }

    /// Non-negative decimal seconds, at most 18 digits (so it fits an Int64).
    private static func seconds(_ digits: some Collection<UInt8>) -> Int64? {
        guard (1...18).contains(digits.count) else { return nil }
        var value: Int64 = 0
        for digit in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else { return nil }
            value = value * 10 + Int64(digit - UInt8(ascii: "0"))
        }
        return value
    }

    /// Exactly 64 hex digits (either case) as 32 bytes.
    private static func bytes(hex: some Collection<UInt8>) -> [UInt8]? {
        guard hex.count == 2 * SHA256.byteCount else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(SHA256.byteCount)
        var high: UInt8?
        for character in hex {
            guard let nibble = nibble(character) else { return nil }
            if let first = high {
                bytes.append(first << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return bytes
    }

    private static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension BidirectionalCollection<UInt8> where SubSequence == Self {
    /// Without leading and trailing spaces and tabs.
    fileprivate func trimmingSpaces() -> Self {
        let isSpace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        var trimmed = self
        while let first = trimmed.first, isSpace(first) { trimmed = trimmed.dropFirst() }
        while let last = trimmed.last, isSpace(last) { trimmed = trimmed.dropLast() }
        return trimmed
    }
}
