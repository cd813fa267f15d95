import Foundation
import PluginHost

/// A principal's request to run an action on a ticket.
public struct ActionRequest: Sendable {
    /// The action's name (`reboot`, `run-script`, `remote-connection`), as its manifest declares.
    public var action: String
    public var ticket: Int64
    public var principal: String
    public var parameters: Parameters
    /// Plan, but do not run.
    public var dryRun: Bool

    /// Parameters as the CLI gives them (`k=v` text) or as the library API does (typed JSON).
    public enum Parameters: Sendable {
        case text([String: String])
        case json([String: JSONValue])
    }

    public init(action: String, ticket: Int64, principal: String, parameters: Parameters = .json([:]), dryRun: Bool = false) {
        self.action = action
        self.ticket = ticket
        self.principal = principal
        self.parameters = parameters
        self.dryRun = dryRun
    }
}

/// What became of an action request. Every request gets one, with a correlation id that ties
/// together its audit entries and its ticket note.
public struct ActionResult: Sendable, Equatable {
    public enum Outcome: String, Sendable {
        /// Ran, and every step succeeded.
        case executed
        /// Ran (or was about to), and a step or the plugin failed.
        case failed
        /// The principal may not do it: nothing ran.
        case denied
        /// The request is invalid (unknown action, bad parameters, no device, ...): nothing ran.
        case rejected
        /// A dry run: the plan, not run.
        case planned
    }

    public let correlationID: String
    public let outcome: Outcome
    public let action: String
    public let ticket: Int64
    public let tenant: String?
    public let device: String?
    /// `id@version` of the action plugin.
    public let plugin: String?
    /// The plan's summary, when a plan was made.
    public let summary: String?
    public let plan: ExecutionPlan?
    public let steps: [StepResult]
    /// Why it was denied, rejected or failed.
    public let error: String?
    public let durationMilliseconds: Double
}
