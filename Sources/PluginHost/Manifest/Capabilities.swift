/// What a plugin declares it may do: the kinds of result it emits, the platforms it acts on and
/// the tenants it acts for (a manifest's `capabilities`). The host refuses to load a plugin whose
/// declaration exceeds the administrator's bound (`PluginPolicy.allow`), and refuses calls and
/// results outside the declaration.
///
/// ```swift
/// let capabilities = manifest.capabilities
/// capabilities.emits          // [.localReboot, .platformJob]
/// capabilities.tenants.contains("acme")   // true for ["*"]
/// ```
public struct Capabilities: Sendable, Equatable {
    /// The kinds of result the plugin may produce, in declaration order.
    public let emits: [Emission]
    /// The platforms the plugin may act on: an action plugin's plan steps and devices, a platform
    /// plugin's targets.
    public let platforms: [String]
    /// The tenants the plugin may act for.
    public let tenants: TenantScope

    public init(emits: [Emission], platforms: [String], tenants: TenantScope) {
        self.emits = emits
        self.platforms = platforms
        self.tenants = tenants
    }

    /// The declaration of a manifest without `capabilities`: everything the rest of the manifest
    /// allows (action plugins: every step kind their platforms run; platform plugins: HTTP
    /// requests to their own platform), for any tenant.
    static func widest(kind: PluginKind, platforms: [String]) -> Capabilities {
        let emits = Emission.allCases.filter { $0.pluginKind == kind && $0.runs(onAnyOf: platforms) }
        return Capabilities(emits: emits, platforms: platforms, tenants: .any)
    }
}

/// A kind of result a plugin produces: a plan step (action plugins) or an HTTP request (platform
/// plugins).
public enum Emission: String, Sendable, CaseIterable, Equatable {
    case localReboot = "local-reboot"
    case localScript = "local-script"
    case platformJob = "platform-job"
    case remoteSession = "remote-session"
    case httpRequest = "http-request"

    /// The kind of plugin that produces it.
    public var pluginKind: PluginKind { self == .httpRequest ? .platform : .action }

    /// Whether a plan step of this kind runs on the Switchboard machine (platform `local`) rather
    /// than through a remote platform.
    var isLocal: Bool { self == .localReboot || self == .localScript }

    /// Whether one of `platforms` can run it: `local` the local steps, any other platform the
    /// remote ones. HTTP requests go to any platform.
    func runs(onAnyOf platforms: [String]) -> Bool {
        switch self {
        case .httpRequest: !platforms.isEmpty
        case .localReboot, .localScript: platforms.contains(Self.localPlatform)
        case .platformJob, .remoteSession: platforms.contains { $0 != Self.localPlatform }
        }
    }

    /// The platform of the machine Switchboard runs on.
    public static let localPlatform = "local"
}

/// The tenants a plugin may act for: any (`["*"]`) or the ones listed.
public enum TenantScope: Sendable, Equatable {
    case any
    case only([String])

    /// `*`, the member of a tenant list that stands for every tenant.
    public static let wildcard = "*"

    public func contains(_ tenant: String) -> Bool {
        switch self {
        case .any: true
        case .only(let tenants): tenants.contains(tenant)
        }
    }

    /// The list as a manifest or policy writes it (`["*"]` for any).
    public var names: [String] {
        switch self {
        case .any: [Self.wildcard]
        case .only(let tenants): tenants
        }
    }

    /// What a tenant id looks like: lowercase letters and digits in dash-separated groups, at most 64.
    static func isTenantID(_ text: String) -> Bool {
        text.utf8.count <= 64 && Grammar.isLowercaseName(text, separators: [0x2d])
    }
}

extension FieldReader {
    /// A list of distinct strings at `path`, each checked by `read` (which gets the item's path).
    /// `allowEmpty` false requires at least one item, described as `what`.
    func distinctStrings<T: Equatable>(_ value: JSONValue, at path: String, allowEmpty: Bool, what: String,
                                       _ read: (String, String) throws(PluginLoadError) -> T) throws(PluginLoadError) -> [T] {
        guard case .array(let items) = value else { throw error(path, .wrongType(expected: "array", actual: value.typeName)) }
        var result: [T] = []
        for (index, item) in items.enumerated() {
            let itemPath = "\(path)[\(index)]"
            guard case .string(let text) = item else { throw error(itemPath, .wrongType(expected: "string", actual: item.typeName)) }
            let parsed = try read(text, itemPath)
            guard !result.contains(parsed) else { throw error(itemPath, .invalidValue("'\(text)' is listed more than once")) }
            result.append(parsed)
        }
        guard allowEmpty || !result.isEmpty else { throw error(path, .invalidValue("must list at least one \(what)")) }
        return result
    }

    /// A list of result kinds (`emits`).
    func emissions(_ value: JSONValue, at path: String, allowEmpty: Bool) throws(PluginLoadError) -> [Emission] {
        try distinctStrings(value, at: path, allowEmpty: allowEmpty, what: "kind") { (text, itemPath) throws(PluginLoadError) in
            guard let emission = Emission(rawValue: text) else {
                throw error(itemPath, .invalidValue(
                    "unknown kind '\(text)' (known: \(Emission.allCases.map(\.rawValue).joined(separator: ", ")))"))
            }
            return emission
        }
    }

    /// A list of platform names (`platforms`).
    func platformNames(_ value: JSONValue, at path: String, allowEmpty: Bool) throws(PluginLoadError) -> [String] {
        try distinctStrings(value, at: path, allowEmpty: allowEmpty, what: "platform") { (text, itemPath) throws(PluginLoadError) in
            guard text.utf8.count <= 64, Grammar.isLowercaseName(text, separators: [0x2d]) else {
                throw error(itemPath, .invalidValue("'\(text)' is not valid: expected a lowercase platform name such as 'datto' or 'local'"))
            }
            return text
        }
    }

    /// A list of tenant ids, or `["*"]` for any tenant (`tenants`).
    func tenantScope(_ value: JSONValue, at path: String, allowEmpty: Bool) throws(PluginLoadError) -> TenantScope {
        let names = try distinctStrings(value, at: path, allowEmpty: allowEmpty, what: "tenant, or '*' for any") {
            (text, itemPath) throws(PluginLoadError) in
            guard text == TenantScope.wildcard || TenantScope.isTenantID(text) else {
                throw error(itemPath, .invalidValue("'\(text)' is not valid: expected a tenant id such as 'acme', or '*' for any"))
            }
            return text
        }
        guard names.contains(TenantScope.wildcard) else { return .only(names) }
        guard names.count == 1 else {
            throw error(path, .invalidValue("'*' (any tenant) cannot be combined with tenant ids"))
        }
        return .any
    }
}

extension Manifest {
    /// The manifest's `capabilities`, or the widest declaration the rest of it allows when it has
    /// none (and for each field it leaves out). Checked against the manifest: the kinds must be
    /// the plugin kind's, the platforms the plugin's own.
    static func capabilities(_ root: [String: JSONValue], kind: PluginKind, platforms manifestPlatforms: [String],
                             reader: FieldReader) throws(PluginLoadError) -> Capabilities {
        let widest = Capabilities.widest(kind: kind, platforms: manifestPlatforms)
        guard let section = root["capabilities"] else { return widest }
        let fields = try reader.object(section, at: "capabilities")
        try reader.rejectUnknownFields(fields, allowed: ["emits", "platforms", "tenants"], at: "capabilities")
        let platforms = try fields["platforms"].map { (value) throws(PluginLoadError) in
            try reader.platformNames(value, at: "capabilities.platforms", allowEmpty: false)
        } ?? widest.platforms
        for (index, platform) in platforms.enumerated() where !manifestPlatforms.contains(platform) {
            let reason = kind == .platform
                ? "a platform plugin acts only on its own platform '\(manifestPlatforms.joined())', not '\(platform)'"
                : "'\(platform)' is not one of the manifest's platforms (\(manifestPlatforms.joined(separator: ", ")))"
            throw reader.error("capabilities.platforms[\(index)]", .invalidValue(reason))
        }
        let emits = try fields["emits"].map { (value) throws(PluginLoadError) in
            try reader.emissions(value, at: "capabilities.emits", allowEmpty: false)
        } ?? Capabilities.widest(kind: kind, platforms: platforms).emits
        for (index, emission) in emits.enumerated() {
            let path = "capabilities.emits[\(index)]"
            guard emission.pluginKind == kind else {
                throw reader.error(path, .invalidValue(kind == .platform
                    ? "platform plugins emit only '\(Emission.httpRequest.rawValue)', not '\(emission.rawValue)'"
                    : "action plugins emit plan steps, not '\(emission.rawValue)'"))
            }
            guard emission.runs(onAnyOf: platforms) else {
                throw reader.error(path, .invalidValue(emission.isLocal
                    ? "'\(emission.rawValue)' runs on platform '\(Emission.localPlatform)', which capabilities.platforms does not list"
                    : "'\(emission.rawValue)' runs on a platform other than '\(Emission.localPlatform)', and capabilities.platforms lists none"))
            }
        }
        let tenants = try fields["tenants"].map { (value) throws(PluginLoadError) in
            try reader.tenantScope(value, at: "capabilities.tenants", allowEmpty: false)
        } ?? .any
        return Capabilities(emits: emits, platforms: platforms, tenants: tenants)
    }
}
