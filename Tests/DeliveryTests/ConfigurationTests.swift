import Delivery
import Foundation
import PluginHost
import TestSupport
import Testing

/// Loading delivery configuration: the legacy single-target file, lists, policy, environment, and
/// every problem with its exact message.
@Suite struct ConfigurationTests {
    @Test func legacyRMMConfigFileIsAcceptedAsIs() throws {
        let sandbox = try DeliverySandbox()
        let configuration = try sandbox.configuration("""
            {"Platform": "NinjaRMM", "Enabled": true, "APIEndpoint": "https://api.ninjarmm.com/v2/alerts", "APIKey": "your-api-key-here",
             "CompanyID": "12345", "SendOnDetection": true, "SendOnRemediation": true, "SendOnVerification": false,
             "SendDailySummary": true, "MinimumSeverity": "Warning"}
            """)
        let target = try #require(configuration.targets.first)
        #expect(configuration.targets.count == 1)
        #expect(target.name == "ninjarmm")
        #expect(target.platform == "ninjarmm")
        #expect(target.enabled)
        #expect(target.minimumSeverity == .warning)
        #expect(target.secrets == ["your-api-key-here"])
        #expect(target.accepts(.error, phase: .detection))
        #expect(!target.accepts(.error, phase: .verification))
        #expect(!target.accepts(.info, phase: nil))
    }

    @Test func yamlConfigurationReadsLikeJSONAndIsFoundInTheDataDirectory() throws {
        let sandbox = try DeliverySandbox()
        let yaml = try sandbox.file("config.yaml", """
            targets:
              - Name: ninja
                Platform: NinjaRMM
                Enabled: true
                APIEndpoint: https://api.ninjarmm.com/v2
                APIKey: "secret: with a colon"
                MinimumSeverity: Error
            delivery:
              MaxAttempts: 3
            """)
        let sources = try ConfigurationSources.resolve(configOption: nil, policyOption: nil, environment: [:], dataDirectory: sandbox.root)
        #expect(sources.userFile == yaml)
        let configuration = try DeliveryConfiguration.load(sources, platforms: Paths.platforms)
        let target = try #require(configuration.targets.first)
        #expect(target.platform == "ninjarmm")
        #expect(target.minimumSeverity == .error)
        #expect(target.secrets == ["secret: with a colon"])
        #expect(configuration.policy.maxAttempts == 3)

        try sandbox.file("config.yaml", "targets: [")
        #expect(throws: ConfigurationErrors.self) { try DeliveryConfiguration.load(sources, platforms: Paths.platforms) }
    }

    @Test func defaultsFollowTheRMMIntegrationConfig() throws {
        let sandbox = try DeliverySandbox()
        let target = try #require(try sandbox.configuration(#"{"targets": [{"Name": "hook", "APIEndpoint": "https://example.com/h"}]}"#).targets.first)
        #expect(target.platform == "webhook")
        #expect(!target.enabled)
        #expect(target.settings["SendOnDetection"] == .bool(true))
        #expect(target.settings["SendOnRemediation"] == .bool(true))
        #expect(target.settings["SendOnVerification"] == .bool(false))
        #expect(target.settings["SendDailySummary"] == .bool(true))
        #expect(target.minimumSeverity == .warning)
    }

    @Test func policyWinsOverTheUserAndTheEnvironmentWinsOverBoth() throws {
        let sandbox = try DeliverySandbox()
        let configuration = try sandbox.configuration("""
            {"targets": [{"Name": "slack", "Platform": "Webhook", "Enabled": true, "APIEndpoint": "https://hooks.slack.com/services/T/B/X",
                          "Format": "slack", "MinimumSeverity": "Info"}],
             "delivery": {"MaxAttempts": 3}}
            """, policy: """
            {"targets": [{"Name": "slack", "MinimumSeverity": "Error", "SendOnVerification": true},
                         {"Name": "soc", "Platform": "Webhook", "Enabled": true, "APIEndpoint": "https://soc.example.com/in"}],
             "delivery": {"MaxAttempts": 5, "TimeoutSeconds": 4}}
            """, environment: ["SWITCHBOARD_TARGET_SLACK_MINIMUMSEVERITY": "Critical", "SWITCHBOARD_TARGET_SOC_ENABLED": "false",
                              "SWITCHBOARD_DELIVERY_TIMEOUTSECONDS": "7", "PATH": "/usr/bin"])
        #expect(configuration.targets.map(\.name) == ["slack", "soc"])
        let slack = try #require(configuration.target(named: "slack"))
        #expect(slack.minimumSeverity == .critical)
        #expect(slack.settings["SendOnVerification"] == .bool(true))
        #expect(slack.settings["Format"] == .string("slack"))
        #expect(configuration.target(named: "soc")?.enabled == false)
        #expect(configuration.policy.maxAttempts == 5)
        #expect(configuration.policy.timeoutSeconds == 7)
        #expect(configuration.files.count == 2)
    }

    @Test func thePluginsSectionBelongsToThePolicyFile() throws {
        let sandbox = try DeliverySandbox()
        let plugins = #""plugins": {"requireSignedPlugins": true, "trustedKeys": []}"#
        let configuration = try sandbox.configuration(#"{"targets": []}"#, policy: "{\(plugins), \"delivery\": {\"MaxAttempts\": 4}}")
        #expect(configuration.policy.maxAttempts == 4)
        #expect(throws: ConfigurationErrors(problems: [ConfigurationProblem(location: sandbox.root + "/config.json", field: "plugins",
            reason: "the plugins section belongs in the administrator's policy file (--policy, SWITCHBOARD_POLICY)")])) {
            try sandbox.configuration("{\(plugins)}")
        }
    }

    @Test func everyProblemIsReportedWithItsExactMessage() throws {
        let sandbox = try DeliverySandbox()
        let file = sandbox.root + "/config.json"
        do {
            _ = try sandbox.configuration("""
                {"targets": [
                  {"Name": "a", "Platform": "Webhook", "Enabled": true, "APIEndpoint": "http://hooks.example.com/x", "Formt": "slack"},
                  {"Name": "b", "Platform": "Fax", "Enabled": true, "APIEndpoint": "https://x"},
                  {"Name": "c", "Platform": "Atera", "Enabled": "yes", "APIEndpoint": "https://app.atera.com/api/v3", "MinimumSeverity": "High"},
                  {"Name": "a", "Platform": "Webhook", "APIEndpoint": "https://example.com"},
                  {"Name": "d", "Platform": "Syncro", "Enabled": true}
                ], "delivery": {"MaxAttempts": -1, "Retries": 3}}
                """, environment: ["SWITCHBOARD_TARGET_NOPE_ENABLED": "true", "SWITCHBOARD_TARGET_C_ENABLED": "maybe"])
            Issue.record("expected configuration errors")
        } catch let error as ConfigurationErrors {
            #expect(error.problems.map(\.description) == [
                "\(file): delivery.MaxAttempts: expected a positive number, got -1",
                "\(file): delivery.Retries: unknown field (known: TimeoutSeconds, MaxAttempts, InitialBackoffSeconds, MaxBackoffSeconds)",
                "environment variable SWITCHBOARD_TARGET_C_ENABLED: expected boolean, got 'maybe'",
                "environment variable SWITCHBOARD_TARGET_NOPE_ENABLED: no target matches (targets: a, b, c, d)",
                "\(file): targets[0].Formt: unknown setting for platform webhook (known: Name, Platform, Enabled, APIEndpoint, APIKey, CompanyID, ClientID, SendOnDetection, SendOnRemediation, SendOnVerification, SendDailySummary, MinimumSeverity, AllowInsecureHTTP, Format, Secret)",
                "\(file): targets[0].APIEndpoint: plain http is only allowed to this machine (loopback); use https or set AllowInsecureHTTP",
                "\(file): targets[1].Platform: no platform plugin for \"Fax\" (available: atera, connectwise, dattormm, ninjarmm, syncro, webhook)",
                "\(file): targets[2].Enabled: expected boolean, got string",
                "\(file): targets[2].MinimumSeverity: expected one of Info, Warning, Error, Critical, got 'High'",
                "\(file): targets[3].Name: target name 'a' is used twice; give each target its own Name",
                "\(file): targets[4].APIEndpoint: an enabled target needs an endpoint URL",
            ])
        }
    }

    @Test func aFileHoldingSecretsMustNotBeReadableByOthers() throws {
        let sandbox = try DeliverySandbox()
        let path = try sandbox.file("config.json", #"{"Platform": "Atera", "APIEndpoint": "https://app.atera.com/api/v3", "APIKey": "k-123456"}"#, mode: 0o644)
        #expect(throws: ConfigurationErrors(problems: [ConfigurationProblem(
            location: path, field: "APIKey",
            reason: "the file holds this secret but is readable by group or others (mode 644); run chmod 600 \(path)")])) {
            try DeliveryConfiguration.load(ConfigurationSources(userFile: path, policyFile: nil, environment: [:]), platforms: Paths.platforms)
        }
        // Without secrets the same mode is fine.
        let open = try sandbox.file("open.json", #"{"Platform": "Webhook", "APIEndpoint": "https://example.com/h"}"#, mode: 0o644)
        #expect(try DeliveryConfiguration.load(ConfigurationSources(userFile: open, policyFile: nil, environment: [:]),
                                               platforms: Paths.platforms).targets.count == 1)
    }

    @Test func namedFilesMustExistAndMalformedFilesSayWhere() throws {
        let sandbox = try DeliverySandbox()
        #expect(throws: ConfigurationErrors(problems: [ConfigurationProblem(location: sandbox.root + "/none.json", field: nil, reason: "no such file")])) {
            try ConfigurationSources.resolve(configOption: sandbox.root + "/none.json", policyOption: nil, environment: [:], dataDirectory: sandbox.root)
        }
        let broken = try sandbox.file("broken.json", #"{"targets": [ "#)
        #expect(throws: ConfigurationErrors(problems: [ConfigurationProblem(location: broken, field: nil,
                                                                            reason: "malformed JSON: unexpected end of the document")])) {
            try DeliveryConfiguration.load(ConfigurationSources(userFile: broken, policyFile: nil, environment: [:]), platforms: Paths.platforms)
        }
        let resolved = try ConfigurationSources.resolve(configOption: nil, policyOption: nil, environment: ["SWITCHBOARD_CONFIG": broken],
                                                        dataDirectory: sandbox.root)
        #expect(resolved.userFile == broken)
    }

    @Test func backoffGrowsExponentiallyWithJitterUpToTheCap() {
        var policy = DeliveryPolicy()
        policy.initialBackoffSeconds = 2
        policy.maxBackoffSeconds = 30
        #expect(policy.backoff(afterAttempt: 1, random: 1) == 2)
        #expect(policy.backoff(afterAttempt: 1, random: 0) == 1)
        #expect(policy.backoff(afterAttempt: 3, random: 1) == 8)
        #expect(policy.backoff(afterAttempt: 10, random: 1) == 30)
        #expect(policy.backoff(afterAttempt: 10, random: 0) == 15)
    }
}
