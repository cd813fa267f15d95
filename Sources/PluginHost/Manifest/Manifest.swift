/// A plugin's manifest: the source of truth the host checks the plugin's library against.
///
/// ```swift
/// let manifest = try Manifest(json: value, file: "Manifests/switchboard.webhook.json")
/// manifest.entryPoint(for: .renderAlert)?.signature   // int32(pointer,size,pointer)
/// ```
public struct Manifest: Sendable, Equatable {
    public let id: String
    public let name: String
    public let version: String
    public let kind: PluginKind
    /// Major version of the C ABI the plugin was built against.
    public let abi: Int64
    /// The library's file name, relative to the plugin folder (or the build output when bundled).
    public let library: String
    /// Lowercase hex SHA-256 of the library file.
    public let sha256: String
    public let summary: String?
    /// The platform a platform plugin connects to (`webhook`, `datto`, ...).
    public let platform: String?
    public let entryPoints: [EntryPoint]
    /// The permission an action plugin requires of the principal who runs it.
    public let permission: String?
    /// The platforms an action plugin can run on.
    public let platforms: [String]?
    /// The name an action plugin is run by (`switchboard actions run reboot`): lowercase words
    /// joined by '-'.
    public let action: String?
    /// The parameters an action plugin takes, in declaration order (empty for platform plugins).
    public let parameters: [ActionParameter]
    /// The configuration fields the plugin reads, declared as data.
    public let config: [ConfigField]
    /// Where the plugin asks to run; nil leaves it to the host (bundled plugins in process,
    /// drop-ins in a worker process). A policy override wins over both.
    public let isolation: Isolation?
    /// What the plugin may do: the kinds of result it emits, the platforms and tenants it acts
    /// on. A manifest without `capabilities` declares everything the rest of it allows.
    public let capabilities: Capabilities

    /// The entry point declared for `role`, if any.
    public func entryPoint(for role: EntryPointRole) -> EntryPoint? {
        entryPoints.first { $0.role == role }
    }
}

/// One exported function of a plugin: what it is for, its symbol, and its C signature.
public struct EntryPoint: Sendable, Equatable {
    public let role: EntryPointRole
    public let symbol: String
    public let signature: CSignature
    /// How long a call may take in a worker process before the worker is killed (`timeoutMs`).
    public let timeoutMilliseconds: Int

    /// The call timeout when the manifest declares none.
    public static let defaultTimeoutMilliseconds = 5_000
    /// The largest call timeout a manifest may declare (10 minutes).
    public static let maximumTimeoutMilliseconds = 600_000
}

/// Where a plugin's code runs.
public enum Isolation: String, Sendable, CaseIterable, Equatable {
    /// Loaded into the host process: the fastest calls; a crash takes the host down.
    case inProcess = "in-process"
    /// Loaded by a supervised worker process: a crash or hang costs one call.
    case process
}

/// A configuration field a plugin declares, so the host can validate and print configuration
/// without plugin-specific code.
public struct ConfigField: Sendable, Equatable {
    public enum FieldType: String, Sendable, CaseIterable { case string, integer, number, boolean }
    public let name: String
    public let type: FieldType
    public let defaultValue: JSONValue?
    public let secret: Bool
    public let summary: String?
}

extension Manifest {
    /// The largest manifest file the host reads.
    public static let maximumSize = 1 << 20

    /// Validates a parsed manifest. Every failure names `file` and the exact field.
    public init(json: JSONValue, file: String) throws(PluginLoadError) {
        let reader = FieldReader(file: file)
        let root = try reader.object(json, at: "")
        try reader.rejectUnknownFields(root, allowed: [
            "$schema", "id", "name", "version", "kind", "abi", "library", "sha256", "description",
            "platform", "entryPoints", "permission", "platforms", "config", "action", "parameters", "isolation",
            "capabilities",
        ], at: "")

        id = try reader.string(root, "id", matching: { Grammar.isLowercaseName($0, separators: [0x2e, 0x2d, 0x5f]) }, maxLength: 64,
                               rule: "lowercase letters and digits separated by '.', '-' or '_', at most 64 characters")
        name = try reader.string(root, "name")
        version = try reader.string(root, "version", matching: Grammar.isSemanticVersion, maxLength: 256,
                                    rule: "a semantic version such as 1.2.3 (semver.org)")
        let kindName = try reader.string(root, "kind")
        guard let kind = PluginKind(rawValue: kindName) else {
            throw reader.error("kind", .invalidValue("unknown kind '\(kindName)' (expected platform or action)"))
        }
        self.kind = kind
        abi = try reader.integer(root, "abi")
        library = try reader.string(root, "library")
        sha256 = try reader.string(root, "sha256", matching: Grammar.isSHA256, maxLength: 64,
                                   rule: "64 hexadecimal digits").lowercased()
        summary = try reader.optionalString(root, "description")
        entryPoints = try Self.entryPoints(root, kind: kind, reader: reader)
        config = try Self.configFields(root, reader: reader)
        if let name = try reader.optionalString(root, "isolation") {
            guard let isolation = Isolation(rawValue: name) else {
                throw reader.error("isolation", .invalidValue("unknown isolation '\(name)' (expected in-process or process)"))
            }
            self.isolation = isolation
        } else {
            isolation = nil
        }

        switch kind {
        case .platform:
            platform = try reader.string(root, "platform", matching: { Grammar.isLowercaseName($0, separators: [0x2d]) }, maxLength: 64,
                                         rule: "a lowercase platform name such as 'datto'")
            for field in ["action", "permission", "platforms", "parameters"] where root[field] != nil {
                throw reader.error(field, .invalidValue("only action plugins declare '\(field)'"))
            }
            action = nil
            permission = nil
            platforms = nil
            parameters = []
        case .action:
            if root["platform"] != nil {
                throw reader.error("platform", .invalidValue("only platform plugins declare 'platform'; actions list 'platforms'"))
            }
            platform = nil
            action = try reader.string(root, "action", matching: { Grammar.isLowercaseName($0, separators: [0x2d]) }, maxLength: 64,
                                       rule: "lowercase words joined by '-', such as 'run-script'")
            permission = try reader.string(root, "permission", matching: Grammar.isPermission,
                                           maxLength: 128, rule: "'area:name', e.g. 'action:reboot'")
            platforms = try Self.platformList(root, reader: reader)
            parameters = try Self.actionParameters(root, reader: reader)
        }
        capabilities = try Self.capabilities(root, kind: kind, platforms: platforms ?? platform.map { [$0] } ?? [], reader: reader)
    }

    private static func entryPoints(_ root: [String: JSONValue], kind: PluginKind,
                                    reader: FieldReader) throws(PluginLoadError) -> [EntryPoint] {
        let items = try reader.array(root, "entryPoints")
        var seen = Set<EntryPointRole>()
        var result: [EntryPoint] = []
        for (index, item) in items.enumerated() {
            let path = "entryPoints[\(index)]"
            let object = try reader.object(item, at: path)
            try reader.rejectUnknownFields(object, allowed: ["role", "symbol", "signature", "timeoutMs"], at: path)
            let roleName = try reader.string(object, "role", at: path)
            guard let role = EntryPointRole(rawValue: roleName) else {
                throw reader.error("\(path).role", .invalidValue(
                    "unknown role '\(roleName)' (known: \(EntryPointRole.allCases.map(\.rawValue).joined(separator: ", ")))"))
            }
            guard role.kinds.contains(kind) else {
                throw reader.error("\(path).role", .invalidValue("role '\(roleName)' is not allowed in \(kind.rawValue) plugins"))
            }
            guard seen.insert(role).inserted else {
                throw reader.error("\(path).role", .invalidValue("role '\(roleName)' is declared more than once"))
            }
            let symbol = try reader.string(object, "symbol", at: path, matching: Grammar.isCIdentifier,
                                           maxLength: 255, rule: "a C identifier")
            let text = try reader.string(object, "signature", at: path)
            let signature: CSignature
            do {
                signature = try CSignature(parsing: text)
            } catch {
                throw reader.error("\(path).signature", .badSignature(error))
            }
            guard signature.isABICompatible(with: role.contract) else {
                throw reader.error("\(path).signature", .contractViolation(role: role, declared: signature))
            }
            let timeout = try reader.optionalInteger(object, "timeoutMs", at: path) ?? Int64(EntryPoint.defaultTimeoutMilliseconds)
            guard (1...Int64(EntryPoint.maximumTimeoutMilliseconds)).contains(timeout) else {
                throw reader.error("\(path).timeoutMs", .invalidValue("must be 1..\(EntryPoint.maximumTimeoutMilliseconds) milliseconds"))
            }
            result.append(EntryPoint(role: role, symbol: symbol, signature: signature, timeoutMilliseconds: Int(timeout)))
        }
        for role in EntryPointRole.required where !seen.contains(role) {
            throw reader.error("entryPoints", .missingRole(role))
        }
        return result
    }

    private static func platformList(_ root: [String: JSONValue], reader: FieldReader) throws(PluginLoadError) -> [String] {
        let items = try reader.array(root, "platforms")
        var names: [String] = []
        for (index, item) in items.enumerated() {
            guard case .string(let name) = item, Grammar.isLowercaseName(name, separators: [0x2d]) else {
                throw reader.error("platforms[\(index)]", .invalidValue("expected a lowercase platform name such as 'datto' or 'local'"))
            }
            guard !names.contains(name) else {
                throw reader.error("platforms[\(index)]", .invalidValue("platform '\(name)' is listed more than once"))
            }
            names.append(name)
        }
        guard !names.isEmpty else { throw reader.error("platforms", .invalidValue("must list at least one platform")) }
        return names
    }

    private static func configFields(_ root: [String: JSONValue], reader: FieldReader) throws(PluginLoadError) -> [ConfigField] {
        guard root["config"] != nil else { return [] }
        var fields: [ConfigField] = []
        for (index, item) in try reader.array(root, "config").enumerated() {
            let path = "config[\(index)]"
            let object = try reader.object(item, at: path)
            try reader.rejectUnknownFields(object, allowed: ["name", "type", "default", "secret", "description"], at: path)
            let name = try reader.string(object, "name", at: path, matching: Grammar.isFieldName, maxLength: 64,
                                         rule: "a field name such as 'APIEndpoint'")
            guard !fields.contains(where: { $0.name == name }) else {
                throw reader.error("\(path).name", .invalidValue("config field '\(name)' is declared more than once"))
            }
            let typeName = try reader.string(object, "type", at: path)
            guard let type = ConfigField.FieldType(rawValue: typeName) else {
                throw reader.error("\(path).type", .invalidValue(
                    "unknown config type '\(typeName)' (expected \(ConfigField.FieldType.allCases.map(\.rawValue).joined(separator: ", ")))"))
            }
            let defaultValue = object["default"]
            if let defaultValue, !type.accepts(defaultValue) {
                throw reader.error("\(path).default", .wrongType(expected: type.rawValue, actual: defaultValue.typeName))
            }
            fields.append(ConfigField(
                name: name, type: type, defaultValue: defaultValue,
                secret: try reader.optionalBool(object, "secret", at: path) ?? false,
                summary: try reader.optionalString(object, "description", at: path)))
        }
        return fields
    }
}

extension ConfigField.FieldType {
    func accepts(_ value: JSONValue) -> Bool {
        switch (self, value) {
        case (.string, .string), (.integer, .integer), (.number, .integer), (.number, .number), (.boolean, .bool): true
        default: false
        }
    }
}

/// Reads typed fields out of JSON objects, turning every mismatch into a PluginLoadError that
/// names the file and the field path.
struct FieldReader {
    let file: String
    /// The subject of a problem with the whole document (a manifest's is `manifest`).
    var documentSubject = "manifest"

    func error(_ subject: String, _ problem: PluginLoadError.Problem) -> PluginLoadError {
        PluginLoadError(file: file, subject: subject.isEmpty ? documentSubject : subject, problem: problem)
    }

    func object(_ value: JSONValue, at path: String) throws(PluginLoadError) -> [String: JSONValue] {
        guard case .object(let members) = value else {
            throw error(path, .wrongType(expected: "object", actual: value.typeName))
        }
        return members
    }

    func rejectUnknownFields(_ object: [String: JSONValue], allowed: Set<String>, at path: String) throws(PluginLoadError) {
        if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw error(join(path, unknown), .unknownField)
        }
    }

    func string(_ object: [String: JSONValue], _ key: String, at path: String = "") throws(PluginLoadError) -> String {
        guard let value = object[key] else { throw error(join(path, key), .missing) }
        guard case .string(let text) = value else {
            throw error(join(path, key), .wrongType(expected: "string", actual: value.typeName))
        }
        guard !text.isEmpty else { throw error(join(path, key), .invalidValue("must not be empty")) }
        return text
    }

    func string(_ object: [String: JSONValue], _ key: String, at path: String = "",
                matching isValid: (String) -> Bool, maxLength: Int, rule: String) throws(PluginLoadError) -> String {
        let text = try string(object, key, at: path)
        guard text.count <= maxLength, isValid(text) else {
            throw error(join(path, key), .invalidValue("'\(text)' is not valid: expected \(rule)"))
        }
        return text
    }

    func optionalString(_ object: [String: JSONValue], _ key: String, at path: String = "") throws(PluginLoadError) -> String? {
        guard object[key] != nil else { return nil }
        return try string(object, key, at: path)
    }

    func optionalBool(_ object: [String: JSONValue], _ key: String, at path: String = "") throws(PluginLoadError) -> Bool? {
        guard let value = object[key] else { return nil }
        guard case .bool(let flag) = value else {
            throw error(join(path, key), .wrongType(expected: "boolean", actual: value.typeName))
        }
        return flag
    }

    func optionalInteger(_ object: [String: JSONValue], _ key: String, at path: String = "") throws(PluginLoadError) -> Int64? {
        guard object[key] != nil else { return nil }
        return try integer(object, key, at: path)
    }

    func integer(_ object: [String: JSONValue], _ key: String, at path: String = "") throws(PluginLoadError) -> Int64 {
        guard let value = object[key] else { throw error(join(path, key), .missing) }
        guard case .integer(let number) = value else {
            throw error(join(path, key), .wrongType(expected: "integer", actual: value.typeName))
        }
        return number
    }

    func array(_ object: [String: JSONValue], _ key: String, at path: String = "") throws(PluginLoadError) -> [JSONValue] {
        guard let value = object[key] else { throw error(join(path, key), .missing) }
        guard case .array(let items) = value else {
            throw error(join(path, key), .wrongType(expected: "array", actual: value.typeName))
        }
        return items
    }

    func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
}
