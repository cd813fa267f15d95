import Foundation
import PluginHost
import SwitchboardPluginKit

/// An alert raised by the runtime, as it is written to the outbox.
public struct AlertEvent: Sendable {
    public var severity: AlertSeverity
    public var module: String
    public var message: String
    public var phase: AlertPhase?
    public var data: [String: JSONValue]
    public var source: String

    public init(severity: AlertSeverity, module: String, message: String, phase: AlertPhase? = nil,
                data: [String: JSONValue] = [:], source: String = "Switchboard") {
        self.severity = severity
        self.module = module
        self.message = message
        self.phase = phase
        self.data = data
        self.source = source
    }

    /// The alert as plugins receive it, stamped now with this machine's name and domain, so a
    /// retry later (or from another host) still describes where it was raised.
    var payload: JSONValue {
        var alert: [String: JSONValue] = [
            "source": .string(source), "module": .string(module), "severity": .string(severity.rawValue),
            "message": .string(message), "timestamp": .string(Date().formatted(.iso8601)),
            "endpoint": .string(SystemIdentity.current.hostName), "data": .object(data),
        ]
        if !SystemIdentity.current.domain.isEmpty { alert["domain"] = .string(SystemIdentity.current.domain) }
        if let phase { alert["phase"] = .string(phase.rawValue) }
        return .object(alert)
    }
}

/// A run summary: how many modules ran, how many issues they found, remediated, and failed to.
public struct RunSummary: Sendable, Equatable {
    public var modules: Int
    public var issuesFound: Int
    public var remediated: Int
    public var failed: Int

    public init(modules: Int, issuesFound: Int, remediated: Int, failed: Int) {
        self.modules = modules
        self.issuesFound = issuesFound
        self.remediated = remediated
        self.failed = failed
    }

    var payload: JSONValue {
        var report: [String: JSONValue] = [
            "modules": .integer(Int64(modules)), "issuesFound": .integer(Int64(issuesFound)),
            "remediated": .integer(Int64(remediated)), "failed": .integer(Int64(failed)),
            "timestamp": .string(Date().formatted(.iso8601)), "endpoint": .string(SystemIdentity.current.hostName),
        ]
        if !SystemIdentity.current.domain.isEmpty { report["domain"] = .string(SystemIdentity.current.domain) }
        return .object(report)
    }

    /// Reads a results file: either the counts themselves (`{"modules": 12, "issuesFound": 3, ...}`)
    /// or per-module results (`{"modules": [{"name": "Disk", "issuesFound": 1, "remediated": 1, "failed": 0}, ...]}`).
    public init(results data: Data, file: String) throws(ConfigurationErrors) {
        func fail(_ field: String?, _ reason: String) -> ConfigurationErrors {
            ConfigurationErrors(problems: [ConfigurationProblem(location: file, field: field, reason: reason)])
        }
        let json: JSONValue
        do { json = try JSONValue.parse(data) } catch { throw fail(nil, "malformed JSON: \(error.reason)") }
        func count(_ object: JSONValue, _ key: String, at path: String) throws(ConfigurationErrors) -> Int {
            guard let value = object[key] else { return 0 }
            guard case .integer(let number) = value, number >= 0 else { throw fail(path + key, "expected a non-negative integer, got \(value.text())") }
            return Int(number)
        }
        guard case .object = json else { throw fail(nil, "expected a JSON object") }
        if case .array(let modules)? = json["modules"] {
            var summary = RunSummary(modules: modules.count, issuesFound: 0, remediated: 0, failed: 0)
            for (index, module) in modules.enumerated() {
                let path = "modules[\(index)]."
                guard case .object = module else { throw fail("modules[\(index)]", "expected an object") }
                summary.issuesFound += try count(module, "issuesFound", at: path)
                summary.remediated += try count(module, "remediated", at: path)
                summary.failed += try count(module, "failed", at: path)
            }
            self = summary
        } else {
            guard json["modules"] != nil else { throw fail("modules", "missing (a count, or a list of module results)") }
            self = RunSummary(modules: try count(json, "modules", at: ""), issuesFound: try count(json, "issuesFound", at: ""),
                              remediated: try count(json, "remediated", at: ""), failed: try count(json, "failed", at: ""))
        }
    }
}
