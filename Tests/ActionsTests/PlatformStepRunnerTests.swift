import Actions
import Delivery
import Foundation
import PluginHost
import TestSupport
import Testing

/// Plan steps run on Datto RMM devices: the real Datto plugin renders every request and reads
/// every answer, sent over real HTTP to an emulated account on loopback.
@Suite struct PlatformStepRunnerTests {
    typealias Account = DattoAccount

    // MARK: Platform jobs

    @Test func aRebootRunsAsAQuickJobThatIsPolledUntilCompletedAndRead() async throws {
        let account = try await Account.start()
        try account.script(statuses: ["active", "active", "completed"], stdout: "Restarting in 0 s", stderr: "pending updates were postponed")
        let result = try await account.runner.run(Account.reboot(variables: ["Delay": "0", "Force": "true"]), correlationID: "corr-1")
        #expect(result == StepResult(summary: "Datto RMM job \(Account.job): Success", exitCode: nil, standardOutput: "Restarting in 0 s",
                                     standardError: "pending updates were postponed", outputTruncated: false,
                                     details: ["jobUid": Account.job, "deploymentStatus": "Success"]))
        #expect(account.requestLines == [
            "POST /auth/oauth/token", "PUT \(Account.quickJobPath)",
            "GET \(Account.jobPath)", "GET \(Account.jobPath)", "GET \(Account.jobPath)",
            "GET \(Account.resultsPath)", "GET \(Account.resultsPath)/stdout", "GET \(Account.resultsPath)/stderr",
        ])
        let requests = account.emulator.requests
        let token = requests[0]
        #expect(token.headers["authorization"] == "Basic cHVibGljLWNsaWVudDpwdWJsaWM=")
        #expect(token.headers["content-type"] == "application/x-www-form-urlencoded")
        #expect(token.body == "grant_type=password&username=key-datto-1&password=secret-datto-2")
        let quickJob = requests[1]
        #expect(quickJob.headers["content-type"] == "application/json")
        #expect(try Account.json(try #require(quickJob.json)) == Account.json([
            "jobName": "Switchboard: reboot",
            "jobComponent": ["componentUid": "comp-reboot", "variables": [["name": "Delay", "value": "0"], ["name": "Force", "value": "true"]]],
        ]))
        #expect(requests.dropFirst().allSatisfy { $0.headers["authorization"] == "Bearer tok-datto-1" })
        #expect(requests.dropFirst(2).allSatisfy { $0.body.isEmpty })
    }

    @Test func aScriptRunsTheScriptComponentAndItsTokenIsReused() async throws {
        let account = try await Account.start()
        try account.script()
        let step = PlanStep.platformJob(platform: "DattoRMM", device: Account.device, operation: "run-script", variables: ["Script": "cleanup.ps1"])
        let result = try await account.runner.run(step, correlationID: "corr-1")
        #expect(result.summary == "Datto RMM job \(Account.job): Success")
        #expect(result.standardOutput.isEmpty && result.standardError.isEmpty)
        _ = try await account.runner.run(step, correlationID: "corr-2")
        #expect(account.emulator.requests(to: "/auth/oauth/token").count == 1)
        let bodies = account.emulator.requests(to: Account.quickJobPath).map { ($0.json?["jobComponent"] as? [String: Any])?["componentUid"] as? String }
        #expect(bodies == ["comp-script", "comp-script"])
        // No component wrote anything, so no output was asked for.
        #expect(account.emulator.requests(to: "\(Account.resultsPath)/").isEmpty)
    }

    @Test func aWarningIsASuccessThatSaysSoAndLongOutputIsCut() async throws {
        let account = try await Account.start()
        let long = String(repeating: "é", count: 40_000)   // 80,000 bytes of UTF-8
        try account.script(deployment: "Warning", stdout: long)
        let result = try await account.runner.run(Account.reboot(), correlationID: "corr-1")
        #expect(result.summary == "Datto RMM job \(Account.job): Warning")
        #expect(result.details["deploymentStatus"] == "Warning")
        #expect(result.outputTruncated)
        #expect(result.standardOutput == String(repeating: "é", count: 32_768))
    }

    @Test func aFailedJobIsAnErrorCarryingTheEndOfStderr() async throws {
        let account = try await Account.start()
        let stderr = String(repeating: "-", count: 2000) + "\nAccess is denied."
        try account.script(deployment: "Failure", stderr: stderr)
        await #expect(throws: ActionFailure.execution(step: "Datto RMM job \(Account.job)",
                                                      reason: "ended with status Failure; stderr: \(stderr.suffix(1000))")) {
            try await account.runner.run(Account.reboot(), correlationID: "corr-1")
        }
        #expect(account.emulator.requests(to: "\(Account.resultsPath)/stdout").isEmpty)
        #expect(account.emulator.requests(to: "\(Account.resultsPath)/stderr").count == 1)
    }

    @Test func aJobThatNeverCompletesTimesOut() async throws {
        let account = try await Account.start(["JobTimeoutSeconds": 0.3, "JobPollSeconds": 0.05])
        try account.script(statuses: ["active"])
        await #expect(throws: ActionFailure.timeout(step: "Datto RMM job \(Account.job)", seconds: 0.3)) {
            try await account.runner.run(Account.reboot(), correlationID: "corr-1")
        }
        let polls = account.emulator.requests(to: Account.jobPath).map(\.time)
        let started = try #require(account.emulator.requests(to: Account.quickJobPath).first?.time)
        // Polled from the start for JobTimeoutSeconds (not the default ten minutes), and never read.
        #expect(!polls.isEmpty)
        #expect(try #require(polls.last).timeIntervalSince(started) >= 0.3)
        #expect(Date().timeIntervalSince(started) < 30)
        #expect(account.emulator.requests(to: Account.resultsPath).isEmpty)
    }

    @Test func jobTimingMustBePositive() async throws {
        let account = try await Account.start(["JobPollSeconds": 0])
        await #expect(throws: ActionFailure.unsupported(step: "platform-job", reason: "target 'datto': JobPollSeconds must be a positive number of seconds, got 0")) {
            try await account.runner.run(Account.reboot(), correlationID: "corr-1")
        }
        #expect(account.emulator.requests.isEmpty)
    }

    @Test func aMissingComponentIsNamedAndNoJobIsSent() async throws {
        let account = try await Account.start(["RebootComponentUID": NSNull()])
        await #expect(throws: ActionFailure.platform(platform: "dattormm", status: nil, error:
            "switchboard.dattormm: render_action returned SB_ERR_INVALID_INPUT (1): target.RebootComponentUID: missing: set it to the UID of the Datto RMM component that 'reboot' jobs run")) {
            try await account.runner.run(Account.reboot(), correlationID: "corr-1")
        }
        #expect(account.requestLines == ["POST /auth/oauth/token"])
    }

    // MARK: Platform errors

    @Test func anExpiredTokenIsRenewedOnce() async throws {
        let account = try await Account.start()
        try account.script(job: [.init(status: 401, body: #"{"error":"invalid_token","error_description":"Access token expired"}"#),
                                 .init(status: 200, body: Account.json(["uid": Account.job, "status": "completed"]))])
        account.emulator.reply("/auth/oauth/token", .init(status: 200, body: #"{"access_token":"tok-old","expires_in":3600}"#),
                               .init(status: 200, body: #"{"access_token":"tok-new","expires_in":3600}"#))
        let result = try await account.runner.run(Account.reboot(), correlationID: "corr-1")
        #expect(result.summary == "Datto RMM job \(Account.job): Success")
        #expect(account.emulator.requests.map { $0.headers["authorization"] ?? "" } == [
            "Basic cHVibGljLWNsaWVudDpwdWJsaWM=", "Bearer tok-old", "Bearer tok-old",
            "Basic cHVibGljLWNsaWVudDpwdWJsaWM=", "Bearer tok-new", "Bearer tok-new",
        ])
    }

    @Test func aTokenRefusedTwiceIsAnAuthenticationFailure() async throws {
        let account = try await Account.start()
        account.emulator.reply("/api/v2/device", .init(status: 401, body: #"{"error":"invalid_token","error_description":"Access token expired"}"#))
        await #expect(throws: ActionFailure.platform(platform: "dattormm", status: 401,
                                                     error: "authentication failed: HTTP 401: invalid_token: Access token expired")) {
            try await account.runner.run(.remoteSession(platform: "datto", device: Account.device), correlationID: "corr-1")
        }
        #expect(account.emulator.requests(to: "/auth/oauth/token").count == 2)
        #expect(account.emulator.requests(to: "/api/v2/device").count == 2)
    }

    @Test func throttlingHonoursRetryAfterEvenForTheQuickJob() async throws {
        let account = try await Account.start()
        try account.script()
        try account.emulator.reply(Account.quickJobPath, .init(status: 429, headers: ["Retry-After": "1"]),
                                   .init(status: 200, body: Account.json(["job": ["uid": Account.job, "status": "active"]])))
        let result = try await account.runner.run(Account.reboot(), correlationID: "corr-1")
        #expect(result.details["jobUid"] == Account.job)
        let attempts = account.emulator.requests(to: Account.quickJobPath).map(\.time)
        #expect(attempts.count == 2)
        #expect(attempts[1].timeIntervalSince(attempts[0]) >= 1)
    }

    @Test func aServerErrorIsRetriedWithBackoff() async throws {
        let account = try await Account.start()
        try account.script(job: [.init(status: 500, body: "busy"), .init(status: 502),
                                 .init(status: 200, body: Account.json(["uid": Account.job, "status": "completed"]))])
        let result = try await account.runner.run(Account.reboot(), correlationID: "corr-1")
        #expect(result.summary == "Datto RMM job \(Account.job): Success")
        #expect(account.emulator.requests(to: Account.jobPath).filter { !$0.path.contains("/results") }.count == 3)
    }

    @Test func aPlatformThatStaysDownIsGivenUpOn() async throws {
        let account = try await Account.start()
        account.emulator.reply("/api/v2/device", .init(status: 503, body: #"{"status":503,"error":"Service Unavailable","message":"maintenance","path":"/api/v2/device"}"#))
        await #expect(throws: ActionFailure.platform(platform: "dattormm", status: 503,
                                                     error: "gave up after 4 attempts: HTTP 503: Service Unavailable: maintenance (/api/v2/device)")) {
            try await account.runner.run(.remoteSession(platform: "datto", device: Account.device), correlationID: "corr-1")
        }
        #expect(account.emulator.requests(to: "/api/v2/device").count == 4)
    }

    @Test func aQuickJobWhoseAnswerFailedIsNotSentAgain() async throws {
        let account = try await Account.start()
        account.emulator.reply(Account.quickJobPath, .init(status: 500, body: "upstream reset"))
        await #expect(throws: ActionFailure.platform(platform: "dattormm", status: 500,
                                                     error: "upstream reset; the quick job may have been created, so it was not sent again")) {
            try await account.runner.run(Account.reboot(), correlationID: "corr-1")
        }
        #expect(account.emulator.requests(to: Account.quickJobPath).count == 1)
    }

    @Test func aQuickJobThatTimesOutIsNotSentAgain() async throws {
        let account = try await Account.start(requestTimeout: 2)
        account.emulator.reply(Account.quickJobPath, .init(status: 200, delay: .seconds(6)))
        await #expect(throws: ActionFailure.platform(platform: "dattormm", status: nil,
                                                     error: "timed out; the quick job may have been created, so it was not sent again")) {
            try await account.runner.run(Account.reboot(), correlationID: "corr-1")
        }
        #expect(account.emulator.requests(to: Account.quickJobPath).count == 1)
    }

    @Test func aRejectedQuickJobCarriesDattosErrorWithoutSecrets() async throws {
        let account = try await Account.start()
        // A platform that echoes the token and the key it was given.
        account.emulator.reply(Account.quickJobPath, .init(status: 400, body: """
            {"timestamp":1721131200000,"status":400,"error":"Bad Request","message":"Component comp-reboot not found for token tok-datto-1 (key key-datto-1)","path":"\(Account.quickJobPath)"}
            """))
        let failure = ActionFailure.platform(platform: "dattormm", status: 400,
                                             error: "Bad Request: Component comp-reboot not found for token [REDACTED] (key [REDACTED]) (\(Account.quickJobPath))")
        await #expect(throws: failure) { try await account.runner.run(Account.reboot(), correlationID: "corr-1") }
        #expect(failure.description == "dattormm: HTTP 400: Bad Request: Component comp-reboot not found for token [REDACTED] (key [REDACTED]) (\(Account.quickJobPath))")
        #expect(account.emulator.requests(to: Account.quickJobPath).count == 1)
    }

    // MARK: Remote sessions

    @Test func aRemoteSessionGivesTheDevicesWebRemoteURL() async throws {
        let account = try await Account.start()
        try account.emulator.reply("/api/v2/device/\(Account.device)", .init(status: 200, body: Account.json([
            "id": 1, "uid": Account.device, "hostname": "pc-042", "webRemoteUrl": "https://concord.centrastage.net/csm/remote/\(Account.device)",
        ])))
        let result = try await account.runner.run(.remoteSession(platform: "datto", device: Account.device), correlationID: "corr-1")
        #expect(result == StepResult(summary: "Datto RMM web remote for pc-042: https://concord.centrastage.net/csm/remote/\(Account.device)",
                                     details: ["remoteURL": "https://concord.centrastage.net/csm/remote/\(Account.device)", "hostname": "pc-042"]))
        #expect(account.requestLines == ["POST /auth/oauth/token", "GET /api/v2/device/\(Account.device)"])
        #expect(account.emulator.requests.last?.headers["authorization"] == "Bearer tok-datto-1")
    }

    @Test func aDeviceWithoutAWebRemoteURLIsAnError() async throws {
        let account = try await Account.start()
        try account.emulator.reply("/api/v2/device/\(Account.device)", .init(status: 200, body: Account.json(["uid": Account.device, "hostname": "pc-042", "webRemoteUrl": NSNull()])))
        await #expect(throws: ActionFailure.execution(step: "Datto RMM device \(Account.device)",
                                                      reason: "has no web remote URL, so no remote session can be opened through Datto RMM")) {
            try await account.runner.run(.remoteSession(platform: "datto", device: Account.device), correlationID: "corr-1")
        }
    }

    // MARK: Which runner runs what

    @Test func oneRunnerPerPlatformWithAnEnabledTargetAndAnActionPlugin() throws {
        let folder = try TemporaryFolder()
        let configuration = try folder.configuration(["targets": [
            ["Name": "datto-off", "Platform": "DattoRMM", "Enabled": false, "APIEndpoint": "https://merlot-api.centrastage.net"],
            ["Name": "datto-eu", "Platform": "Datto", "Enabled": true, "APIEndpoint": "https://concord-api.centrastage.net"],
            ["Name": "datto-us", "Platform": "Datto", "Enabled": true, "APIEndpoint": "https://zinfandel-api.centrastage.net"],
            ["Name": "slack", "Platform": "Webhook", "Enabled": true, "APIEndpoint": "https://hooks.slack.com/services/T0/B0/X"],
        ]])
        let runners = PlatformStepRunner.runners(configuration: configuration, plugins: Paths.catalog.loaded, transport: AsyncHTTPTransport())
        #expect(runners.map(\.platform) == ["dattormm"])
        #expect(runners.map(\.target.name) == ["datto-eu"])
        #expect(PlatformStepRunner.runners(configuration: configuration, plugins: [], transport: AsyncHTTPTransport()).isEmpty)
    }

    @Test func stepsOfOtherPlatformsAreRefused() async throws {
        let account = try await Account.start()
        await #expect(throws: ActionFailure.unsupported(step: "platform-job", reason: "the step is for platform 'ninjaone', this runner serves dattormm")) {
            try await account.runner.run(Account.reboot(platform: "ninjaone"), correlationID: "corr-1")
        }
        await #expect(throws: ActionFailure.unsupported(step: "local-reboot", reason: "runs on the local device, not through dattormm")) {
            try await account.runner.run(.localReboot(delaySeconds: 0, force: false), correlationID: "corr-1")
        }
        #expect(account.emulator.requests.isEmpty)
    }
}
