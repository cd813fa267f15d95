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
        let stalled = folder.root + "/stalled.pid"
        // Reboots run one at a time on the one device; the 15th stalls until the kill, so the kill
        // always lands mid-stream, however slowly this test is scheduled.
        let command = try folder.write("""
            #!/bin/sh
            echo ran >> \(log)
            if [ "$(wc -l < \(log))" -ge 15 ]; then echo $$ > \(stalled).new; mv \(stalled).new \(stalled); exec sleep 60; fi
            sleep 0.01

            """, to: "fake-reboot.sh", mode: 0o755)
        for arguments in [["tenants", "add", "acme"], ["principals", "add", "alice"], ["access", "grant", "alice", "technician", "--tenant", "acme"],
                          ["devices", "register-local", "--tenant", "acme"]] {
            #expect(try await folder.switchboard(arguments).status == 0)
        }
        for index in 0..<20 {
            #expect(try await folder.switchboard(["tickets", "create", "--tenant", "acme", "--title", "t\(index)", "--device", "local"]).status == 0)
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
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, !FileManager.default.fileExists(atPath: stalled) {
            try await Task.sleep(for: .milliseconds(5))
        }
        kill(process.processIdentifier, SIGKILL)
        if let pid = try? String(contentsOfFile: stalled, encoding: .utf8), let stalledReboot = Int32(pid.trimmingCharacters(in: .whitespacesAndNewlines)) {
            kill(stalledReboot, SIGKILL)
        }
        while process.isRunning { try await Task.sleep(for: .milliseconds(5)) }
        #expect(process.terminationReason == .uncaughtSignal)

        let ran = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").count
        let store = try SQLiteStore(path: folder.root + "/home/switchboard.sqlite")
        let entries = try store.auditEntries(AuditFilter(), limit: nil).map(\.entry)
        let requested = Set(entries.filter { $0.event == ActionEvent.requested }.compactMap(\.correlationID))
        let closed = entries.filter { $0.event == ActionEvent.executed || $0.event == ActionEvent.failed }
        #expect(ran >= 15 && ran < 400)
        #expect(closed.allSatisfy { requested.contains($0.correlationID ?? "") })
        // Every reboot that ran was requested durably first; some may not have their closing entry.
        #expect(requested.count >= ran)
        #expect(closed.count <= ran)
        #expect(try store.verifyAuditChain().isIntact)
        #expect(try await folder.switchboard(["audit", "verify"]).status == 0)
    }
}
