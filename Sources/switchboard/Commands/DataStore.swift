import ArgumentParser
import Foundation
import PluginHost
import SwitchboardStore

extension SQLiteStore {
    /// Opens `switchboard.sqlite` in the data directory, or prints why it cannot and fails (exit 1).
    /// Plugin faults are recorded in its audit trail from then on.
    static func openInDataDirectory() throws -> SQLiteStore {
        do {
            let store = try SQLiteStore(path: HostEnvironment.current.dataDirectory + "/switchboard.sqlite")
            PluginFaultRelay.shared.attach(store)
            return store
        } catch {
            printError(error.description)
            throw ExitCode.failure
        }
    }
}
