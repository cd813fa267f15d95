import Foundation

/// The formats `audit export` writes: every field of every entry, including its sequence, time,
/// hash format, previous hash and hash, so an auditor can recompute the chain from the export.
///
/// ```swift
/// var text = AuditExportFormat.csv.header
/// try store.forEachAuditEntry(AuditFilter(), limit: nil) { text += AuditExportFormat.csv.record($0) }
/// ```
public enum AuditExportFormat: String, Sendable, CaseIterable {
    /// RFC 4180: a header row, CRLF line ends, fields holding a comma, quote, CR or LF quoted with
    /// inner quotes doubled. An absent value is an empty field; `details` is its JSON text.
    case csv
    /// JSON Lines: one compact object per line, keys in column order, absent values `null`,
    /// `details` an object.
    case jsonl

    /// The field names, in order: CSV columns and JSON keys.
    public static let fields = [
        "sequence", "time", "format", "event", "tenant", "actor", "subject", "ticket", "device", "action", "site", "plugin",
        "pluginSha256", "parametersDigest", "outcome", "durationMs", "error", "correlationId", "details", "previousHash", "hash",
    ]

    /// What comes before the first record: the header row for CSV, nothing for JSON Lines.
    public var header: String {
        switch self {
        case .csv: Self.fields.joined(separator: ",") + "\r\n"
        case .jsonl: ""
        }
    }

    /// One entry, with its line end.
    public func record(_ recorded: RecordedAuditEntry) -> String {
        let values = Self.values(recorded)
        switch self {
        case .csv:
            return values.map { value in
                switch value {
                case .null: ""
                case .integer(let number): String(number)
                case .number(let number): String(number)
                case .string(let text), .json(let text): Self.csvField(text)
                }
            }.joined(separator: ",") + "\r\n"
        case .jsonl:
            return "{" + zip(Self.fields, values).map { name, value in
                let json = switch value {
                case .null: "null"
                case .integer(let number): String(number)
                case .number(let number): number.isFinite ? String(number) : "null"
                case .string(let text): AuditHash.quoted(text)
                case .json(let text): text
                }
                return AuditHash.quoted(name) + ":" + json
            }.joined(separator: ",") + "}\n"
        }
    }

    private enum Value {
        case null, integer(Int64), number(Double), string(String)
        /// Already JSON (the details object).
        case json(String)
    }

    /// The values of `fields`, in the same order.
    private static func values(_ recorded: RecordedAuditEntry) -> [Value] {
        let entry = recorded.entry
        func text(_ value: String?) -> Value { value.map(Value.string) ?? .null }
        return [
            .integer(recorded.sequence), .string(recorded.time), .integer(Int64(recorded.format)), .string(entry.event),
            text(entry.tenant), text(entry.actor), text(entry.subject), text(entry.ticket), text(entry.device), text(entry.action),
            text(entry.site), text(entry.plugin), text(entry.pluginSHA256), text(entry.parametersDigest), text(entry.outcome),
            entry.durationMilliseconds.map(Value.number) ?? .null, text(entry.error), text(entry.correlationID),
            .json(AuditHash.detailsJSON(entry.details)), .string(recorded.previousHash), .string(recorded.hash),
        ]
    }

    private static func csvField(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { ",\"\r\n".unicodeScalars.contains($0) }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
