import Foundation
import SwitchboardStore
import TestSupport
import Testing

/// `switchboard audit list` and `audit export` through the real binary.
@Suite struct AuditCommandTests {
    @Test func listFiltersAndPrintsATable() async throws {
        let sandbox = try AuditSandbox()
        try sandbox.seed()
        let list = try await sandbox.switchboard(["audit", "list", "--event", "datto.action.*", "--tenant", "globex", "--tenant", "acme",
                                            "--since", "2026-11-21", "--until", "2026-11-22T10:00:00.001Z"])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout == """
            SEQ  TIME                      EVENT                  TENANT  ACTOR  SUBJECT                                       OUTCOME   ERROR
            2    2026-11-21T10:00:00.000Z  datto.action.executed  acme    alice  ticket=T-1 device=local action=reboot         executed  -
            3    2026-11-22T10:00:00.000Z  datto.action.denied    globex  bob    ticket=T-2 device=datto:42 action=run-script  denied    action:run-script is not granted to bob in globex

            """)

        func sequences(_ arguments: [String]) async throws -> [Int] {
            let result = try await sandbox.switchboard(["audit", "list", "--json"] + arguments)
            #expect(result.status == 0, "\(result.stderr)")
            let array = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
            return array.compactMap { $0["sequence"] as? Int }
        }
        #expect(try await sequences([]) == [1, 2, 3, 4, 5, 6, 7])
        #expect(try await sequences(["--status", "executed", "--site", "hq"]) == [2, 6, 7])
        #expect(try await sequences(["--actor", "alice", "--event", "datto.actionable", "--event", "datto.action.requested"]) == [1, 6])
        #expect(try await sequences(["--since", "2026-11-24T10:00:00+01:00"]) == [5, 6, 7])
        #expect(try await sequences(["--tenant", "initech"]) == [])
        #expect(try await sequences(["--limit", "2"]) == [1, 2])

        let empty = try await sandbox.switchboard(["audit", "list", "--tenant", "initech"])
        #expect(empty.stdout == "SEQ  TIME  EVENT  TENANT  ACTOR  SUBJECT  OUTCOME  ERROR\n(no audit entries)\n")
    }

    @Test func relativePeriodsCountBackFromNow() async throws {
        let sandbox = try AuditSandbox()
        try sandbox.store.append([AuditEntry(event: "datto.sync.completed")], at: Date().addingTimeInterval(-3 * 86400))
        try sandbox.store.append([AuditEntry(event: "datto.sync.completed")], at: Date().addingTimeInterval(-2 * 3600))
        try sandbox.store.append([AuditEntry(event: "datto.sync.completed")], at: Date().addingTimeInterval(-10 * 60))
        for (since, expected) in [("30m", [3]), ("3h", [2, 3]), ("1d", [2, 3]), ("4d", [1, 2, 3])] {
            let result = try await sandbox.switchboard(["audit", "list", "--json", "--since", since])
            let array = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
            #expect(array.compactMap { $0["sequence"] as? Int } == expected, "\(since)")
        }
    }

    @Test(arguments: [
        (["audit", "list", "--since", "yesterday"], "--since: expected an ISO 8601 date (2026-11-23) or date-time (2026-11-23T10:00:00Z), or a period back from now (30m, 24h, 7d), got 'yesterday'"),
        (["audit", "list", "--since", "2026-02-30"], "--since: expected an ISO 8601 date (2026-11-23) or date-time (2026-11-23T10:00:00Z), or a period back from now (30m, 24h, 7d), got '2026-02-30'"),
        (["audit", "list", "--since", "2026-11-23T10:00:00"], "--since: expected an ISO 8601 date (2026-11-23) or date-time (2026-11-23T10:00:00Z), or a period back from now (30m, 24h, 7d), got '2026-11-23T10:00:00'"),
        (["audit", "export", "--format", "csv", "--until", "7w"], "--until: expected an ISO 8601 date (2026-11-23) or date-time (2026-11-23T10:00:00Z), or a period back from now (30m, 24h, 7d), got '7w'"),
        (["audit", "list", "--event", "datto*"], "--event: '*' may only end a pattern, after a dot (datto.action.*), got 'datto*'"),
        (["audit", "list", "--limit=-1"], "--limit: expected 0 or more, got -1"),
        (["audit", "export", "--format", "xml"], "--format: expected csv or jsonl, got 'xml'"),
    ])
    func badInputIsAUsageError(arguments: [String], message: String) async throws {
        let sandbox = try AuditSandbox()
        let result = try await sandbox.switchboard(arguments)
        #expect(result.status == 64)
        #expect(result.stdout == "")
        #expect(result.stderr.hasPrefix("Error: \(message)\n"), "\(result.stderr)")
    }

    /// Entries whose fields need quoting or escaping, exported and parsed back.
    func awkwardTrail() throws -> AuditSandbox {
        let sandbox = try AuditSandbox()
        try sandbox.seed()
        try sandbox.store.append([
            AuditEntry(event: "datto.action.failed", tenant: "acme", actor: "o'brien, pat", ticket: "T-\"7\"", device: "datto:42",
                       action: "run-script", plugin: "switchboard.runscript@1.0.0", pluginSHA256: String(repeating: "c", count: 64),
                       parametersDigest: "p1", outcome: "failed", durationMilliseconds: 0.25,
                       error: "exit 2: \"disk, full\"\nsecond line\r\nthird\tline \u{1}", correlationID: "corr-9",
                       details: ["stdout": "a,b\n\"c\"", "ünïcode": "✓"]),
        ], at: AuditSandbox.date("2026-11-27T10:00:00Z"))
        return sandbox
    }

    /// What each export column but `details` must hold for `recorded`; nil for an absent value.
    func expectedFields(_ recorded: RecordedAuditEntry) -> [String: String?] {
        let entry = recorded.entry
        return [
            "sequence": String(recorded.sequence), "time": recorded.time, "format": String(recorded.format), "event": entry.event,
            "tenant": entry.tenant, "actor": entry.actor, "subject": entry.subject, "ticket": entry.ticket, "device": entry.device,
            "action": entry.action, "site": entry.site, "plugin": entry.plugin, "pluginSha256": entry.pluginSHA256,
            "parametersDigest": entry.parametersDigest, "outcome": entry.outcome, "durationMs": entry.durationMilliseconds.map { String($0) },
            "error": entry.error, "correlationId": entry.correlationID,
            "previousHash": recorded.previousHash, "hash": recorded.hash,
        ]
    }

    @Test func listKeepsEachEntryOnOneLine() async throws {
        let sandbox = try awkwardTrail()
        let list = try await sandbox.switchboard(["audit", "list", "--event", "datto.action.failed"])
        let lines = list.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.last?.hasSuffix("failed   exit 2: \"disk, full\" second line  third line  ") == true, "\(list.stdout)")
    }

    @Test func csvExportRoundTrips() async throws {
        let sandbox = try awkwardTrail()
        let entries = try sandbox.store.auditEntries(AuditFilter(), limit: nil)
        let export = try await sandbox.switchboard(["audit", "export", "--format", "csv"])
        #expect(export.status == 0, "\(export.stderr)")
        #expect(export.stdout.contains("\"exit 2: \"\"disk, full\"\"\nsecond line\r\nthird\tline \u{1}\""))
        let records = parseCSV(export.stdout)
        let header = try #require(records.first)
        #expect(header == ["sequence", "time", "format", "event", "tenant", "actor", "subject", "ticket", "device", "action", "site", "plugin",
                           "pluginSha256", "parametersDigest", "outcome", "durationMs", "error", "correlationId", "details",
                           "previousHash", "hash"])
        #expect(records.count == entries.count + 1)
        for (record, recorded) in zip(records.dropFirst(), entries) {
            #expect(record.count == header.count)
            let expected = expectedFields(recorded)
            for (name, value) in zip(header, record) {
                let wanted = expected[name] ?? nil
                // CSV has no null: an absent value is an empty field; details are compared as JSON.
                if name == "details" {
                    #expect(try JSONSerialization.jsonObject(with: Data(value.utf8)) as? [String: String] == recorded.entry.details)
                } else {
                    #expect(value == wanted ?? "", "\(recorded.sequence) \(name)")
                }
            }
        }
    }

    @Test func jsonLinesExportRoundTripsToStdoutAndToAFile() async throws {
        let sandbox = try awkwardTrail()
        let entries = try sandbox.store.auditEntries(AuditFilter(), limit: nil)
        let export = try await sandbox.switchboard(["audit", "export", "--format", "jsonl"])
        #expect(export.status == 0, "\(export.stderr)")
        let lines = export.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == entries.count + 1)
        #expect(lines.last == "")
        for (line, recorded) in zip(lines, entries) {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(Set(object.keys) == Set(expectedFields(recorded).keys).union(["details"]))
            #expect(object["details"] as? [String: String] == recorded.entry.details)
            for (name, wanted) in expectedFields(recorded) {
                let value = object[name]
                switch name {
                case "sequence", "format": #expect((value as? Int).map(String.init) == wanted, "\(name)")
                case "durationMs": #expect((value as? Double).map { String($0) } == wanted, "\(name)")
                default:
                    if let wanted { #expect(value as? String == wanted, "\(recorded.sequence) \(name)") } else { #expect(value is NSNull, "\(name)") }
                }
            }
        }

        let file = sandbox.folder.root + "/exports/audit.jsonl"
        try FileManager.default.createDirectory(atPath: sandbox.folder.root + "/exports", withIntermediateDirectories: true)
        let toFile = try await sandbox.switchboard(["audit", "export", "--format", "jsonl", "--event", "datto.action.*", "--output", file])
        #expect(toFile.status == 0, "\(toFile.stderr)")
        #expect(toFile.stdout == "")
        let written = try String(contentsOfFile: file, encoding: .utf8)
        #expect(written == lines.filter { $0.contains(#""event":"datto.action."#) }.map { $0 + "\n" }.joined())
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.folder.root + "/exports") == ["audit.jsonl"])
        #expect((try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int) == 0o600)

        let nowhere = try await sandbox.switchboard(["audit", "export", "--format", "csv", "--output", sandbox.folder.root + "/missing/audit.csv"])
        #expect(nowhere.status == 1)
        #expect(nowhere.stderr == "switchboard: \(sandbox.folder.root)/missing/audit.csv: cannot write: No such file or directory\n")
    }
}
