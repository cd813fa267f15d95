import Foundation

/// What the administrator allows of plugins: the keys trusted to sign them, whether a plugin
/// that is not bundled must be signed, which plugins run in a worker process, and the most their
/// capabilities may declare. Read from the `plugins` section of the administrator's
/// policy file; bundled plugins never need a signature.
///
/// ```swift
/// let policy = try PluginPolicy.load(file: "/etc/switchboard/policy.json", environment: [:])
/// let catalog = PluginCatalog.load(candidates, policy: policy)
/// catalog.entries.map(\.signer)   // [.trustedKey(name: "acme-msp"), .unsigned, ...]
/// ```
public struct PluginPolicy: Sendable, Equatable {
    /// A public key the administrator trusts to sign plugins, and the name its plugins are listed under.
    public struct TrustedKey: Sendable, Equatable {
        public let name: String
        /// The raw 32-byte Ed25519 public key.
        public let publicKey: Data

        public init(name: String, publicKey: Data) {
            self.name = name
            self.publicKey = publicKey
        }

        /// What a key's name must look like; `unsigned` is taken (it is what `plugins list` shows
        /// for a plugin without a signature).
        public static let nameRule = "lowercase letters and digits separated by '.', '-' or '_', at most 64 characters, not 'unsigned'"

        public static func isValidName(_ name: String) -> Bool {
            name.count <= 64 && name != "unsigned" && Grammar.isLowercaseName(name, separators: [0x2e, 0x2d, 0x5f])
        }
    }

    public var trustedKeys: [TrustedKey]
    /// Whether a plugin that is not bundled is rejected when it has no signature.
    public var requireSignedPlugins: Bool
    /// Where plugins run, by plugin id or `*` for every plugin; wins over their manifests.
    public var isolation: [String: Isolation] = [:]
    /// The most plugins may declare in their capabilities, by plugin id or `*` for every plugin
    /// without an entry of its own; a plugin that declares more is rejected before its library is
    /// touched. Empty: no bound.
    public var allow: [String: CapabilityBound] = [:]
    /// Why the administrator's plugin policy could not be read, when it could not. Then only
    /// bundled plugins load: a policy that cannot be read must not let unchecked plugins in.
    public var problem: String?

    public init(trustedKeys: [TrustedKey] = [], requireSignedPlugins: Bool = false) {
        self.trustedKeys = trustedKeys
        self.requireSignedPlugins = requireSignedPlugins
    }

    /// The policy in force when the real one is unusable for `reason`: only bundled plugins load.
    public static func bundledOnly(because reason: String) -> PluginPolicy {
        var policy = PluginPolicy()
        policy.problem = reason
        return policy
    }

    /// The trusted key with these bytes, if there is one.
    func trustedKey(_ publicKey: Data) -> TrustedKey? {
        trustedKeys.first { $0.publicKey == publicKey }
    }
}

extension PluginPolicy {
    /// The environment variable that requires signed plugins for one run (`1`); it cannot relax a
    /// policy that requires them.
    public static let requireSignedVariable = "SWITCHBOARD_REQUIRE_SIGNED_PLUGINS"

    /// The policy in `file` (JSON, or YAML when it ends in `.yaml`/`.yml`; nil when there is no
    /// policy file), with `SWITCHBOARD_REQUIRE_SIGNED_PLUGINS` applied. A file without a `plugins`
    /// section allows unsigned plugins and trusts no key.
    public static func load(file: String?, environment: [String: String]) throws(PluginLoadError) -> PluginPolicy {
        var policy = PluginPolicy()
        if let file {
            let data = try PluginLoader.readBounded(file, limit: Manifest.maximumSize, what: "policy file", subject: "")
            let json: JSONValue
            do {
                json = try JSONValue.parseDocument(data, path: file)
            } catch {
                throw PluginLoadError(file: file, subject: "", problem: .invalidValue("malformed \(JSONValue.documentFormat(of: file)): \(error.reason)"))
            }
            policy = try PluginPolicy(policyDocument: json, file: file)
        }
        switch environment[requireSignedVariable] ?? "" {
        case "1", "true": policy.requireSignedPlugins = true
        case "", "0", "false": break
        case let other:
            throw PluginLoadError(file: "environment variable \(requireSignedVariable)", subject: "",
                                  problem: .invalidValue("expected 1 or 0, got '\(other)'"))
        }
        return policy
    }

    /// The `plugins` section of a policy document; errors name `file` and the field under `plugins.`.
    public init(policyDocument json: JSONValue, file: String) throws(PluginLoadError) {
        let reader = FieldReader(file: file, documentSubject: "")
        let root = try reader.object(json, at: "")
        self.init()
        guard let section = root["plugins"] else { return }
        let plugins = try reader.object(section, at: "plugins")
        try reader.rejectUnknownFields(plugins, allowed: ["requireSignedPlugins", "trustedKeys", "isolation", "allow"], at: "plugins")
        requireSignedPlugins = try reader.optionalBool(plugins, "requireSignedPlugins", at: "plugins") ?? false
        if plugins["isolation"] != nil {
            for (id, value) in try reader.object(plugins["isolation"] ?? .null, at: "plugins.isolation") {
                let path = "plugins.isolation.\(id)"
                guard id == "*" || Grammar.isLowercaseName(id, separators: [0x2e, 0x2d, 0x5f]) else {
                    throw reader.error(path, .invalidValue("expected a plugin id or '*'"))
                }
                guard case .string(let name) = value, let mode = Isolation(rawValue: name) else {
                    throw reader.error(path, .invalidValue("expected \"in-process\" or \"process\""))
                }
                isolation[id] = mode
            }
        }
        if let section = plugins["allow"] {
            // In id order, so that of several mistakes the same one is reported every time.
            for (id, value) in try reader.object(section, at: "plugins.allow").sorted(by: { $0.key < $1.key }) {
                let path = "plugins.allow.\(id)"
                guard id == "*" || Grammar.isLowercaseName(id, separators: [0x2e, 0x2d, 0x5f]) else {
                    throw reader.error(path, .invalidValue("expected a plugin id or '*'"))
                }
                allow[id] = try CapabilityBound(value, at: path, reader: reader)
            }
        }
        guard plugins["trustedKeys"] != nil else { return }
        for (index, item) in try reader.array(plugins, "trustedKeys", at: "plugins").enumerated() {
            let path = "plugins.trustedKeys[\(index)]"
            let fields = try reader.object(item, at: path)
            try reader.rejectUnknownFields(fields, allowed: ["name", "publicKey"], at: path)
            let key = TrustedKey(
                name: try reader.string(fields, "name", at: path, matching: TrustedKey.isValidName, maxLength: 64, rule: TrustedKey.nameRule),
                publicKey: try reader.base64(fields, "publicKey", at: path, length: ManifestSignature.publicKeyLength,
                                             what: "Ed25519 public key"))
            if let first = trustedKeys.firstIndex(where: { $0.name == key.name }) {
                throw reader.error(path + ".name", .invalidValue("'\(key.name)' already names plugins.trustedKeys[\(first)]"))
            }
            if let first = trustedKeys.firstIndex(where: { $0.publicKey == key.publicKey }) {
                throw reader.error(path + ".publicKey", .invalidValue("the same key as plugins.trustedKeys[\(first)]"))
            }
            trustedKeys.append(key)
        }
    }
}
