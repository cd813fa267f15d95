import Crypto
import Foundation
import GRDB

/// One entry of the append-only audit trail. Secrets never go in: parameters are recorded as a
/// digest, and `details` holds only non-secret facts (target, platform, HTTP status, ...).
public struct AuditEntry: Sendable, Equatable {
    public var event: String
    public var tenant: String?
    public var actor: String?
    /// What the entry is about: a ticket, a device, a delivery target.
    public var subject: String?
    /// `id@version` of the plugin involved, and its library's SHA-256.
    public var plugin: String?
    public var pluginSHA256: String?
    public var parametersDigest: String?
    public var outcome: String?
    public var durationMilliseconds: Double?
    public var error: String?
    public var correlationID: String?
    /// Further facts, as a JSON object with sorted keys.
    public var details: [String: String]

    public init(event: String, tenant: String? = nil, actor: String? = nil, subject: String? = nil, plugin: String? = nil,
                pluginSHA256: String? = nil, parametersDigest: String? = nil, outcome: String? = nil,
                durationMilliseconds: Double? = nil, error: String? = nil, correlationID: String? = nil, details: [String: String] = [:]) {
        self.event = event
        self.tenant = tenant
        self.actor = actor
        self.subject = subject
        self.plugin = plugin
        self.pluginSHA256 = pluginSHA256
        self.parametersDigest = parametersDigest
        self.outcome = outcome
        self.durationMilliseconds = durationMilliseconds
        self.error = error
        self.correlationID = correlationID
        self.details = details
    }
}

/// An entry as stored: its place in the chain and its hashes.
public struct RecordedAuditEntry: Sendable, Equatable {
    public let sequence: Int64
    public let time: String
    public let entry: AuditEntry
    public let previousHash: String
    public let hash: String
}

/// The audit trail: entries are appended, each carrying the SHA-256 of the one before, so any
/// edit or deletion breaks the chain and `verify` finds it.
public protocol AuditTrail: Sendable {
    func append(_ entries: [AuditEntry]) throws(StoreError)
    func auditEntries(event: String?, limit: Int) throws(StoreError) -> [RecordedAuditEntry]
    /// The first entry whose hash or link does not match, or nil when the chain is intact.
    func verifyAuditChain() throws(StoreError) -> AuditChainBreak?
}

/// Where the audit chain is broken.
public struct AuditChainBreak: Sendable, Equatable, CustomStringConvertible {
    public let sequence: Int64
    public let reason: String
    public var description: String { "audit entry \(sequence): \(reason)" }
}

extension SQLiteStore: AuditTrail {
    static let genesisHash = String(repeating: "0", count: 64)

    public func append(_ entries: [AuditEntry]) throws(StoreError) {
        try write { db in try Self.append(entries, in: db) }
    }

    /// Appends inside the caller's transaction, so an entry commits with what it records.
    static func append(_ entries: [AuditEntry], in db: Database) throws {
        let last = try Row.fetchOne(db, sql: "SELECT sequence, hash FROM audit_log ORDER BY sequence DESC LIMIT 1")
        var sequence: Int64 = last?["sequence"] ?? 0
        var previous: String = last?["hash"] ?? genesisHash
        let time = Self.timestamp()
        for entry in entries {
            sequence += 1
            let hash = chainHash(sequence: sequence, time: time, entry: entry, previous: previous)
            try db.execute(sql: """
                INSERT INTO audit_log (sequence, time, event, tenant, actor, subject, plugin, plugin_sha256, parameters_digest,
                    outcome, duration_ms, error, correlation_id, details, previous_hash, hash)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [sequence, time, entry.event, entry.tenant, entry.actor, entry.subject, entry.plugin,
                                 entry.pluginSHA256, entry.parametersDigest, entry.outcome, entry.durationMilliseconds,
                                 entry.error, entry.correlationID, detailsJSON(entry.details), previous, hash])
            previous = hash
        }
    }

    public func auditEntries(event: String?, limit: Int) throws(StoreError) -> [RecordedAuditEntry] {
        try read { db in
            let rows = if let event {
                try Row.fetchAll(db, sql: "SELECT * FROM audit_log WHERE event = ? ORDER BY sequence LIMIT ?", arguments: [event, limit])
            } else {
                try Row.fetchAll(db, sql: "SELECT * FROM audit_log ORDER BY sequence LIMIT ?", arguments: [limit])
            }
            return rows.map(Self.recorded)
        }
    }

    public func verifyAuditChain() throws(StoreError) -> AuditChainBreak? {
        try read { db in
            var expectedSequence: Int64 = 1
            var previous = Self.genesisHash
            let cursor = try Row.fetchCursor(db, sql: "SELECT * FROM audit_log ORDER BY sequence")
            while let row = try cursor.next() {
                let recorded = Self.recorded(row)
                if recorded.sequence != expectedSequence {
                    return AuditChainBreak(sequence: expectedSequence, reason: "missing (next present is \(recorded.sequence))")
                }
                if recorded.previousHash != previous {
                    return AuditChainBreak(sequence: recorded.sequence, reason: "previous-hash link does not match the entry before it")
                }
                let hash = Self.chainHash(sequence: recorded.sequence, time: recorded.time, entry: recorded.entry, previous: previous)
                if hash != recorded.hash {
                    return AuditChainBreak(sequence: recorded.sequence, reason: "content does not match its hash")
                }
                previous = recorded.hash
                expectedSequence += 1
            }
            return nil
        }
    }

    private static func recorded(_ row: Row) -> RecordedAuditEntry {
        let detailsText: String = row["details"]
        let details = (try? JSONSerialization.jsonObject(with: Data(detailsText.utf8))) as? [String: String] ?? [:]
        return RecordedAuditEntry(
            sequence: row["sequence"], time: row["time"],
            entry: AuditEntry(event: row["event"], tenant: row["tenant"], actor: row["actor"], subject: row["subject"],
                              plugin: row["plugin"], pluginSHA256: row["plugin_sha256"], parametersDigest: row["parameters_digest"],
                              outcome: row["outcome"], durationMilliseconds: row["duration_ms"], error: row["error"],
                              correlationID: row["correlation_id"], details: details),
            previousHash: row["previous_hash"], hash: row["hash"])
    }

    /// SHA-256 over every field in a fixed order, NUL marking an absent value and US separating
    /// fields, then the previous entry's hash.
    static func chainHash(sequence: Int64, time: String, entry: AuditEntry, previous: String) -> String {
        let fields: [String?] = [
            String(sequence), time, entry.event, entry.tenant, entry.actor, entry.subject, entry.plugin, entry.pluginSHA256,
            entry.parametersDigest, entry.outcome, entry.durationMilliseconds.map { String($0) }, entry.error,
            entry.correlationID, detailsJSON(entry.details), previous,
        ]
        let canonical = fields.map { $0 ?? "\u{0}" }.joined(separator: "\u{1F}")
        return SHA256.hash(data: Data(canonical.utf8)).hexString
    }

    /// The details as a JSON object with keys in order: part of what the chain hashes, so it must
    /// come out the same on every run and every host.
    static func detailsJSON(_ details: [String: String]) -> String {
        "{" + details.sorted { $0.key < $1.key }.map { "\(quoted($0.key)):\(quoted($0.value))" }.joined(separator: ",") + "}"
    }

    /// A JSON string literal (RFC 8259 escapes).
    private static func quoted(_ text: String) -> String {
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

    static func timestamp() -> String {
        Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}

extension Sequence<UInt8> {
    /// Lowercase hexadecimal, two digits a byte.
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        for byte in self {
            bytes.append(digits[Int(byte >> 4)])
            bytes.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
