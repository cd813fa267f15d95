import PluginHost

/// Human-readable renderings of plugin entries.
enum PluginTable {
    /// The `plugins list` table, followed by the reason for each rejected plugin.
    static func render(_ entries: [PluginEntry]) -> String {
        let header = ["ID", "KIND", "VERSION", "ABI", "STATUS", "ISOLATION", "SOURCE", "SIGNER"]
        let rows = entries.map { entry in
            [entry.manifest?.id ?? "-", entry.manifest?.kind.rawValue ?? "-", entry.manifest?.version ?? "-",
             entry.manifest.map { String($0.abi) } ?? "-", entry.status, (try? entry.result.get())?.isolation.rawValue ?? "-",
             entry.candidate.origin.rawValue, entry.signer?.description ?? "-"]
        }
        var text = TextTable.render(header, rows)
        let rejected = entries.compactMap(\.error)
        let quarantined = entries.compactMap { entry in
            (try? entry.result.get())?.quarantine.map { "  \(entry.manifest?.id ?? "?"): since \($0.since): \($0.reason)" }
        }
        if entries.isEmpty { text += "\n(no plugins found)" }
        if !quarantined.isEmpty {
            text += "\n\nQuarantined (switchboard plugins release ID):\n" + quarantined.joined(separator: "\n")
        }
        if !rejected.isEmpty {
            text += "\n\nRejected:\n" + rejected.map { "  \($0)" }.joined(separator: "\n")
        }
        return text
    }

    /// The `plugins inspect` page for one plugin.
    static func details(_ entry: PluginEntry) -> String {
        var lines: [String] = []
        func add(_ label: String, _ value: String?) {
            if let value { lines.append(label.padding(toLength: 12, withPad: " ", startingAt: 0) + value) }
        }
        let manifest = entry.manifest
        let loaded = try? entry.result.get()
        add("id", manifest?.id)
        add("name", manifest?.name)
        add("version", manifest?.version)
        add("kind", manifest?.kind.rawValue)
        add("abi", manifest.map { String($0.abi) })
        add("status", entry.status)
        add("isolation", loaded?.isolation.rawValue)
        add("quarantine", loaded?.quarantine.map { "since \($0.since): \($0.reason)" })
        add("error", entry.error?.description)
        add("platform", manifest?.platform)
        add("action", manifest?.action)
        add("permission", manifest?.permission)
        add("platforms", manifest?.platforms?.joined(separator: ", "))
        add("source", entry.candidate.origin.rawValue)
        add("signer", entry.signer?.description ?? "-")
        add("manifest", entry.candidate.manifestPath)
        add("library", loaded?.libraryPath ?? manifest?.library)
        add("sha256", loaded?.sha256 ?? manifest?.sha256)
        add("description", manifest?.summary)
        if let manifest {
            lines.append("\nEntry points:")
            let symbolWidth = manifest.entryPoints.map(\.symbol.count).max() ?? 0
            lines += manifest.entryPoints.map { entry in
                "  " + entry.role.rawValue.padding(toLength: 15, withPad: " ", startingAt: 0)
                    + entry.symbol.padding(toLength: symbolWidth + 2, withPad: " ", startingAt: 0) + entry.signature.description
            }
            let capabilities = manifest.capabilities
            lines.append("\nCapabilities:")
            lines += [("emits", capabilities.emits.map(\.rawValue)), ("platforms", capabilities.platforms), ("tenants", capabilities.tenants.names)]
                .map { "  " + $0.padding(toLength: 11, withPad: " ", startingAt: 0) + $1.joined(separator: ", ") }
            if !manifest.parameters.isEmpty {
                lines.append("\nParameters:")
                lines += manifest.parameters.map { parameter in
                    var facts = [parameter.type.rawValue]
                    if parameter.required { facts.append("required") }
                    if let value = parameter.defaultValue { facts.append("default \(value.text())") }
                    switch (parameter.minimum, parameter.maximum) {
                    case let (minimum?, maximum?): facts.append("\(minimum)..\(maximum)")
                    case let (minimum?, nil): facts.append(">= \(minimum)")
                    case let (nil, maximum?): facts.append("<= \(maximum)")
                    case (nil, nil): break
                    }
                    if parameter.type == .string { facts.append("at most \(parameter.maxLength) characters") }
                    if parameter.secret { facts.append("secret") }
                    return "  \(parameter.name): \(facts.joined(separator: ", "))" + (parameter.summary.map { "  \($0)" } ?? "")
                }
            }
            if !manifest.config.isEmpty {
                lines.append("\nConfiguration:")
                lines += manifest.config.map { field in
                    let defaultText = field.defaultValue.map { " = \($0.text())" } ?? ""
                    let secret = field.secret ? " (secret)" : ""
                    return "  \(field.name): \(field.type.rawValue)\(defaultText)\(secret)" + (field.summary.map { "  \($0)" } ?? "")
                }
            }
        }
        return lines.joined(separator: "\n")
    }
}
