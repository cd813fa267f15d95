import ArgumentParser
import Foundation
import Logging
import PluginHost

/// `switchboard plugin-worker`: the worker role of a process-isolated plugin, started by the host
/// on a socket (descriptors 0 and 1), never by hand.
struct PluginWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugin-worker",
        abstract: "Serve one process-isolated plugin's calls for the host (started by the host).",
        shouldDisplay: false)

    @Option(help: "The plugin's manifest.") var manifest: String
    @Option(help: "The folder its library must be in.") var libraryFolder: String
    @Option(help: "Where the host found the plugin.") var origin: String

    func run() throws {
        guard let origin = PluginOrigin(rawValue: origin) else {
            printError("unknown plugin origin '\(origin)'")
            throw ExitCode.failure
        }
        Switchboard.bootstrapLogging()
        let candidate = PluginCandidate(manifestPath: manifest, libraryFolder: libraryFolder, origin: origin)
        let status = PluginWorkerServer.run(candidate, logSink: Logger(label: "switchboard.plugins.worker").pluginLogSink)
        throw ExitCode(status)
    }
}
