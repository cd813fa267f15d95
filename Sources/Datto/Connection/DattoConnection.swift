import Delivery
import Foundation
import PluginHost

/// The Datto RMM account Switchboard reads: the connection block of `datto.json` validated as a
/// Datto target (the plugin's declared settings, secrets only in a 0600 file), and the loaded
/// Datto plugin that reads inbound data.
public struct DattoConnection: Sendable {
    /// The platform id of the Datto plugin.
    public static let platform = "dattormm"
    /// The target's name in logs, errors and the audit trail.
    public static let targetName = "datto"

    public let target: DeliveryTarget
    public let plugin: LoadedPlugin

    public init(settings: DattoSettings, file: String, plugins: [LoadedPlugin]) throws(DattoError) {
        guard settings.isConnected else { throw .notConnected(file: file) }
        let platforms = plugins.filter { $0.manifest.kind == .platform }
        guard let plugin = platforms.first(where: {
            $0.manifest.platform == Self.platform && $0.provides(.renderInbound) && $0.provides(.parseInbound)
        }) else {
            throw .noPlugin("no loaded platform plugin for \(Self.platform) declares render_inbound and parse_inbound (see switchboard plugins list)")
        }
        var manifests: [String: Manifest] = [:]
        for loaded in platforms { if let id = loaded.manifest.platform, manifests[id] == nil { manifests[id] = loaded.manifest } }
        manifests[Self.platform] = plugin.manifest
        do {
            target = try DeliveryConfiguration.target(named: Self.targetName, platform: Self.platform, settings: settings.connection, file: file,
                                                      block: "connection", platforms: manifests)
        } catch {
            throw .configuration(error)
        }
        self.plugin = plugin
    }
}
