import Actions
import Foundation
import PluginHost
import TestSupport
import Testing

/// The bundled action plugins called through the real host with the `plan_action` input the router
/// sends, for local and Datto RMM devices; their plans read back through `ExecutionPlan`.
@Suite struct ActionPluginTests {
    /// The `plan_action` input for `action` on a device, with `parameters` checked against the
    /// plugin's manifest first (as the router does).
    static func input(_ action: String, platform: String, device: String, _ parameters: [String: String],
                      plugin: String) throws -> JSONValue {
        let checked = try Paths.catalog.plugin(id: plugin).manifest.parameters(fromText: parameters)
        return .object([
            "action": .string(action),
            "device": .object(["id": .string(device), "platform": .string(platform), "name": .string("pc-042")]),
            "parameters": .object(checked),
            "ticket": .object(["id": .string("T-42"), "tenant": .string("acme")]),
            "correlationId": .string("c0a1"),
        ])
    }

    static func plan(_ plugin: String, _ input: JSONValue) throws -> ExecutionPlan {
        let output = try Paths.catalog.plugin(id: plugin).call(.planAction, input: input.serialized())
        return try ExecutionPlan(json: JSONValue.parse(output), plugin: plugin)
    }

    /// What `plan_action` refuses `input` with: status and message.
    static func refusal(_ plugin: String, _ input: String) throws -> String {
        let loaded = try Paths.catalog.plugin(id: plugin)
        do {
            _ = try loaded.call(.planAction, input: Data(input.utf8))
            return "no error"
        } catch {
            guard case .failed(_, _, let status, let message) = error else { return error.description }
            return "\(PluginStatus.name(status)): \(message)"
        }
    }

    // MARK: RunScript

    @Test func runScriptPlansALocalScript() throws {
        let plan = try Self.plan("switchboard.run-script", Self.input(
            "run-script", platform: "local", device: "local",
            ["script": "maintenance/cleanup.sh", "arguments": " -v  --older-than\t30 "], plugin: "switchboard.run-script"))
        #expect(plan == ExecutionPlan(
            steps: [.localScript(script: "maintenance/cleanup.sh", arguments: ["-v", "--older-than", "30"], timeoutSeconds: 300)],
            summary: "run script maintenance/cleanup.sh with 3 arguments on local device local"))
        let quoted = try Self.plan("switchboard.run-script", Self.input(
            "run-script", platform: "local", device: "local",
            ["script": "a.sh", "arguments": #"'$HOME' "b c" *"#, "timeoutSeconds": "5"], plugin: "switchboard.run-script"))
        #expect(quoted.steps == [.localScript(script: "a.sh", arguments: ["'$HOME'", "\"b", "c\"", "*"], timeoutSeconds: 5)])
    }

    @Test func runScriptPlansADattoJob() throws {
        let plan = try Self.plan("switchboard.run-script", Self.input(
            "run-script", platform: "datto", device: "7f3c-91", ["script": "cleanup.ps1", "arguments": "-Force"],
            plugin: "switchboard.run-script"))
        #expect(plan == ExecutionPlan(
            steps: [.platformJob(platform: "datto", device: "7f3c-91", operation: "run-script",
                                 variables: ["script": "cleanup.ps1", "arguments": "-Force"])],
            summary: "run script cleanup.ps1 with 1 argument on Datto RMM device 7f3c-91"))
        let bare = try Self.plan("switchboard.run-script", Self.input(
            "run-script", platform: "datto", device: "7f3c-91", ["script": "inventory.ps1"], plugin: "switchboard.run-script"))
        #expect(bare.steps == [.platformJob(platform: "datto", device: "7f3c-91", operation: "run-script",
                                            variables: ["script": "inventory.ps1", "arguments": ""])])
        #expect(bare.summary == "run script inventory.ps1 on Datto RMM device 7f3c-91")
    }

    @Test func runScriptRefusesWhatItCannotPlan() throws {
        func refusal(_ parameters: String, platform: String = "local") throws -> String {
            try Self.refusal("switchboard.run-script", #"{"device": {"id": "local", "platform": "\#(platform)"}, "parameters": \#(parameters)}"#)
        }
        #expect(try refusal(#"{"script": "/etc/passwd"}"#)
                == "SB_ERR_INVALID_INPUT (1): parameters.script: must be a path relative to the script folder, got '/etc/passwd'")
        #expect(try refusal(#"{"script": "../x"}"#)
                == "SB_ERR_INVALID_INPUT (1): parameters.script: must not contain '..' components, got '../x'")
        #expect(try refusal(#"{"script": "tools/../../x"}"#, platform: "datto")
                == "SB_ERR_INVALID_INPUT (1): parameters.script: must not contain '..' components, got 'tools/../../x'")
        #expect(try refusal(#"{"script": "a\nb.sh"}"#) == "SB_ERR_INVALID_INPUT (1): parameters.script: must not contain control characters")
        #expect(try refusal(#"{"script": "\#(String(repeating: "a", count: 256))"}"#)
                == "SB_ERR_INVALID_INPUT (1): parameters.script: longer than 255 characters")
        #expect(try refusal(#"{"arguments": "-v"}"#) == "SB_ERR_INVALID_INPUT (1): parameters.script: missing")
        #expect(try refusal(#"{"script": "a.sh", "timeoutSeconds": 0}"#)
                == "SB_ERR_INVALID_INPUT (1): parameters.timeoutSeconds: expected an integer between 1 and 3600, got 0")
        #expect(try refusal(#"{"script": "a.sh", "arguments": 5}"#) == "SB_ERR_INVALID_INPUT (1): parameters.arguments: expected a string")
        #expect(try refusal(#"{"script": "a.sh"}"#, platform: "atera")
                == "SB_ERR_UNSUPPORTED (2): device.platform: run-script is not supported on platform 'atera' (supported: local, datto)")
        #expect(try Self.refusal("switchboard.run-script", #"{"action": "reboot", "device": {"id": "local", "platform": "local"}}"#)
                == #"SB_ERR_INVALID_INPUT (1): action: expected "run-script", got "reboot""#)
        #expect(try Self.refusal("switchboard.run-script", #"{"parameters": {"script": "a.sh"}}"#) == "SB_ERR_INVALID_INPUT (1): device: missing")
        #expect(try Self.refusal("switchboard.run-script", "[1]") == "SB_ERR_INVALID_INPUT (1): input: expected a JSON object")
    }

    // MARK: RemoteConnection

    @Test func remoteConnectionPlansADattoSession() throws {
        let plan = try Self.plan("switchboard.remote-connection", Self.input(
            "remote-connection", platform: "datto", device: "7f3c-91", ["reason": "user reports a frozen screen"],
            plugin: "switchboard.remote-connection"))
        #expect(plan == ExecutionPlan(steps: [.remoteSession(platform: "datto", device: "7f3c-91")],
                                      summary: "remote connection to Datto RMM device 7f3c-91: user reports a frozen screen"))
        let bare = try Self.plan("switchboard.remote-connection", Self.input(
            "remote-connection", platform: "datto", device: "7f3c-91", [:], plugin: "switchboard.remote-connection"))
        #expect(bare.summary == "remote connection to Datto RMM device 7f3c-91")
    }

    @Test func remoteConnectionRefusesOtherPlatforms() throws {
        #expect(try Self.refusal("switchboard.remote-connection", #"{"device": {"id": "local", "platform": "local"}}"#)
                == "SB_ERR_UNSUPPORTED (2): device.platform: remote-connection is not supported on platform 'local' (supported: datto)")
        #expect(try Self.refusal("switchboard.remote-connection",
                                 #"{"device": {"id": "x", "platform": "datto"}, "parameters": {"reason": "\#(String(repeating: "r", count: 501))"}}"#)
                == "SB_ERR_INVALID_INPUT (1): parameters.reason: longer than 500 characters")
        #expect(try Self.refusal("switchboard.remote-connection", #"{"device": {"id": "", "platform": "datto"}}"#)
                == "SB_ERR_INVALID_INPUT (1): device.id: must not be empty")
    }

    // MARK: Reboot (C) with the router's input

    @Test func rebootPlansFromTheRoutersInput() throws {
        let local = try Self.plan("switchboard.reboot", Self.input("reboot", platform: "local", device: "local", [:], plugin: "switchboard.reboot"))
        #expect(local == ExecutionPlan(steps: [.localReboot(delaySeconds: 0, force: false)], summary: "reboot local device local now"))
        let datto = try Self.plan("switchboard.reboot", Self.input(
            "reboot", platform: "datto", device: "7f3c-91", ["delaySeconds": "300", "force": "true"], plugin: "switchboard.reboot"))
        #expect(datto == ExecutionPlan(
            steps: [.platformJob(platform: "datto", device: "7f3c-91", operation: "reboot", variables: ["delaySeconds": "300", "force": "true"])],
            summary: "reboot Datto RMM device 7f3c-91 in 300 s (forced)"))
    }
}
