import Foundation
import PluginHost

/// A target's settings as read, each remembering where it came from, before validation.
struct RawTarget {
    struct Setting {
        var value: JSONValue
        var location: String
    }

    var name: String
    /// The file (or variable) that defined the target.
    var location: String
    /// `targets[2]` in a list, empty for a legacy single-target file.
    var pathPrefix: String
    var fields: [String: Setting]

    func path(_ field: String) -> String { pathPrefix.isEmpty ? field : "\(pathPrefix).\(field)" }

    func platformID(platforms: [String: Manifest]) -> String? {
        guard case .string(let name)? = fields["Platform"]?.value else { return "webhook" }
        return DeliveryConfiguration.platformID(name)
    }

    func isSecret(_ field: String, platforms: [String: Manifest]) -> Bool {
        if let standard = DeliveryConfiguration.standardFields.first(where: { $0.name == field }) { return standard.secret }
        guard let platform = platformID(platforms: platforms) else { return false }
        return platforms[platform]?.config.first { $0.name == field }?.secret ?? false
    }

    /// Checks every setting against the standard fields and the platform plugin's declared ones.
    func validated(platforms: [String: Manifest], problems: inout [ConfigurationProblem]) -> DeliveryTarget? {
        let before = problems.count
        func problem(_ field: String, _ reason: String) {
            problems.append(ConfigurationProblem(location: fields[field]?.location ?? location, field: path(field), reason: reason))
        }
        guard let platform = platformID(platforms: platforms), let manifest = platforms[platform] else {
            let given = fields["Platform"].map { $0.value.text() } ?? "?"
            problem("Platform", "no platform plugin for \(given) (available: \(platforms.keys.sorted().joined(separator: ", ")))")
            return nil
        }
        var settings = DeliveryConfiguration.defaults
        for (field, setting) in fields.sorted(by: { $0.key < $1.key }) {
            let type: ConfigField.FieldType
            if let standard = DeliveryConfiguration.standardFields.first(where: { $0.name == field }) {
                type = standard.type
            } else if let declared = manifest.config.first(where: { $0.name == field }) {
                type = declared.type
            } else {
                let standard = DeliveryConfiguration.standardFields.map(\.name)
                let known = standard + manifest.config.map(\.name).filter { !standard.contains($0) }
                problem(field, "unknown setting for platform \(platform) (known: \(known.joined(separator: ", ")))")
                continue
            }
            var value = setting.value
            // Legacy files write CompanyID and ClientID as numbers.
            if (field == "CompanyID" || field == "ClientID"), case .integer(let number) = value { value = .string(String(number)) }
            guard Self.matches(value, type) else {
                problem(field, "expected \(type.rawValue), got \(value.typeName)")
                continue
            }
            settings[field] = value
        }
        if case .string(let severity)? = settings["MinimumSeverity"], AlertSeverity(name: severity) == nil {
            problem("MinimumSeverity", "expected one of \(AlertSeverity.allCases.map(\.rawValue).joined(separator: ", ")), got '\(severity)'")
        }
        settings["Name"] = .string(name)
        settings["Platform"] = .string(platform)
        if settings["Enabled"] == .bool(true) {
            checkEndpoint(settings, problem: problem)
        }
        guard problems.count == before else { return nil }
        let secretFields = Set(DeliveryConfiguration.standardFields.filter(\.secret).map(\.name) + manifest.config.filter(\.secret).map(\.name))
        return DeliveryTarget(name: name, platform: platform, settings: settings, secretFields: secretFields)
    }

    /// An enabled target needs an endpoint, and https unless it is on this machine or the target
    /// opts in to plain http.
    private func checkEndpoint(_ settings: [String: JSONValue], problem: (String, String) -> Void) {
        guard case .string(let endpoint)? = settings["APIEndpoint"], !endpoint.isEmpty else {
            problem("APIEndpoint", "an enabled target needs an endpoint URL")
            return
        }
        guard let url = URL(string: endpoint), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else {
            problem("APIEndpoint", "'\(endpoint)' is not an absolute URL")
            return
        }
        switch scheme {
        case "https": return
        case "http" where EndpointSecurity.isLoopback(host) || settings["AllowInsecureHTTP"] == .bool(true): return
        case "http": problem("APIEndpoint", "plain http is only allowed to this machine (loopback); use https or set AllowInsecureHTTP")
        default: problem("APIEndpoint", "unsupported scheme '\(scheme)' (expected https)")
        }
    }

    static func matches(_ value: JSONValue, _ type: ConfigField.FieldType) -> Bool {
        switch (type, value) {
        case (.string, .string), (.integer, .integer), (.number, .integer), (.number, .number), (.boolean, .bool): true
        default: false
        }
    }
}

/// One configuration file: a list of targets (`{"targets": [...], "delivery": {...}}`) or the
/// legacy single-target `RMMConfig.json` layout (one object with `Platform`, `APIEndpoint`, ...).
/// The administrator's policy file may also hold a `plugins` section, which the plugin host reads
/// (`PluginPolicy`).
struct ConfigurationDocument {
    let file: String
    let targets: [RawTarget]
    let delivery: [String: JSONValue]

    init(file: String, isPolicy: Bool) throws(ConfigurationErrors) {
        self.file = file
        func fail(_ field: String?, _ reason: String) -> ConfigurationErrors {
            ConfigurationErrors(problems: [ConfigurationProblem(location: file, field: field, reason: reason)])
        }
        guard let data = FileManager.default.contents(atPath: file) else { throw fail(nil, "cannot read the file") }
        let json: JSONValue
        do { json = try JSONValue.parseDocument(data, path: file) } catch { throw fail(nil, "malformed \(JSONValue.documentFormat(of: file)): \(error.reason)") }
        guard case .object(let root) = json else { throw fail(nil, "expected an object at the top level") }

        if root["targets"] == nil, root["Platform"] != nil || root["APIEndpoint"] != nil {
            targets = [Self.target(root, index: nil, file: file)]
            delivery = [:]
            return
        }
        if root["plugins"] != nil, !isPolicy {
            throw fail("plugins", "the plugins section belongs in the administrator's policy file (--policy, SWITCHBOARD_POLICY)")
        }
        if let unknown = root.keys.sorted().first(where: { !["targets", "delivery", "plugins", "$schema"].contains($0) }) {
            throw fail(unknown, "unknown field (expected targets, delivery, \(isPolicy ? "plugins, " : "")or the legacy single-target layout)")
        }
        var targets: [RawTarget] = []
        if let list = root["targets"] {
            guard case .array(let items) = list else { throw fail("targets", "expected array, got \(list.typeName)") }
            for (index, item) in items.enumerated() {
                guard case .object(let fields) = item else { throw fail("targets[\(index)]", "expected object, got \(item.typeName)") }
                targets.append(Self.target(fields, index: index, file: file))
            }
        }
        self.targets = targets
        if let block = root["delivery"] {
            guard case .object(let fields) = block else { throw fail("delivery", "expected object, got \(block.typeName)") }
            delivery = fields
        } else {
            delivery = [:]
        }
    }

    private static func target(_ fields: [String: JSONValue], index: Int?, file: String) -> RawTarget {
        let platform: String = if case .string(let name)? = fields["Platform"] { name } else { "Webhook" }
        let name: String = if case .string(let given)? = fields["Name"], !given.isEmpty { given } else { platform.lowercased() }
        return RawTarget(name: name, location: file, pathPrefix: index.map { "targets[\($0)]" } ?? "",
                         fields: fields.mapValues { RawTarget.Setting(value: $0, location: file) })
    }

    /// Adds this document's targets to `existing`; a target with the same name is merged field by
    /// field, this document winning when `overriding` (the policy file) and losing otherwise.
    func merge(into existing: [RawTarget], overriding: Bool) -> [RawTarget] {
        var result = existing
        for target in targets {
            // Only a target of an earlier document is merged into; a repeated name within one
            // document stays a separate target, which validation then reports.
            if let index = existing.firstIndex(where: { $0.name == target.name }) {
                result[index].fields.merge(target.fields) { current, new in overriding ? new : current }
            } else {
                result.append(target)
            }
        }
        return result
    }

    func apply(to policy: inout DeliveryPolicy, problems: inout [ConfigurationProblem]) {
        for (key, value) in delivery.sorted(by: { $0.key < $1.key }) {
            DeliveryPolicy.set(key, value, on: &policy, location: file, field: "delivery.\(key)", problems: &problems)
        }
    }
}

extension DeliveryPolicy {
    /// Sets one policy field from configuration, recording a problem when it is unknown or invalid.
    static func set(_ key: String, _ value: JSONValue, on policy: inout DeliveryPolicy, location: String, field: String,
                    problems: inout [ConfigurationProblem]) {
        let number: Double? = switch value {
        case .integer(let integer): Double(integer)
        case .number(let double): double
        default: nil
        }
        guard let number, number > 0 else {
            problems.append(ConfigurationProblem(location: location, field: field, reason: "expected a positive number, got \(value.text())"))
            return
        }
        switch key {
        case "TimeoutSeconds": policy.timeoutSeconds = number
        case "MaxAttempts": policy.maxAttempts = Int(number)
        case "InitialBackoffSeconds": policy.initialBackoffSeconds = number
        case "MaxBackoffSeconds": policy.maxBackoffSeconds = number
        default:
            problems.append(ConfigurationProblem(location: location, field: field, reason:
                "unknown field (known: \(DeliveryConfiguration.policyFields.joined(separator: ", ")))"))
        }
    }
}
