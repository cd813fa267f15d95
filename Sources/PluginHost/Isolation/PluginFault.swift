/// Something that went wrong with a process-isolated plugin: reported to the host's fault sink
/// (which the CLI turns into `plugin.crashed`, `plugin.timeout` and `plugin.quarantined` audit
/// entries).
public struct PluginFault: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The worker died during a call: `cause` names the signal (`SIGSEGV`) or the exit status.
        case crashed(cause: String)
        /// The call outlived the entry point's timeout and the worker was killed.
        case timedOut(milliseconds: Int)
        /// The worker could not be started or could not load the plugin.
        case unavailable(reason: String)
        /// `faults` crashes or hangs within the window: calls are refused until released.
        case quarantined(faults: Int, windowSeconds: Int)
    }

    public let pluginID: String
    public let version: String
    public let sha256: String
    /// The role being called, when the fault happened during a call.
    public let role: EntryPointRole?
    public let kind: Kind
    /// The error the caller got, or the quarantine's reason.
    public let message: String
}
