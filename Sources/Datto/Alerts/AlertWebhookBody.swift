import Foundation
import PluginHost

/// A Datto alert webhook's body, decoded: the user's template sends `{"alertUid": "[alert_uid]"}` at
/// least, `"resolved": true` in the resolved-alert template, and may carry the alert itself
/// (`siteUid` and `priority`, optionally `alertType`, `message`, `deviceUid`, `deviceName`,
/// `siteName`, `timestamp`). Decoding reads no store and no API, so every body can be checked (and
/// fuzzed) on its own.
///
/// ```swift
/// let webhook = try AlertWebhookBody(Array(#"{"alertUid": "a1b2", "resolved": true}"#.utf8))
/// webhook.uid        // "a1b2"
/// webhook.resolved   // true
/// ```
public struct AlertWebhookBody: Sendable, Equatable {
    /// The Datto alert UID: letters, digits and dashes, at most 100 characters.
    public let uid: String
    /// Sent by the resolved-alert template.
    public let resolved: Bool
    /// The alert as the body describes it, when it names the site and the priority (nil for a
    /// resolved alert): otherwise the alert is read from the API.
    public let alert: DattoAlert?

    /// Why a body was refused: `malformed` (not a JSON object, answered 400) or `invalid` (a field,
    /// answered 422); the text is the answer's error.
    public enum Problem: Error, Equatable {
        case malformed(String)
        case invalid(String)
    }

    public init(_ body: [UInt8]) throws(Problem) {
        let json: JSONValue
        do { json = try JSONValue.parse(Data(body)) } catch { throw .malformed("malformed JSON: \(error.reason)") }
        guard case .object = json else { throw .malformed("expected a JSON object") }
        switch json["alertUid"] ?? json["alertUID"] {
        case .string(let text)? where !text.isEmpty:
            guard text.utf8.count <= 100, text.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-") }) else {
                throw .invalid("alertUid: expected a Datto alert UID (letters, digits and dashes), got '\(text.prefix(100))'")
            }
            uid = text
        case nil, .null?, .string?:
            throw .invalid(#"alertUid: missing (the webhook template must send {"alertUid": "[alert_uid]"})"#)
        case let other?:
            throw .invalid("alertUid: expected a string, got \(other.typeName)")
        }
        resolved = Self.flag(json["resolved"])
        alert = resolved ? nil : try Self.alert(uid, json)
    }

    /// The alert the body carries, when it names the site and the priority.
    private static func alert(_ uid: String, _ json: JSONValue) throws(Problem) -> DattoAlert? {
        func text(_ keys: String...) throws(Problem) -> String? {
            for key in keys {
                switch json[key] {
                case nil, .null?: continue
                case .string(let value)?: if !value.isEmpty { return value }
                case let other?: throw .invalid("\(key): expected a string, got \(other.typeName)")
                }
            }
            return nil
        }
        guard let site = try text("siteUid"), let priority = try text("priority") else { return nil }
        var alert = DattoAlert(uid: uid, priority: priority, resolved: false, raisedAt: nil, message: try text("message", "alertMessage") ?? "",
                               type: try text("alertType", "type") ?? "Other", deviceUid: try text("deviceUid"),
                               deviceName: try text("deviceName", "hostname"), siteUid: site, siteName: try text("siteName"))
        if case .integer(let milliseconds)? = json["timestamp"] { alert.raisedAt = Date(timeIntervalSince1970: Double(milliseconds) / 1000) }
        return alert
    }

    /// `true`, or the text `true` (templates substitute variables into strings).
    static func flag(_ value: JSONValue?) -> Bool {
        switch value {
        case .bool(true)?: true
        case .string(let text)?: text.lowercased() == "true"
        default: false
        }
    }
}
