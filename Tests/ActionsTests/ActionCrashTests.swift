import Actions
import Foundation
import SwitchboardStore
import TestSupport
import Testing

/// SIGKILL in the middle of a stream of actions run by the real binary: afterwards every action
/// that ran has its `requested` entry, and the audit chain verifies.
@Suite struct ActionCrashTests {
    @Test func killedMidStreamLeavesEvidenceForEveryActionThatRan() async throws {
        let folder = try TemporaryFolder()
        let log = folder.root + "/reboots.log"
        // The harmless reboot command takes a while, so the kill lands while actions are in flight.
        let command = try folder.write("#!/bin/sh\necho ran >> \(log)\nsleep 0.02\n", to: "fake-reboot.sh", mode: 0o755)
        for arguments in [["tenants", "add", "acme"], ["principals", "add", "alice"], ["access", "grant", "alice", "technician", "--tenant", "acme"],
                          ["devices", "register-local", "--tenant", "acme"]] {
            #expect(try folder.switchboard(arguments).status == 0)
        }
        for index in 0..<20 {
            #expect(try folder.switchboard(["tickets", "create", "--tenant", "acme", "--title", "t\(index)", "--device", "local"]).status == 0)
        }
        let lines = (0..<400).map { #"{"action": "reboot", "ticket": \#($0 % 20 + 1), "as": "alice"}"# }
        let requests = try folder.write(lines.joined(separator: "\n") + "\n", to: "requests.jsonl")

        let process = Process()
        process.executableURL = URL(fileURLWithPath: Paths.switchboard)
        process.arguments = ["actions", "batch", requests, "--concurrency", "32"]
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SWITCHBOARD_") }
        environment["SWITCHBOARD_HOME"] = folder.root + "/home"
        environment["SWITCHBOARD_LOCAL_REBOOT_COMMAND"] = command
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").count < 15 {
            try await Task.sleep(for: .milliseconds(5))
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)

        let ran = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").count
        let store = try SQLiteStore(path: folder.root + "/home/switchboard.sqlite")
        let entries = try store.auditEntries(AuditFilter(), limit: nil).map(\.entry)
        let requested = Set(entries.filter { $0.event == ActionEvent.requested }.compactMap(\.correlationID))
        let closed = entries.filter { $0.event == ActionEvent.executed || $0.event == ActionEvent.failed }
        #expect(ran >= 15)
        #expect(ran < 400, "the kill came after the stream ended")
        #expect(closed.allSatisfy { requested.contains($0.correlationID ?? "") })
        // Every reboot that ran was requested durably first; some may not have their closing entry.
        #expect(requested.count >= ran)
        #expect(closed.count <= ran)
        #expect(try store.verifyAuditChain().isIntact)
        #expect(try folder.switchboard(["audit", "verify"]).status == 0)
    }
}
