import Foundation
import TestSupport
import Testing

/// The `datto` commands that need no Datto account: secrets, settings, mapping errors, status.
@Suite struct DattoCommandTests {
    let folder: TemporaryFolder

    init() throws { folder = try TemporaryFolder() }

    var settingsFile: String { folder.root + "/home/datto.json" }

    @Test func connectNeedsASecretFromStdinOrTheEnvironment() async throws {
        let missing = try await folder.switchboard(["datto", "connect", "--api-url", "https://concord-api.centrastage.net", "--username", "key", "--no-test"])
        #expect(missing.status == 64)
        #expect(missing.stderr.contains("no API secret: use --password-stdin, SWITCHBOARD_DATTO_PASSWORD, or --password"))
        let empty = try await folder.switchboard(["datto", "connect", "--api-url", "https://concord-api.centrastage.net", "--username", "key",
                                            "--password-stdin", "--no-test"], stdin: "")
        #expect(empty.status == 64 && empty.stderr.contains("--password-stdin: standard input is empty"))
        #expect(!FileManager.default.fileExists(atPath: settingsFile))
    }

    @Test func connectStoresTheSecretInAPrivateFile() async throws {
        let stored = try await folder.switchboard(["datto", "connect", "--api-url", "https://concord-api.centrastage.net", "--username", "key-1",
                                             "--password-stdin", "--set", "RebootComponentUID=comp-1", "--no-test"], stdin: "s3cret-value\n")
        #expect(stored.status == 0, "\(stored.stderr)")
        #expect(stored.stdout == "stored the Datto RMM connection to https://concord-api.centrastage.net in \(settingsFile)\n")
        var status = stat()
        #expect(stat(settingsFile, &status) == 0 && status.st_mode & 0o777 == 0o600)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: settingsFile))) as? [String: Any])
        let connection = try #require(json["connection"] as? [String: Any])
        #expect(connection["APISecret"] as? String == "s3cret-value" && connection["RebootComponentUID"] as? String == "comp-1")
        // From the environment too; the secret is never printed.
        let again = try await folder.switchboard(["datto", "connect", "--api-url", "https://concord-api.centrastage.net", "--username", "key-1", "--no-test"],
                                           environment: ["SWITCHBOARD_DATTO_PASSWORD": "from-env-secret"])
        #expect(again.status == 0 && !again.stdout.contains("from-env-secret"))
        let audit = try await folder.switchboard(["audit", "list", "--json"])
        #expect(audit.stdout.contains("datto.connected") && !audit.stdout.contains("s3cret-value"))
    }

    @Test func anUnknownTargetSettingIsRefusedWithItsField() async throws {
        let result = try await folder.switchboard(["datto", "connect", "--api-url", "https://concord-api.centrastage.net", "--username", "key-1",
                                             "--password-stdin", "--set", "Colour=blue", "--no-test"], stdin: "secret\n")
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(settingsFile): connection.Colour: unknown setting for platform dattormm"))
    }

    @Test func aSettingsFileReadableByOthersIsRefused() async throws {
        try folder.write(#"{"connection": {"APIEndpoint": "https://concord-api.centrastage.net", "APIKey": "k", "APISecret": "s"}}"#,
                         to: "home/datto.json", mode: 0o644)
        let result = try await folder.switchboard(["datto", "test"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(settingsFile): connection.APIKey: the file holds this secret but is readable by group or others (mode 644); run chmod 600 \(settingsFile)"))
    }

    @Test func badSettingsAreAllReportedWithTheirFields() async throws {
        try folder.write(#"{"syncInterval": "2h", "autoResolve": {"delayMinutes": -1, "colour": 1}, "queues": {"Performance": 3}, "extra": true}"#,
                         to: "home/datto.json")
        let result = try await folder.switchboard(["datto", "status"])
        #expect(result.status == 1)
        #expect(result.stderr == """
            switchboard: \(settingsFile): autoResolve.colour: unknown setting (known: delayMinutes, enabled, note, notify, sla)
            switchboard: \(settingsFile): autoResolve.delayMinutes: expected a number of minutes (0 or more), got -1
            switchboard: \(settingsFile): extra: unknown setting (known: connection, webhookSecret, categories, queues, assignees, autoResolve, failureAlerts, syncInterval)
            switchboard: \(settingsFile): queues.Performance: expected a non-empty string, got 3
            switchboard: \(settingsFile): syncInterval: expected one of 15m, 1h, 4h, got "2h"

            """)
    }

    @Test func notConnectedCommandsSaySo() async throws {
        let result = try await folder.switchboard(["datto", "sync"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("not connected to Datto RMM (\(settingsFile) has no connection): run switchboard datto connect"))
        let status = try await folder.switchboard(["datto", "status", "--json"])
        #expect(status.status == 0 && status.stdout.contains(#""connected" : false"#))
    }

    @Test func webhookSecretIsGeneratedOnceAndSetFromStdin() async throws {
        let generated = try await folder.switchboard(["datto", "webhook-secret"])
        #expect(generated.status == 0)
        let secret = generated.stdout.trimmingCharacters(in: .newlines)
        #expect(secret.count == 64 && secret.allSatisfy(\.isHexDigit))
        #expect(try await folder.switchboard(["datto", "webhook-secret", "--show"]).stdout == "a webhook secret is set (\(settingsFile))\n")
        let short = try await folder.switchboard(["datto", "webhook-secret", "--stdin"], stdin: "short\n")
        #expect(short.status == 64 && short.stderr.contains("--stdin: expected a secret of at least 16 characters"))
        let set = try await folder.switchboard(["datto", "webhook-secret", "--stdin"], stdin: "a-long-enough-shared-secret\n")
        #expect(set.status == 0 && set.stdout == "webhook secret set\n")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: settingsFile))) as? [String: Any])
        #expect(json["webhookSecret"] as? String == "a-long-enough-shared-secret")
    }

    @Test func mappingAnUnknownSiteFails() async throws {
        let result = try await folder.switchboard(["datto", "sites", "map", "no-such-site", "acme"])
        #expect(result.status == 1)
        #expect(result.stderr == "switchboard: unknown Datto site 'no-such-site': run 'switchboard datto sites' to list the sites Datto has\n")
    }
}
