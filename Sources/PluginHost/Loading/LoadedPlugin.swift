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
    private let backend: Backend

    /// Where the plugin's code runs.
    enum Backend {
        /// dlopened here; the library is kept so its handle stays referenced for the plugin's life.
        case inProcess(library: DynamicLibrary, interfaces: [EntryPointRole: CallInterface])
        /// Loaded by a supervised worker process.
        case worker(PluginWorker)
    }

    init(manifest: Manifest, file: LibraryFile, backend: Backend) {
        self.manifest = manifest
        self.libraryPath = file.path
        self.sha256 = file.sha256
        self.backend = backend
    }

    /// Where the plugin's code runs.
    public var isolation: Isolation {
        if case .worker = backend { return .process }
        return .inProcess
    }

    /// Why calls are refused, when the plugin is quarantined.
    public var quarantine: QuarantineRecord? {
        if case .worker(let worker) = backend { return worker.quarantine }
        return nil
    }

    /// Whether the plugin declares an entry point for `role`, wherever it runs.
    public func provides(_ role: EntryPointRole) -> Bool { manifest.entryPoint(for: role) != nil }

    /// The prepared call interface bound to `role`, if the plugin declares it and runs in process.
    public func interface(for role: EntryPointRole) -> CallInterface? {
        if case .inProcess(_, let interfaces) = backend { return interfaces[role] }
        return nil
    }

    /// Calls a data role with a JSON input and returns the plugin's JSON output. A process-isolated
    /// plugin's call blocks the calling thread until the worker answers or the entry point's
    /// timeout passes.
    public func call(_ role: EntryPointRole, input: Data) throws(PluginCallError) -> Data {
        guard role.isDataRole else { throw .notADataRole(plugin: manifest.id, role: role) }
        switch backend {
        case .inProcess(_, let interfaces):
            guard let interface = interfaces[role] else { throw .roleNotProvided(plugin: manifest.id, role: role) }
            return try Self.call(interface, role: role, input: input, plugin: manifest.id)
        case .worker(let worker):
            guard let entry = manifest.entryPoint(for: role) else { throw .roleNotProvided(plugin: manifest.id, role: role) }
            return try worker.call(entry, input: input)
        }
    }

    /// One data-role call through a prepared interface, in this process.
    static func call(_ interface: CallInterface, role: EntryPointRole, input: Data, plugin: String) throws(PluginCallError) -> Data {
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
            throw .failed(plugin: plugin, role: role, status: status, message: String(decoding: bytes, as: UTF8.self))
        }
        return bytes
    }
}

/// A call into a loaded plugin that did not produce a result.
public enum PluginCallError: Error, Equatable, CustomStringConvertible {
    case roleNotProvided(plugin: String, role: EntryPointRole)
    case notADataRole(plugin: String, role: EntryPointRole)
    case failed(plugin: String, role: EntryPointRole, status: Int32, message: String)
    /// The worker process died during the call (a signal, or an exit).
    case crashed(plugin: String, role: EntryPointRole, cause: String)
    /// The call took longer than the entry point's timeout; the worker was killed.
    case timedOut(plugin: String, role: EntryPointRole, milliseconds: Int)
    /// The worker could not be started, or could not load the plugin.
    case workerUnavailable(plugin: String, reason: String)
    /// Too many crashes or hangs: calls are refused until `switchboard plugins release`.
    case quarantined(plugin: String, reason: String)

    public var description: String {
        switch self {
        case .roleNotProvided(let plugin, let role): "\(plugin): has no entry point for role '\(role.rawValue)'"
        case .notADataRole(let plugin, let role):
            "\(plugin): role '\(role.rawValue)' is not a data role (data roles take JSON input)"
        case .failed(let plugin, let role, let status, let message):
            "\(plugin): \(role.rawValue) returned \(PluginStatus.name(status))" + (message.isEmpty ? "" : ": \(message)")
        case .crashed(let plugin, let role, let cause):
            "\(plugin): \(role.rawValue) crashed the plugin's worker process (\(cause)); the worker will be restarted"
        case .timedOut(let plugin, let role, let milliseconds):
            "\(plugin): \(role.rawValue) did not answer within \(milliseconds) ms; the worker was killed and will be restarted"
        case .workerUnavailable(let plugin, let reason):
            "\(plugin): the plugin's worker process is unavailable: \(reason)"
        case .quarantined(let plugin, let reason):
            "\(plugin): quarantined (\(reason)); run `switchboard plugins release \(plugin)` to allow calls again"
        }
    }
}
