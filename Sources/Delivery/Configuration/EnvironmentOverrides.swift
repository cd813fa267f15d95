import PluginHost

/// Settings from the environment, which win over every file for one run:
/// `SWITCHBOARD_TARGET_<NAME>_<FIELD>=value` for a target's setting (name and field in any case,
/// non-alphanumerics as `_`), `SWITCHBOARD_DELIVERY_<FIELD>=value` for the delivery policy.
struct EnvironmentOverrides {
    let variables: [(name: String, value: String)]

    init(_ environment: [String: String]) {
        variables = environment.filter { $0.key.hasPrefix("SWITCHBOARD_TARGET_") || $0.key.hasPrefix("SWITCHBOARD_DELIVERY_") }
            .sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    func apply(to targets: inout [RawTarget], policy: inout DeliveryPolicy, platforms: [String: Manifest],
               problems: inout [ConfigurationProblem]) {
        for (variable, text) in variables {
            let location = "environment variable \(variable)"
            if variable.hasPrefix("SWITCHBOARD_DELIVERY_") {
                let key = String(variable.dropFirst("SWITCHBOARD_DELIVERY_".count))
                let field = DeliveryConfiguration.policyFields.first { Self.key($0) == Self.key(key) } ?? key
                DeliveryPolicy.set(field, Double(text).map(JSONValue.number) ?? .string(text), on: &policy, location: location,
                                   field: "delivery.\(field)", problems: &problems)
                continue
            }
            let rest = Self.key(String(variable.dropFirst("SWITCHBOARD_TARGET_".count)))
            guard let index = targets.indices.first(where: { rest.hasPrefix(Self.key(targets[$0].name) + "_") }) else {
                problems.append(ConfigurationProblem(location: location, field: nil, reason:
                    "no target matches (targets: \(targets.map(\.name).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }.joined(separator: ", ")))"))
                continue
            }
            let fieldKey = String(rest.dropFirst(Self.key(targets[index].name).count + 1))
            let declared = targets[index].platformID(platforms: platforms).flatMap { platforms[$0]?.config } ?? []
            let fields = DeliveryConfiguration.standardFields.map { ($0.name, $0.type) } + declared.map { ($0.name, $0.type) }
            guard let (field, type) = fields.first(where: { Self.key($0.0) == fieldKey }) else {
                problems.append(ConfigurationProblem(location: location, field: nil, reason:
                    "target '\(targets[index].name)' has no setting \(fieldKey) (known: \(fields.map(\.0).joined(separator: ", ")))"))
                continue
            }
            guard let value = Self.value(text, as: type) else {
                problems.append(ConfigurationProblem(location: location, field: nil, reason: "expected \(type.rawValue), got '\(text)'"))
                continue
            }
            targets[index].fields[field] = RawTarget.Setting(value: value, location: location)
        }
    }

    /// Uppercase, with every run of non-alphanumerics as one `_`.
    static func key(_ text: String) -> String {
        var result = ""
        for character in text.uppercased() {
            if character.isLetter || character.isNumber { result.append(character) } else if !result.hasSuffix("_") { result.append("_") }
        }
        return result
    }

    static func value(_ text: String, as type: ConfigField.FieldType) -> JSONValue? {
        switch type {
        case .string: .string(text)
        case .integer: Int64(text).map(JSONValue.integer)
        case .number: Double(text).map(JSONValue.number)
        case .boolean:
            switch text.lowercased() {
            case "true", "1", "yes", "on": .bool(true)
            case "false", "0", "no", "off": .bool(false)
            default: nil
            }
        }
    }
}
