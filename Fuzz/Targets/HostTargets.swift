import Datto
import Foundation
import PluginHost
import Server

extension FuzzTarget {
    /// `JSONValue.parse`, our strict RFC 8259 reader. What it reads must come back unchanged from
    /// both serializations (compact for plugins, pretty for `--json` output).
    static let json = FuzzTarget(name: "json") { bytes in
        let value: JSONValue
        do throws(JSONParseError) { value = try JSONValue.parse(Data(bytes)) } catch { return .refused(error.reason) }
        for pretty in [false, true] {
            let text = value.serialized(pretty: pretty)
            guard let again = try? JSONValue.parse(text), again == value else {
                return .broken("\(pretty ? "pretty" : "compact") serialization does not read back as the same value: \(String(decoding: text, as: UTF8.self))")
            }
        }
        return .accepted(value.typeName)
    }

    /// A manifest file's bytes as the loader reads them: JSON, then `Manifest(json:file:)`.
    static let manifest = FuzzTarget(name: "manifest") { bytes in
        do {
            let value = try JSONValue.parse(Data(bytes))
            return .accepted(try Manifest(json: value, file: "manifest.json").id)
        } catch let error as JSONParseError {
            return .refused("malformed JSON: \(error.reason)")
        } catch {
            return .refused("\(error)")
        }
    }

    /// The secret and the clock of the signature target: the corpus's signatures are made with them.
    static let signatureSecret = "fuzz-webhook-secret"
    static let signatureNow: Int64 = 1_790_000_000

    /// `X-Switchboard-Signature` on its first line, the body after it: the header parser and both
    /// authentication steps. A body signed properly must always be accepted.
    static let signature = FuzzTarget(name: "signature") { bytes in
        let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
        let header = String(decoding: bytes[..<newline], as: UTF8.self)
        let body = Array(bytes[min(newline + 1, bytes.endIndex)...])
        let proper = WebhookSignature.header(secret: signatureSecret, timestamp: signatureNow, body: body)
        guard authenticate(header: proper, body: body) == nil else {
            return .broken("a body signed with the secret was refused")
        }
        if let parsed = WebhookSignature(header: header), parsed.codes.contains(where: { $0.count != 32 }) {
            return .broken("a v1 code that is not 32 bytes was accepted")
        }
        return authenticate(header: header, body: body).map { .refused($0.rawValue) } ?? .accepted("signature matches")
    }

    /// Why a fresh authenticator refuses `header` for `body`, if it does.
    private static func authenticate(header: String, body: [UInt8]) -> WebhookRejectionReason? {
        let authenticator = WebhookAuthenticator(windowSeconds: 300, now: { signatureNow })
        do {
            try authenticator.verify(body, authenticator.check(secret: signatureSecret, token: nil, signature: header))
            return nil
        } catch {
            return error
        }
    }

    /// A Datto alert webhook's body, decoded as `AlertIngest` decodes it before any store or API work.
    static let alertWebhook = FuzzTarget(name: "alert-webhook") { bytes in
        let webhook: AlertWebhookBody
        do throws(AlertWebhookBody.Problem) { webhook = try AlertWebhookBody(bytes) } catch {
            switch error {
            case .malformed(let text): return .refused("400 \(text)")
            case .invalid(let text): return .refused("422 \(text)")
            }
        }
        guard (1...100).contains(webhook.uid.utf8.count),
              webhook.uid.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }) else {
            return .broken("accepted an alert uid that is not letters, digits and dashes: '\(webhook.uid)'")
        }
        let carried = webhook.alert.map { " site \($0.siteUid) priority \($0.priority)" } ?? ""
        return .accepted("\(webhook.uid)\(webhook.resolved ? " resolved" : "")\(carried)")
    }
}
