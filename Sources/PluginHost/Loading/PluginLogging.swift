import Logging

extension Logger {
    /// A sink that writes plugin log lines through this logger, tagged with the plugin id.
    public var pluginLogSink: PluginLogSink {
        let logger = self
        return { record in
            let level: Logger.Level = switch record.level {
            case .debug: .debug
            case .info: .info
            case .warning: .warning
            case .error: .error
            }
            logger.log(level: level, "\(record.message)", metadata: ["plugin": "\(record.pluginID)"])
        }
    }
}
