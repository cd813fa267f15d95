import Foundation
import SwitchboardStore
import TestSupport
import Testing

/// `switchboard tenants|principals|access|devices|tickets` through the real binary.
@Suite struct AccessCommandTests {
    /// Runs the binary, expecting `status`, and returns stdout.
    @discardableResult
    func run(_ folder: TemporaryFolder, _ arguments: [String], status: Int32 = 0, stderr: String? = nil,
             sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let result = try await folder.switchboard(arguments)
        #expect(result.status == status, "\(arguments): \(result.stderr)", sourceLocation: sourceLocation)
        if let stderr { #expect(result.stderr == stderr, sourceLocation: sourceLocation) }
        return result.stdout
    }

    func seeded() async throws -> TemporaryFolder {
        let folder = try TemporaryFolder()
        try await run(folder, ["tenants", "add", "acme", "--name", "Acme Inc"])
        try await run(folder, ["tenants", "add", "globex"])
        try await run(folder, ["principals", "add", "alice", "--display-name", "Alice"])
        try await run(folder, ["principals", "add", "bob"])
        try await run(folder, ["access", "grant", "alice", "technician", "--tenant", "acme"])
        try await run(folder, ["devices", "register-local", "--tenant", "acme", "--name", "switchboard-host"])
        return folder
    }

    @Test func managementCommandsAndTheirMistakes() async throws {
        let folder = try await seeded()
        #expect(try await run(folder, ["tenants", "list"]) == "acme\tAcme Inc\nglobex\tglobex\n")
        try await run(folder, ["tenants", "add", "acme"], status: 1, stderr: "switchboard: tenant 'acme' already exists\n")
        try await run(folder, ["tenants", "add", "Acme"], status: 64)
        try await run(folder, ["access", "grant", "carol", "viewer", "--tenant", "acme"], status: 1,
                stderr: "switchboard: unknown principal 'carol' (add it with `switchboard principals add`)\n")
        try await run(folder, ["access", "grant", "alice", "viewer", "--tenant", "initech"], status: 1, stderr: "switchboard: unknown tenant 'initech'\n")
        try await run(folder, ["access", "grant", "alice", "action:rebot", "--tenant", "acme"], status: 1,
                stderr: "switchboard: unknown permission 'action:rebot' (known: action:reboot, action:remote-connection, action:run-script, audit:read, plugins:manage, tickets:read, tickets:write)\n")
        try await run(folder, ["access", "grant", "alice", "viewer"], status: 64)
        #expect(try await run(folder, ["access", "grant", "alice", "technician", "--tenant", "acme"]) == "already there: grant technician to alice in tenant acme\n")
        #expect(try await run(folder, ["access", "deny", "alice", "action:run-script", "--tenant", "acme"]) == "added: deny action:run-script to alice in tenant acme\n")
        #expect(try await run(folder, ["access", "list", "alice"]) == """
            alice\tacme\tdeny\taction:run-script\t(switchboard access)
            alice\tacme\tgrant\ttechnician\t(switchboard access)

            """)
        #expect(try await run(folder, ["access", "revoke", "alice", "action:run-script", "--tenant", "acme", "--deny"])
                == "removed: deny action:run-script to alice in tenant acme\n")
        #expect(try await run(folder, ["access", "revoke", "alice", "viewer", "--tenant", "acme"]) == "no such rule: grant viewer to alice in tenant acme\n")
    }

    @Test func ticketsAreScopedToTheCallersTenants() async throws {
        let folder = try await seeded()
        try await run(folder, ["tickets", "create", "--tenant", "acme", "--title", "Disk full", "--device", "local", "--priority", "high", "--as", "alice"])
        try await run(folder, ["tickets", "create", "--tenant", "globex", "--title", "Printer jam"])
        try await run(folder, ["tickets", "create", "--tenant", "globex", "--title", "x", "--as", "alice"], status: 1,
                stderr: "switchboard: denied: alice has no grant of tickets:write in tenant globex (deny by default)\n")
        try await run(folder, ["tickets", "create", "--tenant", "globex", "--title", "x", "--device", "local"], status: 1,
                stderr: "switchboard: device 'local' belongs to another tenant\n")
        try await run(folder, ["tickets", "create", "--tenant", "acme", "--title", "x", "--priority", "urgent"], status: 64)

        #expect(try await run(folder, ["tickets", "list", "--as", "alice"]) == "#1\tacme\tnew\thigh\tlocal\tDisk full\n")
        #expect(try await run(folder, ["tickets", "list"]).split(separator: "\n").count == 2)
        #expect(try await run(folder, ["tickets", "list", "--as", "bob"]) == "")
        try await run(folder, ["tickets", "list", "--as", "carol"], status: 1, stderr: "switchboard: unknown principal 'carol'\n")
        // Another tenant's ticket and a missing one read the same to the caller.
        try await run(folder, ["tickets", "show", "2", "--as", "alice"], status: 1,
                stderr: "switchboard: ticket 2: no such ticket among the tenants where alice holds tickets:read\n")
        try await run(folder, ["tickets", "show", "9", "--as", "alice"], status: 1,
                stderr: "switchboard: ticket 9: no such ticket among the tenants where alice holds tickets:read\n")

        try await run(folder, ["tickets", "note", "1", "--text", "Cleaning up temp files", "--as", "alice"])
        try await run(folder, ["tickets", "update", "1", "--status", "in-progress", "--queue", "Tier 2", "--as", "alice"])
        let shown = try await JSONSerialization.jsonObject(with: Data(try run(folder, ["tickets", "show", "1", "--json", "--as", "alice"]).utf8)) as? [String: Any]
        #expect(shown?["status"] as? String == "in-progress")
        #expect(shown?["queue"] as? String == "Tier 2")
        #expect(shown?["priority"] as? String == "high")
        #expect((shown?["notes"] as? [[String: Any]])?.first?["text"] as? String == "Cleaning up temp files")

        let store = try SQLiteStore(path: folder.root + "/home/switchboard.sqlite")
        let events = try store.auditEntries(AuditFilter(), limit: 100).map { "\($0.entry.event) \($0.entry.actor ?? "-") \($0.entry.outcome ?? "-")" }
        #expect(events.contains("ticket.created alice ok"))
        #expect(events.contains("ticket.denied alice denied"))
        #expect(events.contains("ticket.note.added alice ok"))
        #expect(events.contains("ticket.updated alice ok"))
        #expect(events.contains("access.granted \(events.first { $0.hasPrefix("access.granted") }?.split(separator: " ")[1] ?? "?") ok"))
        #expect(try store.verifyAuditChain().isIntact)
    }

    @Test func auditListIsScopedToTheTenantsWhereTheCallerHoldsAuditRead() async throws {
        let folder = try await seeded()
        try await run(folder, ["access", "grant", "bob", "auditor", "--tenant", "globex"])
        try await run(folder, ["tickets", "create", "--tenant", "globex", "--title", "Printer jam"])
        func tenants(_ arguments: [String]) async throws -> [String] {
            let entries = try await JSONSerialization.jsonObject(with: Data(try run(folder, ["audit", "list", "--json"] + arguments).utf8)) as? [[String: Any]]
            return (entries ?? []).map { $0["tenant"] as? String ?? "-" }
        }
        let all = try await tenants([])
        #expect(Set(all) == ["acme", "globex", "-"])
        let bobs = try await tenants(["--as", "bob"])
        #expect(!bobs.isEmpty && bobs.allSatisfy { $0 == "globex" })
        #expect(try await tenants(["--as", "alice"]).isEmpty)
        #expect(try await tenants(["--as", "bob", "--tenant", "acme"]).isEmpty)
    }

    @Test func devicesListIsScopedToo() async throws {
        let folder = try await seeded()
        #expect(try await run(folder, ["devices", "list", "--as", "alice"]) == "local\tacme\tlocal\tswitchboard-host\n")
        #expect(try await run(folder, ["devices", "list", "--as", "bob"]) == "")
        #expect(try await run(folder, ["devices", "list", "--tenant", "globex"]) == "")
    }
}
