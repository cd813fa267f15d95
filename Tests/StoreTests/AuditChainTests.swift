import Foundation
import GRDB
@testable import SwitchboardStore
import TestSupport
import Testing

/// The hash chain: what it covers, entries written before the field list grew, and tampering with
/// the SQLite file, found by the store and by `switchboard audit verify`.
@Suite struct AuditChainTests {
    @Test func formatTwoHashCoversTicketDeviceActionAndSite() throws {
        let sandbox = try AuditSandbox()
        let entry = AuditEntry(event: "datto.action.executed", tenant: "acme", actor: "alice", subject: "ticket T-9", ticket: "T-9",
                               device: "datto:42", action: "reboot", site: "hq", plugin: "switchboard.reboot@1.0.0",
                               pluginSHA256: String(repeating: "ab", count: 32), parametersDigest: "d1", outcome: "executed",
                               durationMilliseconds: 12.5, error: "none", correlationID: "c-1", details: ["job": "7", "note": "a\u{1F}b"])
        try sandbox.store.append([entry], at: AuditSandbox.date("2026-11-23T10:00:00Z"))
        let recorded = try #require(try sandbox.store.auditEntries(AuditFilter(), limit: nil).first)
        #expect(recorded.format == 2)
        #expect(recorded.time == "2026-11-23T10:00:00.000Z")
        #expect(recorded.entry == entry)
        #expect(recorded.hash == (try ExpectedHash.format2(sequence: 1, time: recorded.time, entry, details: #"{"job":"7","note":"a\u001fb"}"#,
                                                           previous: String(repeating: "0", count: 64))))

        for (column, value) in [("ticket", "T-9"), ("device", "datto:42"), ("action", "reboot"), ("site", "hq")] {
            try sandbox.tamper("UPDATE audit_log SET \(column) = 'forged' WHERE sequence = 1")
            #expect(try sandbox.store.verifyAuditChain().description == "audit entry 1: content does not match its hash", "\(column)")
            try sandbox.tamper("UPDATE audit_log SET \(column) = ? WHERE sequence = 1", arguments: [value])
            #expect(try sandbox.store.verifyAuditChain() == .intact(entries: 1, head: recorded.hash), "\(column)")
        }
    }

    /// Format 1 joined fields with U+001F, so text holding one could move to the next field
    /// unnoticed; format 2's lengths catch it.
    @Test func textMovedAcrossAFieldBoundaryIsFound() throws {
        let sandbox = try AuditSandbox()
        try sandbox.store.append([AuditEntry(event: "datto.action.denied", tenant: "acme", actor: "alice\u{1F}bob")])
        try sandbox.tamper("UPDATE audit_log SET tenant = 'acme' || char(31) || 'alice', actor = 'bob' WHERE sequence = 1")
        #expect(try sandbox.store.verifyAuditChain().description == "audit entry 1: content does not match its hash")
    }

    @Test func entriesWrittenBeforeFormatTwoKeepVerifying() async throws {
        let folder = try TemporaryFolder()
        let path = folder.root + "/switchboard.sqlite"
        // The file as the previous release left it: migrations up to 2-audit, format 1 hashes.
        let legacy = try DatabaseQueue(path: path)
        try SQLiteStore.migrator.migrate(legacy, upTo: "2-audit")
        let old = [
            AuditEntry(event: "delivery.attempted", subject: "target:slack", plugin: "switchboard.webhook@1.1.0", outcome: "delivered",
                       durationMilliseconds: 41.25, correlationID: "c-1", details: ["httpStatus": "200"]),
            AuditEntry(event: "delivery.attempted", subject: "target:psa", outcome: "retry", error: "HTTP 503"),
            AuditEntry(event: "delivery.attempted", subject: "target:psa", outcome: "dead", error: "HTTP 400, \"bad\"\nline 2"),
        ]
        var previous = String(repeating: "0", count: 64)
        var legacyHashes: [String] = []
        for (index, entry) in old.enumerated() {
            let sequence = Int64(index + 1)
            let time = "2026-11-2\(index)T08:00:00.000Z"
            let details = entry.details.isEmpty ? "{}" : #"{"httpStatus":"200"}"#
            let hash = try ExpectedHash.format1(sequence: sequence, time: time, entry, details: details, previous: previous)
            try await legacy.write { [previous] db in
                try db.execute(sql: """
                    INSERT INTO audit_log (sequence, time, event, tenant, actor, subject, plugin, plugin_sha256, parameters_digest,
                        outcome, duration_ms, error, correlation_id, details, previous_hash, hash)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [sequence, time, entry.event, entry.tenant, entry.actor, entry.subject, entry.plugin, entry.pluginSHA256,
                                     entry.parametersDigest, entry.outcome, entry.durationMilliseconds, entry.error, entry.correlationID,
                                     details, previous, hash])
            }
            legacyHashes.append(hash)
            previous = hash
        }
        try legacy.close()

        let store = try SQLiteStore(path: path)
        try store.append([AuditEntry(event: "datto.action.requested", tenant: "acme", ticket: "T-1", action: "reboot"),
                          AuditEntry(event: "datto.action.executed", tenant: "acme", ticket: "T-1", action: "reboot")])
        let entries = try store.auditEntries(AuditFilter(), limit: nil)
        #expect(entries.map(\.format) == [1, 1, 1, 2, 2])
        #expect(entries.prefix(3).map(\.entry) == old)
        #expect(entries[3].previousHash == legacyHashes[2])
        let head = try #require(entries.last?.hash)
        #expect(try store.verifyAuditChain() == .intact(entries: 5, head: head))

        let raw = try DatabaseQueue(path: path)
        func tamper(_ sql: String) throws {
            try raw.write { db in
                try db.execute(sql: "DROP TRIGGER IF EXISTS audit_log_no_update")
                try db.execute(sql: sql)
            }
        }
        try tamper("UPDATE audit_log SET error = 'HTTP 500' WHERE sequence = 2")
        #expect(try store.verifyAuditChain().description == "audit entry 2: content does not match its hash")
        try tamper("UPDATE audit_log SET error = 'HTTP 503' WHERE sequence = 2")
        // Format 1 does not hash the new columns, so a value in one of them is itself the edit.
        try tamper("UPDATE audit_log SET site = 'hq' WHERE sequence = 2")
        #expect(try store.verifyAuditChain().description
                == "audit entry 2: content does not match its hash (a format 1 entry has no ticket, device, action or site)")
        try tamper("UPDATE audit_log SET site = NULL WHERE sequence = 2")
        #expect(try store.verifyAuditChain() == .intact(entries: 5, head: head))
        try tamper("UPDATE audit_log SET format = 2 WHERE sequence = 3")
        #expect(try store.verifyAuditChain().description == "audit entry 3: content does not match its hash")
        try tamper("UPDATE audit_log SET format = 7 WHERE sequence = 3")
        #expect(try store.verifyAuditChain().description == "audit entry 3: unknown hash format 7")
    }

    /// One way of tampering with the file, and what `verify` must say.
    struct Tampering: Sendable, CustomTestStringConvertible {
        let name: String
        let sql: String
        let expected: String
        var testDescription: String { name }
    }

    static let tamperings = [
        Tampering(name: "a field edited", sql: "UPDATE audit_log SET outcome = 'executed' WHERE sequence = 3",
                  expected: "audit entry 3: content does not match its hash"),
        Tampering(name: "the previous-hash link edited", sql: "UPDATE audit_log SET previous_hash = hash WHERE sequence = 4",
                  expected: "audit entry 4: content does not match its hash"),
        Tampering(name: "an entry deleted in the middle", sql: "DELETE FROM audit_log WHERE sequence = 3",
                  expected: "audit entry 3: missing (the next entry present is 4)"),
        Tampering(name: "two entries swapped", sql: """
                  UPDATE audit_log SET sequence = -3 WHERE sequence = 3;
                  UPDATE audit_log SET sequence = 3 WHERE sequence = 4;
                  UPDATE audit_log SET sequence = 4 WHERE sequence = -3;
                  """, expected: "audit entry 3: out of order (it does not link to the entry before it)"),
        Tampering(name: "an entry moved two places back", sql: """
                  UPDATE audit_log SET sequence = -2 WHERE sequence = 2;
                  UPDATE audit_log SET sequence = sequence - 1 WHERE sequence IN (3, 4);
                  UPDATE audit_log SET sequence = 4 WHERE sequence = -2;
                  """, expected: "audit entry 2: out of order (it does not link to the entry before it)"),
        Tampering(name: "a forged entry inserted, linked to its predecessor", sql: """
                  UPDATE audit_log SET sequence = -sequence WHERE sequence >= 3;
                  UPDATE audit_log SET sequence = 1 - sequence WHERE sequence < 0;
                  INSERT INTO audit_log (sequence, time, format, event, tenant, actor, outcome, details, previous_hash, hash)
                      SELECT 3, time, 2, 'datto.action.executed', 'acme', 'mallory', 'executed', '{}', hash, hex(randomblob(32))
                      FROM audit_log WHERE sequence = 2;
                  """, expected: "audit entry 3: not part of the chain (the entry after it links to the entry before it)"),
        Tampering(name: "a forged entry inserted with made-up hashes", sql: """
                  UPDATE audit_log SET sequence = -sequence WHERE sequence >= 2;
                  UPDATE audit_log SET sequence = 1 - sequence WHERE sequence < 0;
                  INSERT INTO audit_log (sequence, time, format, event, details, previous_hash, hash)
                      VALUES (2, '2026-11-21T10:00:00.000Z', 2, 'datto.action.executed', '{}', hex(randomblob(32)), hex(randomblob(32)));
                  """, expected: "audit entry 2: not part of the chain (the entry after it links to the entry before it)"),
        Tampering(name: "an entry's format changed", sql: "UPDATE audit_log SET format = 1 WHERE sequence = 5",
                  expected: "audit entry 5: content does not match its hash"),
    ]

    @Test(arguments: tamperings)
    func tamperingIsFoundAndTheEntryNamed(_ tampering: Tampering) async throws {
        let sandbox = try AuditSandbox()
        try sandbox.seed()
        #expect(try sandbox.store.verifyAuditChain().isIntact)
        try sandbox.tamper(tampering.sql)

        #expect(try sandbox.store.verifyAuditChain().description == tampering.expected)
        let verify = try await sandbox.switchboard(["audit", "verify"])
        #expect(verify.status == 1)
        #expect(verify.stdout == tampering.expected + "\n")
        #expect(verify.stderr == "")
    }

    /// The attacker computes the forged entry's hash correctly; the entry after it still links past it.
    @Test func forgedEntryWithAValidHashIsNamed() async throws {
        let sandbox = try AuditSandbox()
        try sandbox.seed()
        let second = try #require(try sandbox.store.auditEntries(AuditFilter(), limit: 2).last)
        let forged = AuditEntry(event: "datto.action.executed", tenant: "acme", actor: "mallory", outcome: "executed")
        let time = "2026-11-21T12:00:00.000Z"
        let hash = try ExpectedHash.format2(sequence: 3, time: time, forged, details: "{}", previous: second.hash)
        try sandbox.tamper("""
            UPDATE audit_log SET sequence = -sequence WHERE sequence >= 3;
            UPDATE audit_log SET sequence = 1 - sequence WHERE sequence < 0;
            INSERT INTO audit_log (sequence, time, format, event, tenant, actor, outcome, details, previous_hash, hash)
                VALUES (3, ?, 2, ?, ?, ?, ?, '{}', ?, ?);
            """, arguments: [time, forged.event, forged.tenant, forged.actor, forged.outcome, second.hash, hash])

        let expected = "audit entry 3: not part of the chain (the entry after it links to the entry before it)"
        #expect(try sandbox.store.verifyAuditChain().description == expected)
        let verify = try await sandbox.switchboard(["audit", "verify"])
        #expect(verify.status == 1)
        #expect(verify.stdout == expected + "\n")
    }

    @Test func intactTrailReportsItsLengthAndHeadSoTailDeletionShows() async throws {
        let sandbox = try AuditSandbox()
        try sandbox.seed()
        let entries = try sandbox.store.auditEntries(AuditFilter(), limit: nil)
        #expect(try sandbox.store.verifyAuditChain() == .intact(entries: 7, head: entries[6].hash))
        let verify = try await sandbox.switchboard(["audit", "verify"])
        #expect(verify.status == 0)
        #expect(verify.stdout == "audit trail intact: 7 entries, head \(entries[6].hash)\n")
        let json = try await sandbox.switchboard(["audit", "verify", "--json"])
        #expect(json.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["intact"] as? Bool == true)
        #expect(object["entries"] as? Int == 7)
        #expect(object["head"] as? String == entries[6].hash)

        // Deleting the newest entries leaves an intact chain: only the count and head tell.
        try sandbox.tamper("DELETE FROM audit_log WHERE sequence >= 6")
        let shorter = try await sandbox.switchboard(["audit", "verify"])
        #expect(shorter.status == 0)
        #expect(shorter.stdout == "audit trail intact: 5 entries, head \(entries[4].hash)\n")

        try sandbox.tamper("UPDATE audit_log SET actor = 'mallory' WHERE sequence = 2")
        let broken = try await sandbox.switchboard(["audit", "verify", "--json"])
        #expect(broken.status == 1)
        let problem = try #require(try JSONSerialization.jsonObject(with: Data(broken.stdout.utf8)) as? [String: Any])
        #expect(problem["intact"] as? Bool == false)
        #expect(problem["sequence"] as? Int == 2)
        #expect(problem["reason"] as? String == "content does not match its hash")
        #expect(problem["message"] as? String == "audit entry 2: content does not match its hash")
    }

    @Test func emptyTrailIsIntact() async throws {
        let sandbox = try AuditSandbox()
        #expect(try sandbox.store.verifyAuditChain() == .intact(entries: 0, head: String(repeating: "0", count: 64)))
        let verify = try await sandbox.switchboard(["audit", "verify"])
        #expect(verify.stdout == "audit trail intact: 0 entries, head \(String(repeating: "0", count: 64))\n")
    }

    @Test func triggersRefuseUpdateAndDelete() throws {
        let sandbox = try AuditSandbox()
        try sandbox.seed()
        let raw = try DatabaseQueue(path: sandbox.path)
        for sql in ["UPDATE audit_log SET outcome = 'executed' WHERE sequence = 3", "DELETE FROM audit_log WHERE sequence = 7"] {
            let error = #expect(throws: DatabaseError.self) { try raw.write { try $0.execute(sql: sql) } }
            #expect(error?.message == "audit_log is append-only")
            #expect(error?.extendedResultCode == .SQLITE_CONSTRAINT_TRIGGER)
        }
        #expect(try sandbox.store.verifyAuditChain().isIntact)
    }
}

extension AuditChainTests {
    /// A table rebuilt without its constraints can hold what the store never writes: reported, not a crash.
    @Test func valueTheStoreNeverWritesIsReported() async throws {
        let sandbox = try AuditSandbox()
        try sandbox.seed()
        try sandbox.tamper("""
            CREATE TABLE loose AS SELECT * FROM audit_log;
            DROP TABLE audit_log;
            ALTER TABLE loose RENAME TO audit_log;
            UPDATE audit_log SET event = NULL WHERE sequence = 2;
            """)
        let verify = try await sandbox.switchboard(["audit", "verify"])
        #expect(verify.status == 1)
        #expect(verify.stdout == "audit entry 2: unreadable: column event holds NULL\n")
        let list = try await sandbox.switchboard(["audit", "list"])
        #expect(list.status == 1)
        #expect(list.stderr == "switchboard: \(sandbox.path): audit entry 2: column event holds NULL\n")
    }
}
