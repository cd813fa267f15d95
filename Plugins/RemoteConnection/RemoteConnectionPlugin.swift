// The RemoteConnection action plugin (switchboard.remote-connection): plans opening a remote
// connection to a Datto RMM device. The host fetches the device's web remote URL and session
// information through the Datto RMM platform adapter. Other platforms, including the local device,
// offer no remote session, so the plugin refuses them with SB_ERR_UNSUPPORTED. It computes only.
import SwitchboardABI
import SwitchboardPluginKit

nonisolated(unsafe) private let selfDescription = PluginExports.selfDescription(id: "switchboard.remote-connection", version: "1.0.0")

@_cdecl("switchboard_remote_connection_describe")
public func switchboardRemoteConnectionDescribe() -> UnsafeRawPointer? { UnsafeRawPointer(selfDescription) }

@_cdecl("switchboard_remote_connection_init")
public func switchboardRemoteConnectionInit(_ host: UnsafePointer<sb_host_api>?) -> Int32 { PluginExports.initialize(host) }

@_cdecl("switchboard_remote_connection_plan_action")
public func switchboardRemoteConnectionPlanAction(_ input: UnsafePointer<UInt8>?, _ length: Int, _ output: UnsafeMutablePointer<sb_buffer>?) -> Int32 {
    PluginExports.respond(input, length, output) { input throws(PluginError) in
        let request = try ActionRequest(input, action: "remote-connection", platforms: ["datto"])
        let reason = try request.parameters.optionalString("reason", maxLength: 500)
        return [
            "steps": [["kind": "remote-session", "platform": request.platform, "device": request.deviceID]],
            "summary": "remote connection to \(request.deviceDescription)" + (reason.map { ": \($0)" } ?? ""),
        ]
    }
}
