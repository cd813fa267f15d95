import Delivery
import Foundation
import Logging
import PluginHost

/// Runs plan steps on the devices of one platform through its platform plugin: a platform job is
/// started, polled until it completes and read (results, then stdout and stderr); a remote session
/// reads the device's web remote URL. The plugin renders every request (`render_action`) and reads
/// every answer (`parse_action`); the runner sends them through a `PlatformExchange` (the
/// target's token, checks, retries and redaction).
///
/// ```swift
/// let runners = PlatformStepRunner.runners(configuration: configuration, plugins: catalog.loaded, transport: AsyncHTTPTransport())
/// let runner = runners.first { $0.platform == DeliveryConfiguration.platformID(step.platform) }
/// let result = try await runner?.run(step, correlationID: correlation)
/// ```
public struct PlatformStepRunner: StepRunner {
    /// The platform id of the target and its plugin (`dattormm`). Steps may spell it as users do
    /// (`datto`): `DeliveryConfiguration.platformID` maps the spellings to it.
    public let platform: String
    /// The target whose settings (endpoint, credentials, components) the steps run with.
    public let target: DeliveryTarget
    let exchange: PlatformExchange
    let logger: Logger

    /// The cap on each of stdout and stderr, as for local steps.
    static let outputLimit = 64 * 1024
    /// How much of stderr's end a failed job's error carries.
    static let errorTail = 1000
    /// The target settings (declared by the platform plugin, with defaults) that time a platform job.
    static let pollSetting = "JobPollSeconds", timeoutSetting = "JobTimeoutSeconds"

    /// - Parameters:
    ///   - target: the platform's delivery target (`APIEndpoint`, credentials, the plugin's settings).
    ///   - plugin: the platform plugin, declaring `render_action` and `parse_action`.
    ///   - policy: the request timeout and the backoff between retries.
    public init(target: DeliveryTarget, plugin: LoadedPlugin, policy: DeliveryPolicy = DeliveryPolicy(), transport: any HTTPTransport,
                logger: Logger = Logger(label: "switchboard.actions")) {
        platform = target.platform
        self.target = target
        exchange = PlatformExchange(target: target, plugin: plugin, policy: policy, transport: transport)
        self.logger = logger
    }

    private var adapter: PlatformAdapter { exchange.adapter }

    /// One runner per platform that has an enabled target (the first, when several) and whose
    /// plugin (the first loaded for the platform, as delivery uses it) declares `render_action`
    /// and `parse_action`.
    public static func runners(configuration: DeliveryConfiguration, plugins: [LoadedPlugin], transport: any HTTPTransport) -> [PlatformStepRunner] {
        var runners: [PlatformStepRunner] = []
        for target in configuration.targets where target.enabled && !runners.contains(where: { $0.platform == target.platform }) {
            guard let plugin = plugins.first(where: { $0.manifest.kind == .platform && $0.manifest.platform == target.platform }),
                  plugin.provides(.renderAction), plugin.provides(.parseAction) else { continue }
            runners.append(PlatformStepRunner(target: target, plugin: plugin, policy: configuration.policy, transport: transport))
        }
        return runners
    }

    public func run(_ step: PlanStep, correlationID: String) async throws(ActionFailure) -> StepResult {
        switch step {
        case .platformJob(let platform, let device, let operation, let variables):
            try accept(platform, kind: "platform-job")
            return try await runJob(device: device, operation: operation, variables: variables, correlationID: correlationID)
        case .remoteSession(let platform, let device):
            try accept(platform, kind: "remote-session")
            return try await openSession(device: device)
        case .localReboot:
            throw .unsupported(step: "local-reboot", reason: "runs on the local device, not through \(platform)")
        case .localScript:
            throw .unsupported(step: "local-script", reason: "runs on the local device, not through \(platform)")
        }
    }

    private func accept(_ named: String, kind: String) throws(ActionFailure) {
        guard DeliveryConfiguration.platformID(named) == platform else {
            throw .unsupported(step: kind, reason: "the step is for platform '\(named)', this runner serves \(platform)")
        }
    }

    /// The platform's name for people (`Datto RMM`).
    private var name: String { adapter.plugin.manifest.name }

    // MARK: Steps

    /// Starts the job, polls its status until it is completed or the timeout passes, then reads
    /// its results and the output its components say they wrote.
    private func runJob(device: String, operation: String, variables: [String: String], correlationID: String) async throws(ActionFailure) -> StepResult {
        let poll = try seconds(Self.pollSetting)
        let limit = try seconds(Self.timeoutSetting)
        let step: JSONValue = .object(["kind": .string("platform-job"), "device": .string(device), "operation": .string(operation),
                                       "variables": .object(variables.mapValues(JSONValue.string))])
        let started = try await call(.start, step: step)
        // The wait is for the job: the start request has its own timeout.
        let deadline = ContinuousClock.now + .seconds(limit)
        let job = try member("jobUid", of: started, stage: .start)
        let label = "\(name) job \(job)"
        logger.info("platform job started", metadata: ["correlation": "\(correlationID)", "job": "\(job)", "device": "\(device)", "operation": "\(operation)"])
        var status = started["jobStatus"]
        while status != .string("completed") {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { throw .timeout(step: label, seconds: limit) }
            try await pause(min(.seconds(poll), remaining), step: label)
            status = try await call(.status, step: step, job: job)["jobStatus"]
        }
        let results = try await call(.results, step: step, job: job)
        let deployment = try member("deploymentStatus", of: results, stage: .results)
        let components: [JSONValue] = if case .array(let items)? = results["components"] { items } else { [] }
        func output(_ stage: Stage, flag: String) async throws(ActionFailure) -> (text: String, truncated: Bool) {
            guard components.contains(where: { $0[flag] == .bool(true) }) else { return ("", false) }
            let answer = try await call(stage, step: step, job: job)
            return Self.capped(exchange.redactor.redact(try member("text", of: answer, stage: stage)))
        }
        let standardOutput = try await output(.stdout, flag: "hasStdOut")
        let standardError = try await output(.stderr, flag: "hasStdErr")
        logger.info("platform job ended", metadata: ["correlation": "\(correlationID)", "job": "\(job)", "status": "\(deployment)"])
        // Warning: the component ran and reported warnings, which the output shows.
        guard deployment == "Success" || deployment == "Warning" else {
            let tail = standardError.text.suffix(Self.errorTail)
            throw .execution(step: label, reason: "ended with status \(deployment)" + (tail.isEmpty ? "" : "; stderr: \(tail)"))
        }
        return StepResult(summary: "\(label): \(deployment)", standardOutput: standardOutput.text, standardError: standardError.text,
                          outputTruncated: standardOutput.truncated || standardError.truncated,
                          details: ["jobUid": job, "deploymentStatus": deployment])
    }

    /// Reads the device's web remote URL.
    private func openSession(device: String) async throws(ActionFailure) -> StepResult {
        let answer = try await call(.device, step: .object(["kind": .string("remote-session"), "device": .string(device)]))
        let hostname: String? = if case .string(let text)? = answer["hostname"], !text.isEmpty { text } else { nil }
        guard case .string(let url)? = answer["webRemoteUrl"], !url.isEmpty else {
            throw .execution(step: "\(name) device \(device)", reason: "has no web remote URL, so no remote session can be opened through \(name)")
        }
        var details = ["remoteURL": url]
        details["hostname"] = hostname
        return StepResult(summary: "\(name) web remote for \(hostname ?? device): \(url)", details: details)
    }

    // MARK: Requests

    /// The requests of a step, as `render_action` and `parse_action` name them.
    enum Stage: String {
        case start, status, results, stdout, stderr, device
    }

    /// One request of a step; returns what `parse_action` read from a successful answer. A `start`
    /// is sent again only when the platform throttled it: after a timeout or a 5xx the job may
    /// exist already, and sending it again could run the operation twice, so that is reported instead.
    private func call(_ stage: Stage, step: JSONValue, job: String? = nil) async throws(ActionFailure) -> JSONValue {
        var input: [String: JSONValue] = ["stage": .string(stage.rawValue), "step": step]
        input["jobUid"] = job.map(JSONValue.string)
        do {
            return try await exchange.send(render: .renderAction, parse: .parseAction, input: input, reading: ["stage": .string(stage.rawValue)]) { status in
                stage == .start && status != 429 && status != 403 ? "the quick job may have been created, so it was not sent again" : nil
            }
        } catch {
            switch error.kind {
            case .cancelled: throw .execution(step: "\(name) request", reason: "cancelled")
            case .platform, .authentication: throw .platform(platform: platform, status: error.status, error: error.reason)
            }
        }
    }

    private func pause(_ duration: Duration, step: String) async throws(ActionFailure) {
        do { try await Task.sleep(for: duration) } catch { throw .execution(step: step, reason: "cancelled") }
    }

    /// A string member `parse_action` must return for `stage`.
    private func member(_ key: String, of result: JSONValue, stage: Stage) throws(ActionFailure) -> String {
        guard case .string(let value)? = result[key] else {
            throw .platform(platform: platform, status: nil, error: "\(adapter.label): parse_action returned no \(key) for stage \(stage.rawValue)")
        }
        return value
    }

    /// A job timing setting of the target, else the default the plugin declares for it.
    private func seconds(_ setting: String) throws(ActionFailure) -> Double {
        let value = target.settings[setting] ?? adapter.plugin.manifest.config.first { $0.name == setting }?.defaultValue
        let seconds: Double? = switch value {
        case .integer(let number)?: Double(number)
        case .number(let number)?: number
        default: nil
        }
        guard let seconds, seconds > 0 else {
            let given = value.map { "got \($0.text())" } ?? "not set, and \(adapter.label) declares no default"
            throw .unsupported(step: "platform-job", reason: "target '\(target.name)': \(setting) must be a positive number of seconds, \(given)")
        }
        return seconds
    }

    /// `text` cut to `outputLimit` bytes of UTF-8, at a character boundary, and whether it was cut.
    static func capped(_ text: String) -> (text: String, truncated: Bool) {
        guard text.utf8.count > outputLimit else { return (text, false) }
        var end = text.utf8.index(text.startIndex, offsetBy: outputLimit)
        while end.samePosition(in: text.unicodeScalars) == nil { end = text.utf8.index(before: end) }
        return (String(text.unicodeScalars[..<end]), true)
    }
}
