import Delivery
import Foundation
import PluginHost

extension FuzzTarget {
    /// The roles that read what a platform answered (through `PlatformAdapter`, as delivery,
    /// actions and the Datto client do), and `plan_action`, which reads a routed request.
    static let parsingRoles: [EntryPointRole] = [.parseResponse, .parseAction, .parseInbound, .planAction, .parseResult]

    /// One target per parsing role of `plugin`, named `<id without "switchboard.">.<role>`
    /// (`dattormm.parse_inbound`).
    static func pluginTargets(_ plugin: LoadedPlugin) -> [FuzzTarget] {
        let id = plugin.manifest.id
        let short = id.hasPrefix("switchboard.") ? String(id.dropFirst("switchboard.".count)) : id
        return parsingRoles.filter { plugin.interface(for: $0) != nil }.map { role in
            let name = "\(short).\(role.rawValue)"
            return role == .planAction ? FuzzTarget(name: name) { planAction(plugin, $0) } : FuzzTarget(name: name) { parse(plugin, role, $0) }
        }
    }

    /// An answer to parse: the first line is a JSON object with the role's other input members
    /// (`status`, `headers`, `kind`, `stage`, `resource`, `target`), the rest is the answer's body
    /// (when the first line is not such an object, the whole input is the body). The plugin must
    /// answer with one of the outcomes the host knows, or fail with an error status.
    private static func parse(_ plugin: LoadedPlugin, _ role: EntryPointRole, _ bytes: [UInt8]) -> FuzzOutcome {
        var input: [String: JSONValue] = [:]
        var body = bytes[...]
        if let newline = bytes.firstIndex(of: UInt8(ascii: "\n")),
           case .object(let members)? = try? JSONValue.parse(Data(bytes[..<newline])) {
            input = members
            body = bytes[(newline + 1)...]
        }
        input["body"] = .string(String(decoding: body, as: UTF8.self))
        if input["target"] == nil { input["target"] = .object([:]) }
        let status: Int = if case .integer(let code)? = input["status"], let code = Int(exactly: code) { code } else { 200 }
        if input["status"] == nil { input["status"] = .integer(200) }
        let adapter = PlatformAdapter(plugin: plugin)
        do {
            let target = DeliveryTarget(name: "fuzz", platform: plugin.manifest.platform ?? "")
            return .accepted("\(try adapter.verdict(adapter.call(role, .object(input), for: target), role: role, status: status))")
        } catch {
            if case .plugin(let failure) = error { return .refused(failure.description) }
            return .broken(error.description)
        }
    }

    /// A routed action request, as raw input: the plugin's plan must be JSON, or it fails with an
    /// error status.
    private static func planAction(_ plugin: LoadedPlugin, _ bytes: [UInt8]) -> FuzzOutcome {
        let output: Data
        do { output = try plugin.call(.planAction, input: Data(bytes)) } catch { return .refused(error.description) }
        guard case .object(let plan)? = try? JSONValue.parse(output) else {
            return .broken("plan_action returned something that is not a JSON object: \(String(decoding: output, as: UTF8.self))")
        }
        let steps = if case .array(let list)? = plan["steps"] { list.count } else { 0 }
        return .accepted("\(steps) steps")
    }
}
