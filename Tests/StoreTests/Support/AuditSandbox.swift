import Crypto
import Foundation
import GRDB
import SwitchboardStore
import TestSupport

/// A store in a temporary data directory, where the real `switchboard` binary finds it, and the
/// same SQLite file opened the way an attacker with write access to it would.
struct AuditSandbox {
    let folder: TemporaryFolder
    let store: SQLiteStore
    var path: String { folder.root + "/home/switchboard.sqlite" }

    init() throws {
        folder = try TemporaryFolder()
        store = try SQLiteStore(path: folder.root + "/home/switchboard.sqlite")
    }

    /// Runs `sql` through a plain connection to the file, after dropping the append-only triggers.
    func tamper(_ sql: String, arguments: StatementArguments = []) throws {
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete")
            try db.execute(sql: sql, arguments: arguments)
        }
    }

    func switchboard(_ arguments: [String]) async throws -> ProcessResult {
        try await folder.switchboard(arguments)
    }

    /// A trail to filter: two tenants, entries without a tenant, several sites, actors and outcomes,
    /// and event names that look like `datto.action.*` but are not, one a day from November 20.
    func seed() throws {
        let entries = [
            AuditEntry(event: "datto.action.requested", tenant: "acme", actor: "alice", ticket: "T-1", device: "local", action: "reboot",
                       site: "hq", outcome: "requested"),
            AuditEntry(event: "datto.action.executed", tenant: "acme", actor: "alice", ticket: "T-1", device: "local", action: "reboot",
                       site: "hq", outcome: "executed", durationMilliseconds: 812.5),
            AuditEntry(event: "datto.action.denied", tenant: "globex", actor: "bob", ticket: "T-2", device: "datto:42", action: "run-script",
                       site: "branch", outcome: "denied", error: "action:run-script is not granted to bob in globex"),
            AuditEntry(event: "datto.sync.completed", tenant: "globex", actor: "system", outcome: "completed"),
            AuditEntry(event: "delivery.attempted", subject: "target:slack", outcome: "delivered"),
            AuditEntry(event: "datto.actionable", tenant: "acme", actor: "alice", site: "hq", outcome: "executed"),
            AuditEntry(event: "Datto.action.executed", tenant: "acme", actor: "alice", site: "hq", outcome: "executed"),
        ]
        for (day, entry) in entries.enumerated() {
            try store.append([entry], at: Self.date("2026-11-\(20 + day)T10:00:00Z"))
        }
    }

    static func date(_ text: String) throws -> Date {
        try Date(text, strategy: .iso8601)
    }
}

/// The chain hash computed from the documented canonical forms with `sha256sum`, not the store's code.
enum ExpectedHash {
    /// Format 1: the fields joined with U+001F, an absent value written as U+0000.
    static func format1(sequence: Int64, time: String, _ entry: AuditEntry, details: String, previous: String) throws -> String {
        let fields: [String?] = [
            String(sequence), time, entry.event, entry.tenant, entry.actor, entry.subject, entry.plugin, entry.pluginSHA256,
            entry.parametersDigest, entry.outcome, entry.durationMilliseconds.map { String($0) }, entry.error, entry.correlationID,
            details, previous,
        ]
        return sha256(fields.map { $0 ?? "\u{0}" }.joined(separator: "\u{1F}"))
    }

    /// Format 2: `2`, then the fields (ticket, device, action and site after subject), each as its
    /// UTF-8 length, a colon and its text, an absent value as `-`.
    static func format2(sequence: Int64, time: String, _ entry: AuditEntry, details: String, previous: String) throws -> String {
        let fields: [String?] = [
            "2", String(sequence), time, entry.event, entry.tenant, entry.actor, entry.subject, entry.ticket, entry.device, entry.action,
            entry.site, entry.plugin, entry.pluginSHA256, entry.parametersDigest, entry.outcome,
            entry.durationMilliseconds.map { String($0) }, entry.error, entry.correlationID, details, previous,
        ]
        return sha256(fields.map { $0.map { "\($0.utf8.count):\($0)" } ?? "-" }.joined())
    }

    private static func sha256(_ text: String) -> String {
        SHA256.hash(data: Array(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// Parses RFC 4180 CSV: CRLF between records; a quoted field may hold commas, line breaks and
/// quotes (doubled).
func parseCSV(_ text: String) -> [[String]] {
    let scalars = Array(text.unicodeScalars)
    var records: [[String]] = []
    var record: [String] = []
    var field = String.UnicodeScalarView()
    var quoted = false
    var index = 0
    while index < scalars.count {
        let scalar = scalars[index]
        let next = index + 1 < scalars.count ? scalars[index + 1] : nil
        if quoted {
            if scalar == "\"", next == "\"" {
                field.append(scalar)
                index += 1
            } else if scalar == "\"" {
                quoted = false
            } else {
                field.append(scalar)
            }
        } else if scalar == "\"" {
            quoted = true
        } else if scalar == "," {
            record.append(String(field))
            field = String.UnicodeScalarView()
        } else if scalar == "\r", next == "\n" {
            record.append(String(field))
            records.append(record)
            record = []
            field = String.UnicodeScalarView()
            index += 1
        } else {
            field.append(scalar)
        }
        index += 1
    }
    if !field.isEmpty || !record.isEmpty { records.append(record + [String(field)]) }
    return records
}
