import ArgumentParser
import Foundation
import Logging

/// The `switchboard` command line.
@main
struct Switchboard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard",
        abstract: "Connects RMM/PSA platforms to remediation actions through drop-in plugins.",
        discussion: """
            Exit codes: 0 success; 1 the command ran and found a problem (a rejected plugin, a \
            failed plugin call, an unknown plugin, unreadable input); 64 invalid usage.
            Set SWITCHBOARD_LOG_LEVEL (debug, info, warning, error) to see plugin log lines on stderr.
            """,
        subcommands: [PluginsCommand.self, AlertCommand.self, ReportCommand.self, TargetsCommand.self, ConfigCommand.self, OutboxCommand.self, AuditCommand.self,
                      ServeCommand.self, TenantsCommand.self, PrincipalsCommand.self, AccessCommand.self, DevicesCommand.self, TicketsCommand.self,
                      ActionsCommand.self, DattoCommand.self, DemoCommand.self, PluginWorkerCommand.self]
    )

    /// Sends log lines, including the ones plugins write, to stderr at SWITCHBOARD_LOG_LEVEL.
    static func bootstrapLogging() {
        let name = ProcessInfo.processInfo.environment["SWITCHBOARD_LOG_LEVEL"] ?? "warning"
        let level = Logger.Level(rawValue: name.lowercased()) ?? .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

/// Writes a line to stderr.
func printError(_ message: String) {
    FileHandle.standardError.write(Data("switchboard: \(message)\n".utf8))
}
