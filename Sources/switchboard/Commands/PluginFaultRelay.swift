import Actions
import Logging
import PluginHost
import Synchronization
import SwitchboardStore

/// Where the CLI sends the faults of process-isolated plugins: the log always, and the audit
/// trail of the store the command opened (`plugin.crashed`, `plugin.timeout`, ...).
final class PluginFaultRelay: Sendable {
    static let shared = PluginFaultRelay()

    private let store = Mutex<SQLiteStore?>(nil)
    private let logger = Logger(label: "switchboard.plugins")

    /// Faults from now on are also recorded in `store`.
    func attach(_ store: SQLiteStore) {
        self.store.withLock { $0 = store }
    }

    func report(_ fault: PluginFault) {
        logger.warning("\(fault.message)", metadata: ["plugin": "\(fault.pluginID)"])
        guard let store = store.withLock({ $0 }) else { return }
        do {
            try store.append([PluginAudit.entry(for: fault, actor: Operator.actor)])
        } catch {
            logger.error("cannot record the plugin fault in the audit trail: \(error)", metadata: ["plugin": "\(fault.pluginID)"])
        }
    }
}
