import ArgumentParser
import Foundation
import PluginHost
import SwitchboardStore

extension SQLiteStore {
    /// Opens `switchboard.sqlite` in the data directory, or prints why it cannot and fails (exit 1).
    static func openInDataDirectory() throws -> SQLiteStore {
        do { return try SQLiteStore(path: HostEnvironment.current.dataDirectory + "/switchboard.sqlite") } catch {
            printError(error.description)
            throw ExitCode.failure
        }
    }
}
