import Foundation
import GRDB

/// One entry of the append-only audit trail. Secrets never go in: parameters are recorded as a
/// digest, and `details` holds only non-secret facts (target, platform, HTTP status, ...).
///
/// ```swift
/// try store.append([AuditEntry(event: "datto.action.requested", tenant: "acme", actor: "alice",
///                              ticket: "T-17", device: "local", action: "reboot")])
/// ```
public struct AuditEntry: Sendable, Equatable {
    public var event: String
    public var tenant: String?
    public var actor: String?
    /// What the entry is about when it is not a ticket, device or action: a delivery target, a plugin.
    public var subject: String?
    public var ticket: String?
    public var device: String?
    /// The action requested or run: `reboot`, `run-script`, `remote-connection`.
    public var action: String?
    public var site: String?
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

    public init(event: String, tenant: String? = nil, actor: String? = nil, subject: String? = nil, ticket: String? = nil,
                device: String? = nil, action: String? = nil, site: String? = nil, plugin: String? = nil,
                pluginSHA256: String? = nil, parametersDigest: String? = nil, outcome: String? = nil,
                durationMilliseconds: Double? = nil, error: String? = nil, correlationID: String? = nil, details: [String: String] = [:]) {
        self.event = event
        self.tenant = tenant
        self.actor = actor
        self.subject = subject
        self.ticket = ticket
        self.device = device
        self.action = action
        self.site = site
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

/// An entry as stored: its place in the chain, the hash format it was written with, and its hashes.
public struct RecordedAuditEntry: Sendable, Equatable {
    public let sequence: Int64
    /// ISO 8601 in UTC with milliseconds (`2026-11-23T10:00:00.000Z`).
    public let time: String
    /// Which fields the hash covers: 1 for entries written before tickets, devices, actions and
    /// sites were recorded; 2 since.
    public let format: Int
    public let entry: AuditEntry
    public let previousHash: String
    public let hash: String
}

/// The audit trail: entries are appended, each carrying the SHA-256 of the one before, so any
/// edit, deletion, reordering or insertion breaks the chain and `verifyAuditChain` names it.
public protocol AuditTrail: Sendable {
    /// Appends `entries` in one transaction, stamped with `time`.
    func append(_ entries: [AuditEntry], at time: Date) throws(StoreError)
    /// The entries `filter` selects, in sequence order, at most `limit` of them (the first ones).
    func auditEntries(_ filter: AuditFilter, limit: Int?) throws(StoreError) -> [RecordedAuditEntry]
    /// Hands the entries `filter` selects to `body` one at a time, in sequence order, from one
    /// consistent snapshot, without loading them all. Store failures are thrown as `StoreError`;
    /// an error `body` throws stops the walk and is rethrown as it is.
    func forEachAuditEntry(_ filter: AuditFilter, limit: Int?, _ body: (RecordedAuditEntry) throws -> Void) throws
    /// Recomputes the chain: how many entries and the head hash when intact, else the first bad entry.
    func verifyAuditChain() throws(StoreError) -> AuditVerification
}

extension AuditTrail {
    /// Appends `entries` in one transaction, stamped with the current time.
    public func append(_ entries: [AuditEntry]) throws(StoreError) {
        try append(entries, at: Date())
    }
}

extension SQLiteStore: AuditTrail {
    public func append(_ entries: [AuditEntry], at time: Date) throws(StoreError) {
        try write { db in try Self.append(entries, in: db, at: time) }
    }

    /// Appends inside the caller's transaction, so an entry commits with what it records.
    static func append(_ entries: [AuditEntry], in db: Database, at date: Date = Date()) throws {
        // Cached statements: preparing one costs more than running it (GRDB's authorizer reads every column).
        let last = try Row.fetchOne(db.cachedStatement(sql: "SELECT sequence, hash FROM audit_log ORDER BY sequence DESC LIMIT 1"))
        var sequence: Int64 = last?["sequence"] ?? 0
        var previous: String = last?["hash"] ?? AuditHash.genesis
        let time = AuditHash.timestamp(date)
        for entry in entries {
            sequence += 1
            let details = AuditHash.detailsJSON(entry.details)
            let hash = AuditHash.hash(format: AuditHash.currentFormat, sequence: sequence, time: time, entry: entry,
                                      details: details, previous: previous)
            try db.cachedStatement(sql: """
                INSERT INTO audit_log (sequence, time, format, event, tenant, actor, subject, ticket, device, action, site, plugin,
                    plugin_sha256, parameters_digest, outcome, duration_ms, error, correlation_id, details, previous_hash, hash)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [sequence, time, AuditHash.currentFormat.rawValue, entry.event, entry.tenant, entry.actor, entry.subject,
                                 entry.ticket, entry.device, entry.action, entry.site, entry.plugin, entry.pluginSHA256,
                                 entry.parametersDigest, entry.outcome, entry.durationMilliseconds, entry.error,
                                 entry.correlationID, details, previous, hash])
            previous = hash
        }
    }

    public func auditEntries(_ filter: AuditFilter, limit: Int?) throws(StoreError) -> [RecordedAuditEntry] {
        try read { db in
            var entries: [RecordedAuditEntry] = []
            let cursor = try Self.auditRows(filter, limit: limit, in: db)
            while let row = try cursor.next() { entries.append(try Self.recorded(row)) }
            return entries
        }
    }

    public func forEachAuditEntry(_ filter: AuditFilter, limit: Int?, _ body: (RecordedAuditEntry) throws -> Void) throws {
        var failure: (any Error)?
        try read { db in
            let cursor = try Self.auditRows(filter, limit: limit, in: db)
            while let row = try cursor.next() {
                let entry = try Self.recorded(row)
                do { try body(entry) } catch {
                    failure = error
                    return
                }
            }
        }
        if let failure { throw failure }
    }

    private static func auditRows(_ filter: AuditFilter, limit: Int?, in db: Database) throws -> RowCursor {
        let (condition, arguments) = filter.sql
        var sql = "SELECT * FROM audit_log WHERE \(condition) ORDER BY sequence"
        var all = arguments
        if let limit {
            sql += " LIMIT ?"
            all += [limit]
        }
        return try Row.fetchCursor(db, sql: sql, arguments: all)
    }

    /// A stored row as an entry, and its details exactly as stored (what the hash covers).
    static func stored(_ row: Row) throws(UnreadableColumn) -> (recorded: RecordedAuditEntry, details: String) {
        let sequence: Int64? = try? row.decode(forColumn: "sequence")
        func value<Value: DatabaseValueConvertible>(_ column: String) throws(UnreadableColumn) -> Value {
            do { return try row.decode(forColumn: column) } catch {
                throw UnreadableColumn(sequence: sequence, column: column,
                                       value: row.hasColumn(column) ? (row[column] as DatabaseValue).description : "nothing (no such column)")
            }
        }
        let detailsText: String = try value("details")
        let details = (try? JSONSerialization.jsonObject(with: Data(detailsText.utf8))) as? [String: String] ?? [:]
        let entry = AuditEntry(event: try value("event"), tenant: try value("tenant"), actor: try value("actor"), subject: try value("subject"),
                               ticket: try value("ticket"), device: try value("device"), action: try value("action"), site: try value("site"),
                               plugin: try value("plugin"), pluginSHA256: try value("plugin_sha256"),
                               parametersDigest: try value("parameters_digest"), outcome: try value("outcome"),
                               durationMilliseconds: try value("duration_ms"), error: try value("error"),
                               correlationID: try value("correlation_id"), details: details)
        let recorded = RecordedAuditEntry(sequence: try value("sequence"), time: try value("time"), format: try value("format"), entry: entry,
                                          previousHash: try value("previous_hash"), hash: try value("hash"))
        return (recorded, detailsText)
    }

    static func recorded(_ row: Row) throws(UnreadableColumn) -> RecordedAuditEntry {
        try stored(row).recorded
    }
}

/// A column of a stored audit entry holding a value the store never writes (only a table rebuilt
/// by hand can hold one).
struct UnreadableColumn: Error, CustomStringConvertible {
    let sequence: Int64?
    let column: String
    let value: String
    var problem: String { "column \(column) holds \(value)" }
    var description: String { sequence.map { "audit entry \($0): \(problem)" } ?? problem }
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
