import Foundation
import PluginHost

/// A platform plugin as the host uses it: every call goes through the plugin's data roles, every
/// request it renders is checked against its target (`PlannedRequest`), and every reading of an
/// answer becomes a `Verdict`. Delivery renders alerts and reports with it; actions render their
/// steps' requests (`render_action`, `parse_action`) with it.
///
/// ```swift
/// let adapter = PlatformAdapter(plugin: plugin)
/// let request = try adapter.request(adapter.call(.renderAction, input, for: target), target: target)
/// let verdict = try adapter.verdict(adapter.call(.parseAction, answerInput, for: target), role: .parseAction, status: answer.status)
/// ```
public struct PlatformAdapter: Sendable {
    public let plugin: LoadedPlugin

    public init(plugin: LoadedPlugin) { self.plugin = plugin }

    /// `id@version`, as the audit trail records it.
    public var label: String { "\(plugin.manifest.id)@\(plugin.manifest.version)" }
    /// Whether the platform wants an OAuth token (the plugin declares `request_token`).
    public var needsToken: Bool { plugin.provides(.requestToken) }

    /// What a platform's answer means.
    public enum Verdict: Equatable, Sendable {
        case delivered(createdID: String?)
        case token(String, expiresIn: Int)
        case retry(afterSeconds: Int?, error: String)
        case reauthenticate(error: String)
        case rejected(error: String)
    }

    /// Renders a message of `kind` (`alert`, `report`, `test`) whose normalized event is `payload`.
    func render(kind: String, payload text: String, idempotencyKey: String, target: DeliveryTarget, token: String?) throws(DeliveryError) -> PlannedRequest {
        let payload: JSONValue
        do { payload = try JSONValue.parse(Data(text.utf8)) } catch {
            throw .plugin(.init(description: "the outbox message holds invalid JSON: \(error)"))
        }
        let (role, member): (EntryPointRole, String) = kind == "report" ? (.renderReport, "report") : (.renderAlert, "alert")
        var input: [String: JSONValue] = [member: payload, "target": .object(target.settings), "idempotencyKey": .string(idempotencyKey)]
        if let token { input["token"] = .string(token) }
        return try request(call(role, .object(input), for: target), target: target)
    }

    func tokenRequest(target: DeliveryTarget) throws(DeliveryError) -> PlannedRequest {
        try request(call(.requestToken, .object(["target": .object(target.settings)]), for: target), target: target)
    }

    func interpret(_ answer: HTTPAnswer, kind: String, target: DeliveryTarget) throws(DeliveryError) -> Verdict {
        var input = Self.answerInput(answer, target: target)
        input["kind"] = .string(kind == "test" ? "alert" : kind)
        return try verdict(call(.parseResponse, .object(input), for: target), role: .parseResponse, status: answer.status)
    }

    /// The request a render role returned, checked against `target` (its host, https, headers).
    public func request(_ json: JSONValue, target: DeliveryTarget) throws(DeliveryError) -> PlannedRequest {
        try PlannedRequest(json: json, target: target, plugin: label)
    }

    /// What every parse role receives about an answer: `status`, `headers`, `body` and `target`.
    public static func answerInput(_ answer: HTTPAnswer, target: DeliveryTarget) -> [String: JSONValue] {
        ["status": .integer(Int64(answer.status)), "headers": .object(answer.headers.mapValues(JSONValue.string)),
         "body": .string(answer.body), "target": .object(target.settings)]
    }

    /// Reads the `outcome` of what a parse role (`role`) returned about an answer with `status`; the
    /// other members stay the caller's to read.
    public func verdict(_ result: JSONValue, role: EntryPointRole, status: Int) throws(DeliveryError) -> Verdict {
        let error: String = if case .string(let text)? = result["error"] { text } else { "HTTP \(status)" }
        switch result["outcome"] {
        case .string("delivered")?:
            if case .string(let token)? = result["accessToken"] {
                let lifetime: Int = if case .integer(let seconds)? = result["expiresInSeconds"] { Int(seconds) } else { 3600 }
                return .token(token, expiresIn: lifetime)
            }
            if case .string(let id)? = result["createdId"] { return .delivered(createdID: id) }
            return .delivered(createdID: nil)
        case .string("retry")?:
            let after: Int? = if case .integer(let seconds)? = result["retryAfterSeconds"] { Int(seconds) } else { nil }
            return .retry(afterSeconds: after, error: error)
        case .string("reauthenticate")?: return .reauthenticate(error: error)
        case .string("rejected")?: return .rejected(error: error)
        default: throw .invalidRequest(plugin: label, reason: "\(role.rawValue) returned no known outcome: \(result.text())")
        }
    }

    /// Calls a data role with a JSON input about `target`; the plugin's error, or output that is
    /// not JSON, is a `DeliveryError`. A target on a platform the plugin does not declare in its
    /// capabilities is refused before the plugin sees it (targets have no tenant, so the declared
    /// tenants do not apply here).
    public func call(_ role: EntryPointRole, _ input: JSONValue, for target: DeliveryTarget) throws(DeliveryError) -> JSONValue {
        let declared = plugin.manifest.capabilities.platforms
        guard declared.contains(where: { DeliveryConfiguration.platformID($0) == DeliveryConfiguration.platformID(target.platform) }) else {
            throw .undeclaredPlatform(plugin: plugin.manifest.id, target: target.name, platform: target.platform, declared: declared)
        }
        do {
            return try JSONValue.parse(plugin.call(role, input: input.serialized()))
        } catch let error as PluginCallError {
            throw .plugin(.init(description: error.description))
        } catch {
            throw .invalidRequest(plugin: label, reason: "\(role.rawValue) returned output that is not JSON")
        }
    }
}
