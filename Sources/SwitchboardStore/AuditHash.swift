import Crypto
import Foundation

/// How an audit entry's hash is computed. Each entry records the format it was written with, so
/// entries written by an older release keep verifying after the field list grows.
enum AuditHash {
    /// The field lists and encodings entries have been hashed with.
    enum Format: Int {
        case one = 1, two = 2
    }

    /// The format new entries are written with.
    static let currentFormat = Format.two
    /// What the first entry links to.
    static let genesis = String(repeating: "0", count: 64)

    /// The SHA-256, in lowercase hex, of the entry's fields in a fixed order and then the previous
    /// entry's hash. `details` is the stored JSON text.
    ///
    /// - Format 1: sequence, time, event, tenant, actor, subject, plugin, plugin SHA-256, parameters
    ///   digest, outcome, duration, error, correlation id, details, previous hash; joined with U+001F,
    ///   an absent value written as U+0000.
    /// - Format 2: the format number, then sequence, time, event, tenant, actor, subject, ticket, device,
    ///   action, site, plugin, plugin SHA-256, parameters digest, outcome, duration, error, correlation
    ///   id, details, previous hash; each written as its UTF-8 length, `:` and its bytes, an absent
    ///   value as `-`. Unlike format 1's separators, lengths cannot be forged by a value that contains
    ///   the separator, so text cannot be moved from one field to the next without changing the hash.
    static func hash(format: Format, sequence: Int64, time: String, entry: AuditEntry, details: String, previous: String) -> String {
        let duration = entry.durationMilliseconds.map { String($0) }
        let canonical: String
        switch format {
        case .one:
            let fields: [String?] = [
                String(sequence), time, entry.event, entry.tenant, entry.actor, entry.subject, entry.plugin, entry.pluginSHA256,
                entry.parametersDigest, entry.outcome, duration, entry.error, entry.correlationID, details, previous,
            ]
            canonical = fields.map { $0 ?? "\u{0}" }.joined(separator: "\u{1F}")
        case .two:
            let fields: [String?] = [
                String(format.rawValue), String(sequence), time, entry.event, entry.tenant, entry.actor, entry.subject, entry.ticket,
                entry.device, entry.action, entry.site, entry.plugin, entry.pluginSHA256, entry.parametersDigest, entry.outcome,
                duration, entry.error, entry.correlationID, details, previous,
            ]
            canonical = fields.map { field in field.map { "\($0.utf8.count):\($0)" } ?? "-" }.joined()
        }
        return SHA256.hash(data: Data(canonical.utf8)).hexString
    }

    /// The details as a JSON object with keys in order: part of what the chain hashes, so it must
    /// come out the same on every run and every host.
    static func detailsJSON(_ details: [String: String]) -> String {
        "{" + details.sorted { $0.key < $1.key }.map { "\(quoted($0.key)):\(quoted($0.value))" }.joined(separator: ",") + "}"
    }

    /// A JSON string literal (RFC 8259 escapes).
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20: result += String(format: "\\u%04x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    /// An entry's time as stored: ISO 8601 in UTC with milliseconds, so text order is time order.
    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
