// The RunScript action plugin (switchboard.run-script): plans running a script on a device.
//
// On the `local` device the host runs `script` from its allowed script folder, without a shell
// (see LocalStepRunner); on a Datto RMM device the host runs the script component configured for
// the `run-script` operation as a quick job, with `script` and `arguments` as its variables.
// `arguments` is split on spaces and tabs into separate arguments. There is no quoting and no
// shell: `a "b c"` is the three arguments `a`, `"b` and `c"`, and `$HOME` or `*` stay as written.
// The plugin computes only; the host checks the script path again before running anything.
import SwitchboardABI
import SwitchboardPluginKit

nonisolated(unsafe) private let selfDescription = PluginExports.selfDescription(id: "switchboard.run-script", version: "1.0.0")

@_cdecl("switchboard_run_script_describe")
public func switchboardRunScriptDescribe() -> UnsafeRawPointer? { UnsafeRawPointer(selfDescription) }

@_cdecl("switchboard_run_script_init")
public func switchboardRunScriptInit(_ host: UnsafePointer<sb_host_api>?) -> Int32 { PluginExports.initialize(host) }

@_cdecl("switchboard_run_script_plan_action")
public func switchboardRunScriptPlanAction(_ input: UnsafePointer<UInt8>?, _ length: Int, _ output: UnsafeMutablePointer<sb_buffer>?) -> Int32 {
    PluginExports.respond(input, length, output) { input throws(PluginError) in
        try ScriptRun(ActionRequest(input, action: "run-script", platforms: ["local", "datto"])).plan
    }
}

/// One script run, with the limits of the manifest's parameters.
struct ScriptRun {
    let request: ActionRequest
    /// Relative to the script folder: no leading '/', no '..' component.
    let script: String
    let arguments: [String]
    let timeoutSeconds: Int

    init(_ request: ActionRequest) throws(PluginError) {
        self.request = request
        let parameters = request.parameters
        script = try parameters.string("script", maxLength: 255)
        guard !script.hasPrefix("/") else {
            throw .invalidInput("\(parameters.field("script")): must be a path relative to the script folder, got '\(script)'")
        }
        guard !script.split(separator: "/").contains("..") else {
            throw .invalidInput("\(parameters.field("script")): must not contain '..' components, got '\(script)'")
        }
        arguments = (try parameters.optionalString("arguments", maxLength: 2048) ?? "")
            .split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        timeoutSeconds = try parameters.optionalInteger("timeoutSeconds", in: 1...3600) ?? 300
    }

    var plan: [String: Any] {
        let step: [String: Any] = switch request.platform {
        case "local":
            ["kind": "local-script", "script": script, "arguments": arguments, "timeoutSeconds": timeoutSeconds]
        default:
            ["kind": "platform-job", "platform": request.platform, "device": request.deviceID, "operation": "run-script",
             "variables": ["script": script, "arguments": arguments.joined(separator: " ")]]
        }
        let withArguments = switch arguments.count {
        case 0: ""
        case 1: " with 1 argument"
        default: " with \(arguments.count) arguments"
        }
        return ["steps": [step], "summary": "run script \(script)\(withArguments) on \(request.deviceDescription)"]
    }
}
