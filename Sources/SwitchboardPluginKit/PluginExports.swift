import Foundation
import SwitchboardABI

/// The ABI plumbing every Swift plugin needs, so a plugin file holds only its translation logic.
/// Each plugin links its own copy of this module, so the state below is per plugin.
///
/// ```swift
/// nonisolated(unsafe) private let info = PluginExports.selfDescription(id: "switchboard.atera", version: "1.0.0")
/// @_cdecl("switchboard_atera_describe") public func describe() -> UnsafeRawPointer? { UnsafeRawPointer(info) }
/// @_cdecl("switchboard_atera_init") public func initialize(_ host: UnsafePointer<sb_host_api>?) -> Int32 { PluginExports.initialize(host) }
/// ```
public enum PluginExports {
    /// Written once by init, before the host calls any data role (see switchboard_plugin.h).
    nonisolated(unsafe) private static var host: UnsafePointer<sb_host_api>?

    /// A self-description that lives as long as the process; keep the result in a global.
    public static func selfDescription(id: String, version: String) -> UnsafeMutablePointer<sb_plugin_info> {
        let info = UnsafeMutablePointer<sb_plugin_info>.allocate(capacity: 1)
        info.initialize(to: sb_plugin_info(
            struct_size: UInt32(MemoryLayout<sb_plugin_info>.size), abi_major: UInt32(SB_ABI_MAJOR),
            abi_minor: UInt32(SB_ABI_MINOR), reserved: 0,
            id: UnsafePointer(strdup(id)), version: UnsafePointer(strdup(version))))
        return info
    }

    /// Implements `init`: checks the host table and keeps it.
    public static func initialize(_ table: UnsafePointer<sb_host_api>?) -> Int32 {
        guard let table, table.pointee.struct_size >= UInt32(MemoryLayout<sb_host_api>.size),
              table.pointee.abi_major == UInt32(SB_ABI_MAJOR), table.pointee.allocate != nil else {
            return Int32(SB_ERR_INVALID_INPUT.rawValue)
        }
        host = table
        return Int32(SB_OK.rawValue)
    }

    /// Implements a data role: parses the input as a JSON object, runs `body`, and hands its
    /// result (a JSON-serializable value) or its error message to the host.
    public static func respond(_ input: UnsafePointer<UInt8>?, _ length: Int, _ output: UnsafeMutablePointer<sb_buffer>?,
                               _ body: (JSONObject) throws(PluginError) -> Any) -> Int32 {
        guard let host else { return Int32(SB_ERR_NOT_INITIALIZED.rawValue) }
        guard let output else { return Int32(SB_ERR_INVALID_INPUT.rawValue) }
        let bytes = input.map { Data(bytes: $0, count: length) } ?? Data()
        let result: Data
        let status: sb_status
        do throws(PluginError) {
            guard let root = (try? JSONSerialization.jsonObject(with: bytes)) as? [String: Any] else {
                throw PluginError.invalidInput("input: expected a JSON object")
            }
            let value = try body(JSONObject(root, path: ""))
            if let text = value as? JSONText {
                result = Data(text.text.utf8)
            } else {
                guard JSONSerialization.isValidJSONObject(value),
                      // Key order carries no meaning for the host, and sorting costs more than the rest of a call.
                      let encoded = try? JSONSerialization.data(withJSONObject: value, options: [.withoutEscapingSlashes]) else {
                    throw PluginError.internal("result is not serializable as JSON")
                }
                result = encoded
            }
            status = SB_OK
        } catch {
            result = Data(error.message.utf8)
            status = error.status
        }
        return hand(result, status, host, output)
    }

    /// Copies `result` into memory from the host's allocator and hands it over in `output`.
    private static func hand(_ result: Data, _ status: sb_status, _ host: UnsafePointer<sb_host_api>,
                             _ output: UnsafeMutablePointer<sb_buffer>) -> Int32 {
        guard let allocate = host.pointee.allocate,
              let memory = allocate(host.pointee.ctx, result.count)?.assumingMemoryBound(to: UInt8.self) else {
            return Int32(SB_ERR_NO_MEMORY.rawValue)
        }
        result.copyBytes(to: memory, count: result.count)
        output.pointee = sb_buffer(data: memory, length: result.count)
        return Int32(status.rawValue)
    }
}

/// A result already written as JSON text, handed to the host as it is: for large results (a page
/// of devices), where building dictionaries for JSONSerialization costs more than the work itself.
public struct JSONText {
    public let text: String

    public init(_ text: String) { self.text = text }

    /// A JSON string literal.
    public static func quoted(_ value: String) -> String {
        var out = "\""
        out.reserveCapacity(value.utf8.count + 2)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// A string literal, or `null`.
    public static func quoted(_ value: String?) -> String { value.map { quoted($0) } ?? "null" }
}

/// Why a data role could not produce a result; the message goes back to the host.
public struct PluginError: Error {
    public let status: sb_status
    public let message: String

    public static func invalidInput(_ message: String) -> PluginError { PluginError(status: SB_ERR_INVALID_INPUT, message: message) }
    public static func unsupported(_ message: String) -> PluginError { PluginError(status: SB_ERR_UNSUPPORTED, message: message) }
    public static func `internal`(_ message: String) -> PluginError { PluginError(status: SB_ERR_INTERNAL, message: message) }
}
