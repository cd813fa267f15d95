import Foundation
import PluginHost
import TestSupport
import Testing

/// The delivery commands of the real `switchboard` binary.
@Suite struct DeliveryCommandTests {
    func run(_ sandbox: DeliverySandbox, _ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        let result = try await sandbox.switchboard(arguments, home: sandbox.root)
        return (result.status, result.stdout, result.stderr)
    }

    @Test func alertSendDeliversAndTheOutboxShowsIt() async throws {
        let emulator = try await PlatformEmulator.start()
        emulator.reply("/hook", .init(status: 200, body: "ok"))
        emulator.reply("/api/v3/tickets", .init(status: 201, body: #"{"ActionID":"77"}"#))
        let sandbox = try DeliverySandbox()
        try sandbox.file("config.json", targets("""
            {"Name": "hook", "Enabled": true, "APIEndpoint": "\(emulator.url)/hook"},
            {"Name": "atera", "Platform": "Atera", "Enabled": true, "APIEndpoint": "\(emulator.url)/api/v3", "APIKey": "atera-key-77", "EndUserID": 5, "MinimumSeverity": "Critical"}
            """))
        let sent = try await run(sandbox, ["alert", "send", "--severity", "Critical", "--message", "C: full", "--module", "Disk", "--phase", "remediation",
                                     "--data-json", #"{"drive": "C"}"#])
        #expect(sent.status == 0, "\(sent.stderr)")
        #expect(sent.stdout == "hook (webhook): delivered (HTTP 200)\natera (atera): delivered (HTTP 201, created 77)\n")
        #expect((emulator.requests(to: "/hook").first?.json?["data"] as? [String: String]) == ["drive": "C"])

        let skipped = try await run(sandbox, ["alert", "send", "--severity", "Info", "--message", "fine", "--module", "Disk"])
        #expect(skipped.status == 0)
        #expect(skipped.stderr == "switchboard: no enabled target accepts a Info alert\n")

        let listed = try await run(sandbox, ["outbox", "list", "--json"])
        guard case .array(let messages) = try JSONValue.parse(Data(listed.stdout.utf8)) else { Issue.record("not an array"); return }
        #expect(messages.map { $0["status"] } == [.string("delivered"), .string("delivered")])
        #expect(messages.map { $0["remoteId"] } == [.null, .string("77")])

        let targetsListed = try await run(sandbox, ["targets", "list", "--json"])
        #expect(targetsListed.stdout.contains("[REDACTED]"))
        #expect(!targetsListed.stdout.contains("atera-key-77"))
        await emulator.stop()
    }

    @Test func badInputAndBadConfigurationAreRefusedWithExactMessages() async throws {
        let sandbox = try DeliverySandbox()
        let badSeverity = try await run(sandbox, ["alert", "send", "--severity", "High", "--message", "m", "--module", "M"])
        #expect(badSeverity.status == 64)
        #expect(badSeverity.stderr.contains("--severity: expected one of Info, Warning, Error, Critical, got 'High'"))

        let config = try sandbox.file("config.json", #"{"targets": [{"Name": "x", "Platform": "Syncro", "Enabled": true, "APIEndpoint": "https://acme.syncromsp.com/api/v1", "APIKey": "syncro-key-1"}]}"#)
        let check = try await run(sandbox, ["config", "check"])
        #expect(check.status == 1)
        #expect(check.stdout == """
            x (syncro): switchboard.syncro: render_alert returned SB_ERR_INVALID_INPUT (1): target.CompanyID: missing
            problems: 1 targets, 1 enabled (\(config))

            """)

        try sandbox.file("config.json", #"{"targets": [{"Name": "x", "MinimumSeverity": "Loud"}]}"#)
        let invalid = try await run(sandbox, ["targets", "list"])
        #expect(invalid.status == 1)
        #expect(invalid.stderr == "switchboard: \(config): targets[0].MinimumSeverity: expected one of Info, Warning, Error, Critical, got 'Loud'\n")

        let noFile = try await run(sandbox, ["outbox", "flush", "--config", sandbox.root + "/missing.json"])
        #expect(noFile.status == 1)
        #expect(noFile.stderr == "switchboard: \(sandbox.root)/missing.json: no such file\n")
    }
}
