import Foundation

/// How local steps run on the machine Switchboard runs on: the reboot command, the folder scripts
/// may be run from, and the limits of a run.
///
/// ```swift
/// let settings = LocalActionSettings(environment: ProcessInfo.processInfo.environment, home: HostEnvironment.current.dataDirectory)
/// settings.scriptFolder                                     // $SWITCHBOARD_HOME/scripts
/// try settings.rebootCommand(delaySeconds: 0, force: false) // ["systemctl", "reboot"]
/// ```
public struct LocalActionSettings: Sendable, Equatable {
    /// The reboot command's words, or nil for the built-in commands (see `rebootCommand(delaySeconds:force:)`).
    /// In each word `{delaySeconds}`, `{delayMinutes}` (rounded up) and `{force}` (`true` or
    /// `false`) are replaced by the request's values.
    public var rebootCommand: [String]?
    /// Scripts are run from here, and only from here (symlinks resolved).
    public var scriptFolder: String
    /// The data directory: `HOME` of the scripts.
    public var home: String
    /// Bytes kept of a script's standard output, and as much again of its standard error.
    public var outputLimit: Int
    /// Seconds between SIGTERM and SIGKILL when a script outlives its timeout.
    public var terminationGrace: Double
    /// Seconds the reboot command may take to return (it asks the system to reboot; it does not wait for it).
    public var rebootCommandTimeout: Double

    public init(rebootCommand: [String]? = nil, scriptFolder: String, home: String, outputLimit: Int = 64 * 1024,
                terminationGrace: Double = 2, rebootCommandTimeout: Double = 60) {
        self.rebootCommand = rebootCommand
        self.scriptFolder = scriptFolder
        self.home = home
        self.outputLimit = outputLimit
        self.terminationGrace = terminationGrace
        self.rebootCommandTimeout = rebootCommandTimeout
    }

    /// The settings for a data directory `home`, overridden by `SWITCHBOARD_LOCAL_REBOOT_COMMAND`
    /// (split on whitespace; no quoting) and `SWITCHBOARD_SCRIPT_FOLDER`. Empty values count as unset.
    public init(environment: [String: String], home: String) {
        let command = (environment["SWITCHBOARD_LOCAL_REBOOT_COMMAND"] ?? "").split(whereSeparator: \.isWhitespace).map(String.init)
        let folder = environment["SWITCHBOARD_SCRIPT_FOLDER"].flatMap { $0.isEmpty ? nil : $0 }
        self.init(rebootCommand: command.isEmpty ? nil : command, scriptFolder: folder ?? home + "/scripts", home: home)
    }

    /// The command that reboots this machine after `delaySeconds`. Built in: `systemctl reboot`
    /// (with `--ignore-inhibitors` when forced, so logged-in users or applications holding an
    /// inhibitor lock cannot hold it back), or `shutdown -r +MINUTES` for a delayed reboot (the
    /// delay rounded up to whole minutes; it can be cancelled with `shutdown -c`, and `force` has no
    /// effect on it). A configured command gets the values through its placeholders; one without
    /// `{delaySeconds}` or `{delayMinutes}` cannot delay, so a delayed reboot is refused rather
    /// than run early.
    public func rebootCommand(delaySeconds: Int, force: Bool) throws(ActionFailure) -> [String] {
        let minutes = (delaySeconds + 59) / 60
        guard let rebootCommand else {
            if delaySeconds > 0 { return ["shutdown", "-r", "+\(minutes)"] }
            return ["systemctl", "reboot"] + (force ? ["--ignore-inhibitors"] : [])
        }
        if delaySeconds > 0, !rebootCommand.contains(where: { $0.contains("{delaySeconds}") || $0.contains("{delayMinutes}") }) {
            throw .unsupported(step: "local-reboot", reason: "the configured reboot command '\(rebootCommand.joined(separator: " "))' "
                               + "takes no delay (no {delaySeconds} or {delayMinutes}); ask for delaySeconds 0")
        }
        return rebootCommand.map {
            $0.replacingOccurrences(of: "{delaySeconds}", with: String(delaySeconds))
                .replacingOccurrences(of: "{delayMinutes}", with: String(minutes))
                .replacingOccurrences(of: "{force}", with: String(force))
        }
    }
}
