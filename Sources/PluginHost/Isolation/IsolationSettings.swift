import Foundation

/// How the host places plugins: which run in a worker process, which binary serves as the
/// worker, where quarantines are kept, and who hears about faults.
///
/// ```swift
/// var isolation = IsolationSettings(environment: .current)
/// isolation.overrides["acme.crashy"] = .process
/// let catalog = PluginCatalog.load(candidates, isolation: isolation)
/// ```
public struct IsolationSettings: Sendable {
    /// The administrator's choice per plugin id, or for every plugin under `"*"`; wins over the
    /// manifest and over the defaults.
    public var overrides: [String: Isolation] = [:]
    /// The `switchboard` executable that serves as the worker (`switchboard plugin-worker`).
    public var workerExecutable: String?
    /// The environment the workers start with.
    public var workerEnvironment: [String: String]
    /// Where quarantines are kept; nil keeps them for this process only.
    public var quarantine: PluginQuarantine?
    /// Told of every crash, hang, unavailable worker and quarantine.
    public var faultSink: @Sendable (PluginFault) -> Void = { _ in }
    /// This many faults within `faultWindow` quarantine a plugin.
    public var faultLimit = 5
    public var faultWindow: Duration = .seconds(60)
    /// How long a worker may take to start and load its plugin.
    public var startTimeout: Duration = .seconds(10)

    /// Settings for a host: the `switchboard` executable beside the running one (the host itself,
    /// or the build folder's when the host is a test runner), quarantines under the data directory.
    public init(environment: HostEnvironment, variables: [String: String] = ProcessInfo.processInfo.environment) {
        let candidate = environment.executableFolder + "/switchboard"
        workerExecutable = FileManager.default.isExecutableFile(atPath: candidate) ? candidate : nil
        workerEnvironment = variables
        quarantine = PluginQuarantine(dataDirectory: environment.dataDirectory)
    }

    /// Where `manifest`'s plugin runs: the override for its id, else the one for `"*"`, else what
    /// the manifest asks, else in process for bundled plugins and in a worker for drop-ins.
    public func isolation(of manifest: Manifest, origin: PluginOrigin) -> Isolation {
        overrides[manifest.id] ?? overrides["*"] ?? manifest.isolation ?? (origin == .bundled ? .inProcess : .process)
    }
}
