import Foundation
import PluginHost

/// The delivery targets and policy in force, merged from the user's file, the administrator's
/// policy file (which wins) and environment variables (which win over both, for one run).
///
/// ```swift
/// let sources = try ConfigurationSources.resolve(configOption: nil, policyOption: nil, environment: env, dataDirectory: home)
/// let configuration = try DeliveryConfiguration.load(sources, platforms: catalog.platformManifests)
/// ```
public struct DeliveryConfiguration: Sendable {
    public let targets: [DeliveryTarget]
    public let policy: DeliveryPolicy
    /// The files the configuration came from, in precedence order (lowest first).
    public let files: [String]

    /// The standard target settings and their types; plugin manifests declare the rest.
    static let standardFields: [(name: String, type: ConfigField.FieldType, secret: Bool)] = [
        ("Name", .string, false), ("Platform", .string, false), ("Enabled", .boolean, false),
        ("APIEndpoint", .string, false), ("APIKey", .string, true), ("CompanyID", .string, false),
        ("ClientID", .string, false), ("SendOnDetection", .boolean, false), ("SendOnRemediation", .boolean, false),
        ("SendOnVerification", .boolean, false), ("SendDailySummary", .boolean, false),
        ("MinimumSeverity", .string, false), ("AllowInsecureHTTP", .boolean, false),
    ]

    /// Values a setting takes when no file gives it (the defaults of the RMM integration config).
    static let defaults: [String: JSONValue] = [
        "Enabled": .bool(false), "SendOnDetection": .bool(true), "SendOnRemediation": .bool(true),
        "SendOnVerification": .bool(false), "SendDailySummary": .bool(true), "MinimumSeverity": .string("Warning"),
        "AllowInsecureHTTP": .bool(false),
    ]

    /// Other names users give platforms.
    static let platformAliases = ["ninjaone": "ninjarmm", "datto": "dattormm", "connectwisemanage": "connectwise",
                                  "connectwisepsa": "connectwise", "syncromsp": "syncro"]

    /// The platform id that a platform name designates: its letters and digits in lowercase, with
    /// the other names users give platforms mapped to their plugins' (`Datto` and `DattoRMM` are
    /// `dattormm`). Targets, plan steps and devices name platforms; this says which plugin serves them.
    public static func platformID(_ name: String) -> String {
        let normalized = name.lowercased().filter { $0.isLetter || $0.isNumber }
        return platformAliases[normalized] ?? normalized
    }

    /// The fields of the `delivery` block.
    static let policyFields = ["TimeoutSeconds", "MaxAttempts", "InitialBackoffSeconds", "MaxBackoffSeconds"]

    /// Loads and validates everything. Every problem found is reported, not just the first.
    public static func load(_ sources: ConfigurationSources, platforms: [String: Manifest]) throws(ConfigurationErrors) -> DeliveryConfiguration {
        var problems: [ConfigurationProblem] = []
        var raw: [RawTarget] = []
        var policy = DeliveryPolicy()
        var files: [String] = []
        for (file, isPolicy) in [(sources.userFile, false), (sources.policyFile, true)] {
            guard let file else { continue }
            files.append(file)
            do {
                let document = try ConfigurationDocument(file: file, isPolicy: isPolicy)
                raw = document.merge(into: raw, overriding: isPolicy)
                document.apply(to: &policy, problems: &problems)
            } catch {
                problems += error.problems
            }
        }
        let environment = EnvironmentOverrides(sources.environment)
        environment.apply(to: &raw, policy: &policy, platforms: platforms, problems: &problems)

        var targets: [DeliveryTarget] = []
        var names = Set<String>()
        for target in raw {
            guard names.insert(target.name).inserted else {
                problems.append(ConfigurationProblem(location: target.location, field: target.path("Name"),
                                                     reason: "target name '\(target.name)' is used twice; give each target its own Name"))
                continue
            }
            if let valid = target.validated(platforms: platforms, problems: &problems) { targets.append(valid) }
        }
        for file in files {
            problems += Self.permissionProblems(file: file, targets: raw.filter { $0.location == file }, platforms: platforms)
        }
        guard problems.isEmpty else { throw ConfigurationErrors(problems: problems) }
        return DeliveryConfiguration(targets: targets, policy: policy, files: files)
    }

    /// A file that holds secrets must not be readable by group or others.
    static func permissionProblems(file: String, targets: [RawTarget], platforms: [String: Manifest]) -> [ConfigurationProblem] {
        var status = stat()
        guard stat(file, &status) == 0, status.st_mode & 0o077 != 0 else { return [] }
        for target in targets {
            for (field, value) in target.fields.sorted(by: { $0.key < $1.key })
            where target.isSecret(field, platforms: platforms) && value.value != .string("") && value.location == file {
                return [ConfigurationProblem(location: file, field: target.path(field), reason:
                    "the file holds this secret but is readable by group or others (mode \(String(status.st_mode & 0o777, radix: 8))); run chmod 600 \(file)")]
            }
        }
        return []
    }

    /// The target named `name`.
    public func target(named name: String) -> DeliveryTarget? { targets.first { $0.name == name } }

    /// A target whose settings come from one block of a file other than the configuration (the
    /// Datto connection in `datto.json`), validated like a configured target, the file's
    /// permissions included. `Name` and `Platform` are set here; `Enabled` defaults to true.
    public static func target(named name: String, platform: String, settings: [String: JSONValue], file: String, block: String,
                              platforms: [String: Manifest]) throws(ConfigurationErrors) -> DeliveryTarget {
        var fields = settings.mapValues { RawTarget.Setting(value: $0, location: file) }
        fields["Name"] = RawTarget.Setting(value: .string(name), location: file)
        fields["Platform"] = RawTarget.Setting(value: .string(platform), location: file)
        if fields["Enabled"] == nil { fields["Enabled"] = RawTarget.Setting(value: .bool(true), location: file) }
        let raw = RawTarget(name: name, location: file, pathPrefix: block, fields: fields)
        var problems: [ConfigurationProblem] = []
        let target = raw.validated(platforms: platforms, problems: &problems)
        problems += permissionProblems(file: file, targets: [raw], platforms: platforms)
        guard let target, problems.isEmpty else { throw ConfigurationErrors(problems: problems) }
        return target
    }
}

/// Where configuration is read from.
public struct ConfigurationSources: Sendable, Equatable {
    public var userFile: String?
    public var policyFile: String?
    public var environment: [String: String]

    public init(userFile: String?, policyFile: String?, environment: [String: String]) {
        self.userFile = userFile
        self.policyFile = policyFile
        self.environment = environment
    }

    /// The administrator's policy file when no other is named.
    public static let defaultPolicyFile = "/etc/switchboard/policy.json"

    /// `--config FILE`, else `SWITCHBOARD_CONFIG`, else the first of `config.json`, `config.yaml`,
    /// `config.yml` in the data directory that exists; the policy file as `policyFile` finds it.
    /// A file that was named explicitly must exist.
    public static func resolve(configOption: String?, policyOption: String?, environment: [String: String],
                               dataDirectory: String) throws(ConfigurationErrors) -> ConfigurationSources {
        ConfigurationSources(
            userFile: try named(configOption, "SWITCHBOARD_CONFIG", environment: environment,
                                fallback: ["config.json", "config.yaml", "config.yml"].map { dataDirectory + "/" + $0 }),
            policyFile: try policyFile(option: policyOption, environment: environment),
            environment: environment)
    }

    /// The administrator's policy file (delivery targets, trusted plugin keys): `--policy FILE`,
    /// else `SWITCHBOARD_POLICY` (either must exist), else /etc/switchboard/policy.json when it exists.
    public static func policyFile(option: String?, environment: [String: String]) throws(ConfigurationErrors) -> String? {
        try named(option, "SWITCHBOARD_POLICY", environment: environment, fallback: [defaultPolicyFile])
    }

    private static func named(_ option: String?, _ variable: String, environment: [String: String],
                              fallback: [String]) throws(ConfigurationErrors) -> String? {
        if let explicit = option ?? environment[variable].flatMap({ $0.isEmpty ? nil : $0 }) {
            guard FileManager.default.fileExists(atPath: explicit) else {
                throw ConfigurationErrors(problems: [ConfigurationProblem(location: explicit, field: nil, reason: "no such file")])
            }
            return explicit
        }
        return fallback.first { FileManager.default.fileExists(atPath: $0) }
    }
}

/// One thing wrong with the configuration: where, which field, and why.
public struct ConfigurationProblem: Sendable, Equatable, CustomStringConvertible {
    /// A file, or `environment variable NAME`.
    public let location: String
    public let field: String?
    public let reason: String
    public var description: String { [location, field, reason].compactMap { $0 }.joined(separator: ": ") }

    public init(location: String, field: String?, reason: String) {
        self.location = location
        self.field = field
        self.reason = reason
    }
}

/// Everything wrong with a configuration.
public struct ConfigurationErrors: Error, Sendable, Equatable, CustomStringConvertible {
    public let problems: [ConfigurationProblem]
    public var description: String { problems.map(\.description).joined(separator: "\n") }

    public init(problems: [ConfigurationProblem]) { self.problems = problems }
}
