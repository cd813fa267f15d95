/// Why a message could not be rendered or sent: each becomes the message's error in the outbox.
public enum DeliveryError: Error, Sendable, Equatable, CustomStringConvertible {
    case noPlugin(platform: String)
    case unknownTarget(String)
    case plugin(PluginFailure)
    case invalidRequest(plugin: String, reason: String)
    case authentication(String)
    /// The target is on a platform the plugin does not declare in `capabilities.platforms`; the
    /// plugin was not called.
    case undeclaredPlatform(plugin: String, target: String, platform: String, declared: [String])

    /// A plugin call that failed, with the plugin's own message.
    public struct PluginFailure: Sendable, Equatable {
        public let description: String
    }

    public var description: String {
        switch self {
        case .noPlugin(let platform): "no loaded platform plugin for '\(platform)'"
        case .unknownTarget(let name): "target '\(name)' is no longer configured"
        case .plugin(let failure): failure.description
        case .invalidRequest(let plugin, let reason): "\(plugin) rendered an unacceptable request: \(reason)"
        case .authentication(let reason): "authentication failed: \(reason)"
        case .undeclaredPlatform(let plugin, let target, let platform, let declared):
            "\(plugin): capabilities.platforms: target '\(target)' is on platform '\(platform)', which is not declared (declares \(declared.joined(separator: ", ")))"
        }
    }
}
