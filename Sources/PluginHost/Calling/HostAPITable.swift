import Glibc
import SwitchboardABI

/// A line a plugin wrote through the host API's `log` callback.
public struct PluginLogRecord: Sendable, Equatable {
    public enum Level: Int32, Sendable { case debug = 0, info = 1, warning = 2, error = 3 }
    public let pluginID: String
    /// The level the plugin asked for; unknown levels are reported as `.error`.
    public let level: Level
    public let message: String
}

/// Where plugin log lines go.
public typealias PluginLogSink = @Sendable (PluginLogRecord) -> Void

/// The host API table (`sb_host_api`) handed to one plugin's `init`.
///
/// Each plugin gets its own table whose `ctx` identifies the plugin, so its log lines are
/// attributed to it. Plugins may keep the table pointer forever, and plugins are never unloaded,
/// so tables are deliberately never freed.
enum HostAPITable {
    /// What `ctx` points at.
    final class Context: Sendable {
        let pluginID: String
        let sink: PluginLogSink
        init(pluginID: String, sink: @escaping PluginLogSink) {
            self.pluginID = pluginID
            self.sink = sink
        }
    }

    static func make(pluginID: String, sink: @escaping PluginLogSink) -> UnsafePointer<sb_host_api> {
        let context = Unmanaged.passRetained(Context(pluginID: pluginID, sink: sink)).toOpaque()
        let table = UnsafeMutablePointer<sb_host_api>.allocate(capacity: 1)
        table.initialize(to: sb_host_api(
            struct_size: UInt32(MemoryLayout<sb_host_api>.size),
            abi_major: UInt32(SB_ABI_MAJOR),
            abi_minor: UInt32(SB_ABI_MINOR),
            reserved: 0,
            ctx: context,
            log: { ctx, level, message, length in
                guard let ctx else { return }
                let context = Unmanaged<Context>.fromOpaque(ctx).takeUnretainedValue()
                let text = message.map {
                    String(decoding: UnsafeRawBufferPointer(start: $0, count: length), as: UTF8.self)
                } ?? ""
                context.sink(PluginLogRecord(pluginID: context.pluginID,
                                             level: PluginLogRecord.Level(rawValue: level) ?? .error,
                                             message: text))
            },
            allocate: { _, size in malloc(max(size, 1)) },
            release: { _, pointer in free(pointer) }
        ))
        return UnsafePointer(table)
    }
}
