/// The stable JSON shape of one plugin in `plugins list --json` and `plugins inspect --json`.
/// Every key is always present; unknown values are `null`. Documented in the README.
extension PluginEntry {
    public var listing: JSONValue {
        let manifest = self.manifest
        let loaded = try? result.get()
        func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        return .object([
            "id": text(manifest?.id),
            "name": text(manifest?.name),
            "kind": text(manifest?.kind.rawValue),
            "version": text(manifest?.version),
            "abi": manifest.map { .integer($0.abi) } ?? .null,
            "status": .string(status),
            "error": text(error?.description),
            "description": text(manifest?.summary),
            "library": text(loaded?.libraryPath ?? manifest?.library),
            "sha256": text(loaded?.sha256 ?? manifest?.sha256),
            "platform": text(manifest?.platform),
            "permission": text(manifest?.permission),
            "platforms": manifest?.platforms.map { .array($0.map(JSONValue.string)) } ?? .null,
            "action": text(manifest?.action),
            "parameters": .array((manifest?.parameters ?? []).map(\.listing)),
            "entryPoints": .array((manifest?.entryPoints ?? []).map { entry in
                .object(["role": .string(entry.role.rawValue), "symbol": .string(entry.symbol),
                         "signature": .string(entry.signature.description)])
            }),
            "config": .array((manifest?.config ?? []).map { field in
                .object(["name": .string(field.name), "type": .string(field.type.rawValue),
                         "default": field.defaultValue ?? .null, "secret": .bool(field.secret),
                         "description": text(field.summary)])
            }),
            "capabilities": manifest.map { $0.capabilities.listing } ?? .null,
            "isolation": text(loaded?.isolation.rawValue),
            "quarantine": loaded?.quarantine.map { .object(["since": .string($0.since), "reason": .string($0.reason)]) } ?? .null,
            "signer": text(signer?.description),
            "source": .string(candidate.origin.rawValue),
            "manifest": .string(candidate.manifestPath),
        ])
    }

    /// `loaded`, `quarantined` (loaded, but calls are refused) or `rejected`.
    public var status: String {
        switch result {
        case .success(let plugin): plugin.quarantine == nil ? "loaded" : "quarantined"
        case .failure: "rejected"
        }
    }
}

extension ActionParameter {
    /// One parameter in `plugins list --json`; `maxLength` is null for types other than string.
    var listing: JSONValue {
        let maxLength: JSONValue = type == .string ? .integer(Int64(self.maxLength)) : .null
        return .object([
            "name": .string(name), "type": .string(type.rawValue), "required": .bool(required),
            "default": defaultValue ?? .null, "minimum": minimum.map(JSONValue.integer) ?? .null,
            "maximum": maximum.map(JSONValue.integer) ?? .null, "maxLength": maxLength,
            "secret": .bool(secret), "description": summary.map(JSONValue.string) ?? .null,
        ])
    }
}

extension Capabilities {
    /// The declaration in `plugins list --json`: `{"emits", "platforms", "tenants"}`, each an
    /// array of strings (`tenants` is `["*"]` for any tenant).
    var listing: JSONValue {
        .object([
            "emits": .array(emits.map { .string($0.rawValue) }),
            "platforms": .array(platforms.map(JSONValue.string)),
            "tenants": .array(tenants.names.map(JSONValue.string)),
        ])
    }
}
