/// A parameter an action plugin declares in its manifest (`parameters`), with its type and limits,
/// so the host checks a request's values before any plugin runs and can print them without
/// plugin-specific code.
///
/// ```swift
/// let reboot = try catalog.plugin(id: "switchboard.reboot").manifest
/// try reboot.parameters(fromText: ["delaySeconds": "60"])   // ["delaySeconds": 60, "force": false]
/// try reboot.parameters(fromText: ["delaySeconds": "soon"]) // throws: ... expected an integer, got 'soon'
/// ```
public struct ActionParameter: Sendable, Equatable {
    public enum ValueType: String, Sendable, CaseIterable {
        case string, integer, boolean

        /// `a string`, `an integer`, `a boolean`: how error messages name the type.
        public var article: String { self == .integer ? "an integer" : "a \(rawValue)" }
    }

    /// The longest string parameter when the manifest sets no `maxLength`.
    public static let defaultMaxLength = 1024
    /// The largest `maxLength` a manifest may declare (the size limit of a manifest).
    public static let maxLengthLimit = 1 << 20

    public let name: String
    public let type: ValueType
    public let summary: String?
    /// A request must give it; a required parameter has no default.
    public let required: Bool
    /// Filled in when a request does not give the parameter.
    public let defaultValue: JSONValue?
    /// Integers only: the smallest and largest values accepted.
    public let minimum: Int64?
    public let maximum: Int64?
    /// Strings only: the most characters accepted.
    public let maxLength: Int
    /// Its value is never echoed in errors, logs or audit entries.
    public let secret: Bool

    public init(name: String, type: ValueType, summary: String? = nil, required: Bool = false, defaultValue: JSONValue? = nil,
                minimum: Int64? = nil, maximum: Int64? = nil, maxLength: Int = ActionParameter.defaultMaxLength, secret: Bool = false) {
        self.name = name
        self.type = type
        self.summary = summary
        self.required = required
        self.defaultValue = defaultValue
        self.minimum = minimum
        self.maximum = maximum
        self.maxLength = maxLength
        self.secret = secret
    }

    /// What is wrong with `value` for this parameter, or nil when it is acceptable.
    func problem(with value: JSONValue) -> ParameterError.Problem? {
        switch (type, value) {
        case (.string, .string(let text)):
            return text.count > maxLength ? .tooLong(maxLength: maxLength) : nil
        case (.integer, .integer(let number)):
            if let minimum, number < minimum { return .belowMinimum(minimum, got: shown(value)) }
            if let maximum, number > maximum { return .aboveMaximum(maximum, got: shown(value)) }
            return nil
        case (.boolean, .bool):
            return nil
        default:
            return .wrongType(expected: type, got: shown(value))
        }
    }

    /// The value a command-line text stands for: integers in decimal, booleans `true` or `false`.
    /// Text that is neither stays a string, so the type check reports it as given.
    func value(fromText text: String) -> JSONValue {
        switch type {
        case .string:
            return .string(text)
        case .integer:
            let digits = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
            guard !digits.isEmpty, digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let number = Int64(text) else {
                return .string(text)
            }
            return .integer(number)
        case .boolean:
            switch text {
            case "true": return .bool(true)
            case "false": return .bool(false)
            default: return .string(text)
            }
        }
    }

    /// How an error message shows a value: text quoted and cut at 64 characters, other scalars
    /// as JSON. A secret parameter's value is never shown, only its type.
    private func shown(_ value: JSONValue) -> String {
        switch value {
        case .array: return "an array"
        case .object: return "an object"
        case _ where secret: return value.typeName == "integer" ? "an integer" : "a \(value.typeName)"
        case .string(let text): return "'" + (text.count > 64 ? String(text.prefix(64)) + "..." : text) + "'"
        default: return String(decoding: value.serialized(), as: UTF8.self)
        }
    }
}

/// A request's parameter values that do not fit what the action plugin declares. Its description
/// is the line users see, e.g.
/// `switchboard.reboot: parameter 'delaySeconds': expected an integer, got 'soon'`.
public struct ParameterError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The plugin whose manifest declares the parameters.
    public let plugin: String
    /// The parameter concerned (for an unknown parameter, the name given).
    public let parameter: String
    public let problem: Problem

    public init(plugin: String, parameter: String, problem: Problem) {
        self.plugin = plugin
        self.parameter = parameter
        self.problem = problem
    }

    public var description: String {
        switch problem {
        case .unknown(let declared):
            "\(plugin): unknown parameter '\(parameter)' (declared: \(declared.isEmpty ? "none" : declared.joined(separator: ", ")))"
        case .missing:
            "\(plugin): missing required parameter '\(parameter)'"
        default:
            "\(plugin): parameter '\(parameter)': \(problem)"
        }
    }

    public enum Problem: Equatable, Sendable, CustomStringConvertible {
        /// The plugin declares no such parameter; `declared` lists those it does.
        case unknown(declared: [String])
        case missing
        /// `got` is the value as messages show it (`'soon'`, `1.5`; only the type for secrets).
        case wrongType(expected: ActionParameter.ValueType, got: String)
        case belowMinimum(Int64, got: String)
        case aboveMaximum(Int64, got: String)
        case tooLong(maxLength: Int)

        public var description: String {
            switch self {
            case .unknown: "unknown parameter"
            case .missing: "missing required parameter"
            case .wrongType(let expected, let got): "expected \(expected.article), got \(got)"
            case .belowMinimum(let minimum, let got): "must be at least \(minimum), got \(got)"
            case .aboveMaximum(let maximum, let got): "must be at most \(maximum), got \(got)"
            case .tooLong(let maxLength): "longer than \(maxLength) characters"
            }
        }
    }
}

extension Manifest {
    /// Checks the `--param name=value` texts of a request against the declared parameters:
    /// each text is read as its parameter's type (integers in decimal, booleans `true` or
    /// `false`), limits and required parameters are checked, unknown names rejected, and
    /// defaults filled in.
    public func parameters(fromText values: [String: String]) throws(ParameterError) -> [String: JSONValue] {
        try validated(values) { parameter, text in parameter.value(fromText: text) }
    }

    /// Checks JSON parameter values (the library API) the same way as `parameters(fromText:)`.
    public func parameters(from values: [String: JSONValue]) throws(ParameterError) -> [String: JSONValue] {
        try validated(values) { _, value in value }
    }

    /// Unknown names first (the first in sorted order), then each declared parameter in order.
    private func validated<Given>(_ values: [String: Given],
                                  as convert: (ActionParameter, Given) -> JSONValue) throws(ParameterError) -> [String: JSONValue] {
        let declared = parameters.map(\.name)
        if let unknown = values.keys.sorted().first(where: { !declared.contains($0) }) {
            throw ParameterError(plugin: id, parameter: unknown, problem: .unknown(declared: declared))
        }
        var result: [String: JSONValue] = [:]
        for parameter in parameters {
            guard let given = values[parameter.name] else {
                if parameter.required { throw ParameterError(plugin: id, parameter: parameter.name, problem: .missing) }
                result[parameter.name] = parameter.defaultValue
                continue
            }
            let value = convert(parameter, given)
            if let problem = parameter.problem(with: value) {
                throw ParameterError(plugin: id, parameter: parameter.name, problem: problem)
            }
            result[parameter.name] = value
        }
        return result
    }

    /// Reads `parameters`: every declaration's members, types and limits are checked, and a
    /// default must itself be a valid value.
    static func actionParameters(_ root: [String: JSONValue], reader: FieldReader) throws(PluginLoadError) -> [ActionParameter] {
        guard root["parameters"] != nil else { return [] }
        var result: [ActionParameter] = []
        for (index, item) in try reader.array(root, "parameters").enumerated() {
            let path = "parameters[\(index)]"
            let object = try reader.object(item, at: path)
            try reader.rejectUnknownFields(object, allowed: [
                "name", "type", "description", "required", "default", "minimum", "maximum", "maxLength", "secret",
            ], at: path)
            let name = try reader.string(object, "name", at: path, matching: Grammar.isFieldName, maxLength: 64,
                                         rule: "a parameter name such as 'delaySeconds'")
            guard !result.contains(where: { $0.name == name }) else {
                throw reader.error("\(path).name", .invalidValue("parameter '\(name)' is declared more than once"))
            }
            let typeName = try reader.string(object, "type", at: path)
            guard let type = ActionParameter.ValueType(rawValue: typeName) else {
                throw reader.error("\(path).type", .invalidValue(
                    "unknown parameter type '\(typeName)' (expected \(ActionParameter.ValueType.allCases.map(\.rawValue).joined(separator: ", ")))"))
            }
            for (limit, owner) in [("minimum", ActionParameter.ValueType.integer), ("maximum", .integer), ("maxLength", .string)]
            where object[limit] != nil && type != owner {
                throw reader.error("\(path).\(limit)", .invalidValue("only \(owner.rawValue) parameters take '\(limit)'"))
            }
            let minimum = try reader.optionalInteger(object, "minimum", at: path)
            let maximum = try reader.optionalInteger(object, "maximum", at: path)
            if let minimum, let maximum, minimum > maximum {
                throw reader.error("\(path).maximum", .invalidValue("must not be less than minimum (\(maximum) < \(minimum))"))
            }
            let maxLength = try reader.optionalInteger(object, "maxLength", at: path) ?? Int64(ActionParameter.defaultMaxLength)
            guard (1...Int64(ActionParameter.maxLengthLimit)).contains(maxLength) else {
                throw reader.error("\(path).maxLength", .invalidValue("must be between 1 and \(ActionParameter.maxLengthLimit), got \(maxLength)"))
            }
            let required = try reader.optionalBool(object, "required", at: path) ?? false
            let parameter = ActionParameter(
                name: name, type: type, summary: try reader.optionalString(object, "description", at: path), required: required,
                defaultValue: object["default"], minimum: minimum, maximum: maximum, maxLength: Int(maxLength),
                secret: try reader.optionalBool(object, "secret", at: path) ?? false)
            if let defaultValue = parameter.defaultValue {
                guard !required else { throw reader.error("\(path).default", .invalidValue("a required parameter takes no default")) }
                switch parameter.problem(with: defaultValue) {
                case nil: break
                case .wrongType?: throw reader.error("\(path).default", .wrongType(expected: type.rawValue, actual: defaultValue.typeName))
                case let problem?: throw reader.error("\(path).default", .invalidValue(problem.description))
                }
            }
            result.append(parameter)
        }
        return result
    }
}
