/// The most a plugin may declare in its `capabilities`: one entry of the `plugins.allow` section
/// of the administrator's policy file. A field left out does not bound that part of the
/// declaration; an empty list allows nothing.
///
/// ```json
/// {"plugins": {"allow": {"*": {"tenants": ["acme"]}, "vendor.reboot": {"emits": ["platform-job"], "platforms": ["datto"]}}}}
/// ```
public struct CapabilityBound: Sendable, Equatable {
    public var emits: [Emission]?
    public var platforms: [String]?
    public var tenants: TenantScope?

    public init(emits: [Emission]? = nil, platforms: [String]? = nil, tenants: TenantScope? = nil) {
        self.emits = emits
        self.platforms = platforms
        self.tenants = tenants
    }

    /// The first part of `declared` this bound does not allow: the manifest field, what it
    /// declares beyond the bound, and what the bound allows.
    func excess(of declared: Capabilities) -> (field: String, excess: [String], allowed: [String])? {
        if let emits, case let excess = declared.emits.filter({ !emits.contains($0) }), !excess.isEmpty {
            return ("capabilities.emits", excess.map(\.rawValue), emits.map(\.rawValue))
        }
        if let platforms, case let excess = declared.platforms.filter({ !platforms.contains($0) }), !excess.isEmpty {
            return ("capabilities.platforms", excess, platforms)
        }
        if case .only(let tenants)? = tenants {
            let excess = declared.tenants.names.filter { !tenants.contains($0) }
            if !excess.isEmpty { return ("capabilities.tenants", excess, tenants) }
        }
        return nil
    }
}

extension CapabilityBound {
    /// Reads one `plugins.allow` entry; errors name `path` and the field.
    init(_ value: JSONValue, at path: String, reader: FieldReader) throws(PluginLoadError) {
        let fields = try reader.object(value, at: path)
        try reader.rejectUnknownFields(fields, allowed: ["emits", "platforms", "tenants"], at: path)
        self.init(
            emits: try fields["emits"].map { (value) throws(PluginLoadError) in try reader.emissions(value, at: path + ".emits", allowEmpty: true) },
            platforms: try fields["platforms"].map { (value) throws(PluginLoadError) in
                try reader.platformNames(value, at: path + ".platforms", allowEmpty: true)
            },
            tenants: try fields["tenants"].map { (value) throws(PluginLoadError) in
                try reader.tenantScope(value, at: path + ".tenants", allowEmpty: true)
            })
    }
}

extension PluginPolicy {
    /// Refuses a manifest whose capabilities exceed the bound for its id (else for `*`), naming
    /// the manifest field, the excess and the policy entry. No bound for it: nothing to refuse.
    func checkCapabilities(_ manifest: Manifest, file: String) throws(PluginLoadError) {
        let key = allow[manifest.id] != nil ? manifest.id : "*"
        guard let bound = allow[key], let found = bound.excess(of: manifest.capabilities) else { return }
        throw PluginLoadError(file: file, subject: found.field,
                              problem: .exceedsPolicy(declared: found.excess, allowed: found.allowed, entry: "plugins.allow.\(key)"))
    }
}
