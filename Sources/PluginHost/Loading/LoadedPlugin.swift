import Foundation
import Glibc
import SwitchboardABI

/// A plugin that passed every check and whose `init` succeeded. Its entry points are bound to
/// prepared call interfaces; calls may come from any thread.
///
/// ```swift
/// let plugin = try catalog.plugin(id: "switchboard.webhook")
/// let request = try plugin.call(.renderAlert, input: Data(alertJSON.utf8))
/// ```
public final class LoadedPlugin: Sendable {
    public let manifest: Manifest
    /// The verified library path (symlinks resolved).
    public let libraryPath: String
    /// The library's SHA-256, equal to the manifest's.
    public let sha256: String
    private let interfaces: [EntryPointRole: CallInterface]
    /// Kept so the library handle stays referenced for the life of the plugin.
    private let library: DynamicLibrary

    init(manifest: Manifest, file: LibraryFile, library: DynamicLibrary, interfaces: [EntryPointRole: CallInterface]) {
        self.manifest = manifest
        self.libraryPath = file.path
        self.sha256 = file.sha256
        self.library = library
        self.interfaces = interfaces
    }

    /// The prepared call interface bound to `role`, if the plugin declares it.
    public func interface(for role: EntryPointRole) -> CallInterface? { interfaces[role] }

    /// Calls a data role with a JSON input and returns the plugin's JSON output.
    public func call(_ role: EntryPointRole, input: Data) throws(PluginCallError) -> Data {
        guard role.isDataRole else { throw .notADataRole(plugin: manifest.id, role: role) }
        guard let interface = interfaces[role] else { throw .roleNotProvided(plugin: manifest.id, role: role) }
        var output = sb_buffer(data: nil, length: 0)
        let status = input.withUnsafeBytes { bytes in
            withUnsafeMutablePointer(to: &output) { output in
                interface.callReturningStatus(bytes.baseAddress, bytes.count, UnsafeMutableRawPointer(output))
            }
        }
        // The plugin handed the buffer over: it is ours to copy and release either way.
        let bytes = output.data.map { Data(bytes: $0, count: output.length) } ?? Data()
        free(output.data)
        guard status == SB_OK.rawValue else {
            throw .failed(plugin: manifest.id, role: role, status: status,
                          message: String(decoding: bytes, as: UTF8.self))
        }
        return bytes
    }
}

/// A call into a loaded plugin that did not produce a result.
public enum PluginCallError: Error, Equatable, CustomStringConvertible {
    case roleNotProvided(plugin: String, role: EntryPointRole)
    case notADataRole(plugin: String, role: EntryPointRole)
    case failed(plugin: String, role: EntryPointRole, status: Int32, message: String)

    public var description: String {
        switch self {
        case .roleNotProvided(let plugin, let role): "\(plugin): has no entry point for role '\(role.rawValue)'"
        case .notADataRole(let plugin, let role):
            "\(plugin): role '\(role.rawValue)' is not a data role (data roles take JSON input)"
        case .failed(let plugin, let role, let status, let message):
            "\(plugin): \(role.rawValue) returned \(PluginStatus.name(status))" + (message.isEmpty ? "" : ": \(message)")
        }
    }
}
