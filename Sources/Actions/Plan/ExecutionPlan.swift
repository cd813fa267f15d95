import Foundation
import PluginHost

/// What an action plugin's `plan_action` returns: the steps the host is to execute, in order, and
/// a one-line summary for the ticket note. Plugins compute; the host executes.
///
/// ```json
/// {"steps": [{"kind": "local-reboot", "delaySeconds": 0, "force": false}], "summary": "reboot local device now"}
/// ```
public struct ExecutionPlan: Sendable, Equatable {
    public let steps: [PlanStep]
    public let summary: String

    public init(steps: [PlanStep], summary: String) {
        self.steps = steps
        self.summary = summary
    }

    /// Reads a plan, naming the plugin and the offending member when it is malformed.
    public init(json: JSONValue, plugin: String) throws(ActionFailure) {
        func bad(_ path: String, _ problem: String) -> ActionFailure { .badPlan(plugin: plugin, problem: "\(path): \(problem)") }
        guard case .array(let items)? = json["steps"], !items.isEmpty else { throw bad("steps", "expected a non-empty array") }
        guard case .string(let summary)? = json["summary"] else { throw bad("summary", "expected a string") }
        var steps: [PlanStep] = []
        for (index, item) in items.enumerated() {
            let path = "steps[\(index)]"
            guard case .string(let kind)? = item["kind"] else { throw bad("\(path).kind", "expected a string") }
            func string(_ name: String) throws(ActionFailure) -> String {
                guard case .string(let value)? = item[name], !value.isEmpty else { throw bad("\(path).\(name)", "expected a non-empty string") }
                return value
            }
            func integer(_ name: String, default fallback: Int64? = nil) throws(ActionFailure) -> Int64 {
                switch item[name] {
                case .integer(let value)?: return value
                case nil where fallback != nil: return fallback ?? 0
                default: throw bad("\(path).\(name)", "expected an integer")
                }
            }
            func bool(_ name: String) throws(ActionFailure) -> Bool {
                switch item[name] {
                case .bool(let value)?: return value
                case nil: return false
                default: throw bad("\(path).\(name)", "expected a boolean")
                }
            }
            func strings(_ name: String) throws(ActionFailure) -> [String] {
                guard let value = item[name] else { return [] }
                guard case .array(let values) = value else { throw bad("\(path).\(name)", "expected an array of strings") }
                var result: [String] = []
                for value in values {
                    guard case .string(let text) = value else { throw bad("\(path).\(name)", "expected an array of strings") }
                    result.append(text)
                }
                return result
            }
            func variables() throws(ActionFailure) -> [String: String] {
                guard let value = item["variables"] else { return [:] }
                guard case .object(let members) = value else { throw bad("\(path).variables", "expected an object of strings") }
                var result: [String: String] = [:]
                for (name, value) in members {
                    guard case .string(let text) = value else { throw bad("\(path).variables.\(name)", "expected a string") }
                    result[name] = text
                }
                return result
            }
            switch kind {
            case "local-reboot":
                steps.append(.localReboot(delaySeconds: Int(try integer("delaySeconds", default: 0)), force: try bool("force")))
            case "local-script":
                steps.append(.localScript(script: try string("script"), arguments: try strings("arguments"),
                                          timeoutSeconds: Int(try integer("timeoutSeconds"))))
            case "platform-job":
                steps.append(.platformJob(platform: try string("platform"), device: try string("device"),
                                          operation: try string("operation"), variables: try variables()))
            case "remote-session":
                steps.append(.remoteSession(platform: try string("platform"), device: try string("device")))
            default:
                throw bad("\(path).kind", "unknown step kind '\(kind)' (known: local-reboot, local-script, platform-job, remote-session)")
            }
        }
        self.steps = steps
        self.summary = summary
    }
}

extension ExecutionPlan {
    /// The first step outside what `manifest` declares (its kind not in `capabilities.emits`, or
    /// its platform not in `capabilities.platforms`), as the failure that refuses the whole plan.
    public func undeclaredStep(for manifest: Manifest) -> ActionFailure? {
        let declared = manifest.capabilities
        for (index, step) in steps.enumerated() {
            if !declared.emits.contains(step.kind) {
                return .undeclared(plugin: manifest.id, field: "emits", subject: "plan step \(index + 1) is '\(step.kind.rawValue)'",
                                   declared: declared.emits.map(\.rawValue))
            }
            if !declared.platforms.contains(step.platform) {
                return .undeclared(plugin: manifest.id, field: "platforms", subject: "plan step \(index + 1) runs on platform '\(step.platform)'",
                                   declared: declared.platforms)
            }
        }
        return nil
    }
}

/// One thing the host does for an action.
public enum PlanStep: Sendable, Equatable {
    /// Reboot the machine Switchboard runs on, with the configured reboot command.
    case localReboot(delaySeconds: Int, force: Bool)
    /// Run a script from the allowed folder (`script` is relative to it), without a shell.
    case localScript(script: String, arguments: [String], timeoutSeconds: Int)
    /// Run an operation (`reboot`, `run-script`) as a platform job on the device (Datto: a quick
    /// job running the component configured for the operation), then wait for its result.
    case platformJob(platform: String, device: String, operation: String, variables: [String: String])
    /// Fetch what is needed to open a remote connection to the device (Datto: its web remote URL).
    case remoteSession(platform: String, device: String)

    /// The step's kind, as plans and manifest capabilities name it.
    public var kind: Emission {
        switch self {
        case .localReboot: .localReboot
        case .localScript: .localScript
        case .platformJob: .platformJob
        case .remoteSession: .remoteSession
        }
    }

    /// `local` for the local steps, else the platform that runs the step.
    public var platform: String {
        switch self {
        case .localReboot, .localScript: Emission.localPlatform
        case .platformJob(let platform, _, _, _), .remoteSession(let platform, _): platform
        }
    }
}

/// What came of one executed step.
public struct StepResult: Sendable, Equatable {
    /// One line for the ticket note, e.g. `exit 0 after 0.4 s` or `Datto job c0a1... Success`.
    public var summary: String
    public var exitCode: Int32?
    /// Captured output, cut at the configured cap (`outputTruncated` then says so).
    public var standardOutput: String
    public var standardError: String
    public var outputTruncated: Bool
    /// Non-secret facts for the result and the audit entry (job uid, remote URL, ...).
    public var details: [String: String]

    public init(summary: String, exitCode: Int32? = nil, standardOutput: String = "", standardError: String = "",
                outputTruncated: Bool = false, details: [String: String] = [:]) {
        self.summary = summary
        self.exitCode = exitCode
        self.standardOutput = standardOutput
        self.standardError = standardError
        self.outputTruncated = outputTruncated
        self.details = details
    }
}

/// Executes plan steps of one platform (`local`, `datto`, ...). The router picks the runner by
/// `PlanStep.platform` and serializes the steps of each device.
public protocol StepRunner: Sendable {
    /// The platform whose steps this runner executes.
    var platform: String { get }
    /// Runs `step`; a step that ran but did not succeed (non-zero exit, job failure) throws.
    func run(_ step: PlanStep, correlationID: String) async throws(ActionFailure) -> StepResult
}

/// Why an action did not run, or did not succeed. Every case names what it concerns.
public enum ActionFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The plugin's plan is malformed.
    case badPlan(plugin: String, problem: String)
    /// The plugin refused the request (its `plan_action` returned an error status).
    case pluginRefused(plugin: String, message: String)
    /// The step's command or script could not be started, or ended unsuccessfully.
    case execution(step: String, reason: String)
    /// The step did not finish in time.
    case timeout(step: String, seconds: Double)
    /// The platform answered with an error (status nil: it never answered).
    case platform(platform: String, status: Int?, error: String)
    /// No runner or no configuration for the step's platform.
    case unsupported(step: String, reason: String)
    /// The request or the plan is outside what the plugin's manifest declares in `capabilities`:
    /// `subject` (e.g. `plan step 1 is 'local-reboot'`) is not among the `declared` values of
    /// `capabilities.<field>`.
    case undeclared(plugin: String, field: String, subject: String, declared: [String])

    public var description: String {
        switch self {
        case .badPlan(let plugin, let problem): "\(plugin): plan_action returned a malformed plan: \(problem)"
        case .pluginRefused(let plugin, let message): "\(plugin): \(message)"
        case .execution(let step, let reason): "\(step): \(reason)"
        case .timeout(let step, let seconds): "\(step): timed out after \(seconds.formatted(.number.precision(.fractionLength(0...1)))) s"
        case .platform(let platform, let status, let error):
            "\(platform): " + (status.map { "HTTP \($0): " } ?? "") + error
        case .unsupported(let step, let reason): "\(step): \(reason)"
        case .undeclared(let plugin, let field, let subject, let declared):
            "\(plugin): capabilities.\(field): \(subject), which is not declared (declares \(declared.joined(separator: ", ")))"
        }
    }
}
