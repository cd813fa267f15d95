import Actions
import Delivery
import Foundation
import TestSupport
import Testing

/// A Datto RMM account emulated on loopback, and the platform runner that a configuration with
/// one Datto target gives for it (the real Datto plugin, real HTTP). Job polls every 10 ms.
struct DattoAccount {
    static let device = "31fcea20-3924-c976-0a59-52ec4a2bbf6f"
    static let job = "c0a1b2c3-0000-4000-8000-000000000001"
    static let jobPath = "/api/v2/job/\(job)"
    static let resultsPath = "/api/v2/job/\(job)/results/\(device)"
    static let quickJobPath = "/api/v2/device/\(device)/quickjob"

    let emulator: PlatformEmulator
    let folder: TemporaryFolder
    let runner: PlatformStepRunner

    /// The Datto target's settings: the defaults below with `changes` applied (NSNull removes one).
    /// Requests time out after `requestTimeout` seconds (generous: tests run in parallel).
    static func start(_ changes: [String: Any] = [:], requestTimeout: Double = 10) async throws -> DattoAccount {
        let emulator = try await PlatformEmulator.start()
        emulator.reply("/auth/oauth/token", .init(status: 200, body: #"{"access_token":"tok-datto-1","token_type":"bearer","expires_in":3600}"#))
        var target: [String: Any] = [
            "Name": "datto", "Platform": "Datto", "Enabled": true, "APIEndpoint": emulator.url,
            "APIKey": "key-datto-1", "APISecret": "secret-datto-2", "RebootComponentUID": "comp-reboot", "ScriptComponentUID": "comp-script",
            "JobPollSeconds": 0.01, "JobTimeoutSeconds": 5,
        ]
        for (key, value) in changes { target[key] = value is NSNull ? nil : value }
        let folder = try TemporaryFolder()
        let configuration = try folder.configuration(["targets": [target],
                                                      "delivery": ["TimeoutSeconds": requestTimeout, "InitialBackoffSeconds": 0.01, "MaxBackoffSeconds": 0.05]])
        let runners = PlatformStepRunner.runners(configuration: configuration, plugins: Paths.catalog.loaded, transport: AsyncHTTPTransport())
        return DattoAccount(emulator: emulator, folder: folder, runner: try #require(runners.first))
    }

    /// Scripts a job: the quick job is accepted, its status goes through `statuses` (or the
    /// status endpoint answers `job`), and its results, stdout and stderr are as given (a
    /// component has output when its text is given).
    func script(statuses: [String] = ["completed"], job: [PlatformEmulator.Reply]? = nil, deployment: String = "Success",
                stdout: String? = nil, stderr: String? = nil) throws {
        emulator.reply(Self.quickJobPath, .init(status: 200, body: try Self.json([
            "job": ["id": 123456, "uid": Self.job, "name": "Switchboard: reboot", "dateCreated": 1721131200000, "status": "active"],
            "jobComponents": [["uid": "comp-reboot", "name": "Reboot", "variables": []]],
        ])))
        // The job's path is a prefix of its results' paths, so it is scripted before them.
        try emulator.reply(Self.jobPath, job ?? statuses.map { .init(status: 200, body: try Self.json(["id": 123456, "uid": Self.job, "status": $0])) })
        emulator.reply(Self.resultsPath, .init(status: 200, body: try Self.json([
            "jobUid": Self.job, "deviceUid": Self.device, "ranOn": 1721131200000, "jobDeploymentStatus": deployment,
            "componentResults": [["componentUid": "comp-reboot", "componentName": "Reboot", "componentStatus": deployment == "Failure" ? "Failure" : "Success",
                                  "numberOfWarnings": deployment == "Warning" ? 1 : 0, "hasStdOut": stdout != nil, "hasStdErr": stderr != nil]],
        ])))
        for (stream, text) in [("stdout", stdout), ("stderr", stderr)] {
            guard let text else { continue }
            emulator.reply("\(Self.resultsPath)/\(stream)", .init(status: 200, body: try Self.json([
                ["componentUid": "comp-reboot", "componentName": "Reboot", "stdData": text],
            ])))
        }
    }

    /// `METHOD path` of every request the account received, in order.
    var requestLines: [String] { emulator.requests.map { "\($0.method) \($0.path)" } }

    static func json(_ value: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]), as: UTF8.self)
    }

    static func reboot(on device: String = device, platform: String = "datto", variables: [String: String] = [:]) -> PlanStep {
        .platformJob(platform: platform, device: device, operation: "reboot", variables: variables)
    }
}

extension TemporaryFolder {
    /// Writes `document` as the configuration file (mode 0600) and loads it with the bundled platform plugins.
    func configuration(_ document: [String: Any]) throws -> DeliveryConfiguration {
        let file = try write(try DattoAccount.json(document), to: "config.json")
        return try DeliveryConfiguration.load(ConfigurationSources(userFile: file, policyFile: nil, environment: [:]), platforms: Paths.platforms)
    }
}
