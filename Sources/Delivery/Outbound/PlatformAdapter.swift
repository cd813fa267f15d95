import Foundation
import PluginHost

/// A platform plugin as delivery uses it: render a message into a request, ask for a token,
/// read an answer. Every call goes through the plugin's data roles.
struct PlatformAdapter: Sendable {
    let plugin: LoadedPlugin

    /// `id@version`, as the audit trail records it.
    var label: String { "\(plugin.manifest.id)@\(plugin.manifest.version)" }
    var needsToken: Bool { plugin.interface(for: .requestToken) != nil }

    /// What a platform's answer means.
    enum Verdict: Equatable {
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
        return try PlannedRequest(json: call(role, .object(input)), target: target, plugin: label)
    }

    func tokenRequest(target: DeliveryTarget) throws(DeliveryError) -> PlannedRequest {
        try PlannedRequest(json: call(.requestToken, .object(["target": .object(target.settings)])), target: target, plugin: label)
    }

    func interpret(_ answer: HTTPAnswer, kind: String, target: DeliveryTarget) throws(DeliveryError) -> Verdict {
        let result = try call(.parseResponse, .object([
            "kind": .string(kind == "test" ? "alert" : kind), "status": .integer(Int64(answer.status)),
            "headers": .object(answer.headers.mapValues(JSONValue.string)), "body": .string(answer.body),
            "target": .object(target.settings),
        ]))
        let error: String = if case .string(let text)? = result["error"] { text } else { "HTTP \(answer.status)" }
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
        default: throw .invalidRequest(plugin: label, reason: "parse_response returned no known outcome: \(result.text())")
        }
    }

    private func call(_ role: EntryPointRole, _ input: JSONValue) throws(DeliveryError) -> JSONValue {
        do {
            return try JSONValue.parse(plugin.call(role, input: input.serialized()))
        } catch let error as PluginCallError {
            throw .plugin(.init(description: error.description))
        } catch {
            throw .invalidRequest(plugin: label, reason: "\(role.rawValue) returned output that is not JSON")
        }
    }
}
