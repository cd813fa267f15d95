// Actions on Datto RMM devices: the request each stage of a plan step sends, and what its answer
// says. A platform job runs the Datto component configured for its operation as a quick job; the
// host then polls the job until it is completed and reads its results, stdout and stderr. A remote
// session reads the device's web remote URL.
import Foundation
import SwitchboardPluginKit

extension DattoRMM {
    /// One request of an action step, in the order the host sends them: `start` (the quick job),
    /// `status` (polled until the job is completed), `results`, then `stdout` and `stderr` when a
    /// component wrote any; `device` for a remote session.
    enum ActionStage: String, CaseIterable {
        case start, status, results, stdout, stderr, device

        init(_ input: JSONObject) throws(PluginError) {
            let name = try input.string("stage")
            guard let stage = Self(rawValue: name) else {
                throw .invalidInput("\(input.field("stage")): expected one of \(Self.allCases.map(\.rawValue).joined(separator: ", ")), got '\(name)'")
            }
            self = stage
        }

        /// The kind of plan step the stage belongs to.
        var stepKind: String { self == .device ? "remote-session" : "platform-job" }
    }

    /// The operations a platform job can run, each with the target setting naming its component.
    static let components: [(operation: String, setting: String)] = [("reboot", "RebootComponentUID"), ("run-script", "ScriptComponentUID")]

    /// The request for `stage` of `step` (`{"kind", "device", "operation", "variables"}`).
    func actionRequest(_ stage: ActionStage, step: JSONObject, input: JSONObject) throws(PluginError) -> HTTPRequestPlan {
        let kind = try step.choice("kind", ["platform-job", "remote-session"])
        guard kind == stage.stepKind else {
            throw .invalidInput("\(step.field("kind")): stage '\(stage.rawValue)' belongs to a \(stage.stepKind) step, got '\(kind)'")
        }
        let device = try Self.uid(step.string("device"), field: step.field("device"))
        let token = try input.string("token")
        func job() throws(PluginError) -> String { try Self.uid(input.string("jobUid"), field: input.field("jobUid"), of: "job") }
        let path: String
        switch stage {
        case .start: return try quickJob(device: device, step: step, token: token)
        case .status: path = "api/v2/job/\(try job())"
        case .results: path = "api/v2/job/\(try job())/results/\(device)"
        case .stdout, .stderr: path = "api/v2/job/\(try job())/results/\(device)/\(stage.rawValue)"
        case .device: path = "api/v2/device/\(device)"
        }
        return HTTPRequestPlan(method: "GET", url: RequestBuilding.url(apiURL, path),
                               headers: ["Authorization": "Bearer \(token)", "Accept": "application/json"])
    }

    /// `PUT /api/v2/device/{deviceUid}/quickjob` running the component configured for the step's operation.
    private func quickJob(device: String, step: JSONObject, token: String) throws(PluginError) -> HTTPRequestPlan {
        let operation = try step.string("operation")
        guard let component = Self.components.first(where: { $0.operation == operation }) else {
            throw .invalidInput("\(step.field("operation")): expected one of \(Self.components.map(\.operation).joined(separator: ", ")), got '\(operation)'")
        }
        guard let componentUID = try target.optionalString(component.setting) else {
            throw .invalidInput("\(target.field(component.setting)): missing: set it to the UID of the Datto RMM component that '\(operation)' jobs run")
        }
        var variables: [[String: String]] = []
        if let given = try step.optionalObject("variables") {
            for (name, value) in given.values.sorted(by: { $0.key < $1.key }) {
                guard let text = value as? String else { throw .invalidInput("\(given.field(name)): expected a string") }
                variables.append(["name": name, "value": text])
            }
        }
        return HTTPRequestPlan(method: "PUT", url: RequestBuilding.url(apiURL, "api/v2/device/\(device)/quickjob"),
                               headers: ["Authorization": "Bearer \(token)", "Content-Type": "application/json", "Accept": "application/json"],
                               body: ["jobName": "Switchboard: \(operation)",
                                      "jobComponent": ["componentUid": componentUID, "variables": variables]])
    }

    /// What a successful answer to `stage` says: `jobUid` and `jobStatus` (start, status);
    /// `deploymentStatus` and `components` (results); `text`, the output items joined (stdout,
    /// stderr); `hostname` and `webRemoteUrl` (device). An answer that is not what Datto sends is
    /// rejected.
    static func actionResult(_ stage: ActionStage, _ response: PlatformResponse) -> [String: Any] {
        func rejected(_ expected: String) -> [String: Any] {
            ResponseResult.rejected(error: "HTTP \(response.status): expected \(expected), got '\(response.body.prefix(200))'").json
        }
        var result: [String: Any] = ["outcome": "delivered"]
        switch stage {
        case .start, .status:
            // The quick job answer wraps the job (`{"job": {...}, "jobComponents": [...]}`); the job endpoint returns it bare.
            let json = response.json as? [String: Any]
            guard let job = stage == .start ? json?["job"] as? [String: Any] : json,
                  let uid = PlatformResponse.identifier(job["uid"]), let status = job["status"] as? String else {
                return rejected(stage == .start ? "a quick job with job.uid and job.status" : "a job with uid and status")
            }
            result["jobUid"] = uid
            result["jobStatus"] = status
        case .results:
            guard let json = response.json as? [String: Any], let status = json["jobDeploymentStatus"] as? String else {
                return rejected("job results with jobDeploymentStatus")
            }
            result["deploymentStatus"] = status
            // Production answers null for many members, booleans included.
            result["components"] = (json["componentResults"] as? [Any] ?? []).compactMap { $0 as? [String: Any] }.map { component in
                ["componentName": component["componentName"] as? String ?? NSNull(),
                 "componentStatus": component["componentStatus"] as? String ?? NSNull(),
                 "hasStdOut": (component["hasStdOut"] as? NSNumber)?.boolValue ?? false,
                 "hasStdErr": (component["hasStdErr"] as? NSNumber)?.boolValue ?? false,
                 "numberOfWarnings": (component["numberOfWarnings"] as? NSNumber)?.intValue ?? 0] as [String: Any]
            }
        case .stdout, .stderr:
            guard let items = response.body.isEmpty ? [] : response.json as? [Any] else { return rejected("a list of output items") }
            result["text"] = items.compactMap { ($0 as? [String: Any])?["stdData"] as? String }.joined(separator: "\n")
        case .device:
            guard let json = response.json as? [String: Any] else { return rejected("a device") }
            result["hostname"] = json["hostname"] as? String ?? NSNull()
            result["webRemoteUrl"] = (json["webRemoteUrl"] as? String).flatMap { $0.isEmpty ? nil : $0 } ?? NSNull()
        }
        return result
    }
}
