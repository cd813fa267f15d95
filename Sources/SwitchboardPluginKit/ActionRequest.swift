/// An action request as `plan_action` receives it. The host has already checked the parameters
/// against the manifest and filled in defaults; a plugin checks them again, since it can be called
/// directly (`switchboard plugins call`).
///
/// ```json
/// {"action": "run-script", "device": {"id": "local", "platform": "local", "name": "pc-042"},
///  "parameters": {"script": "cleanup.sh"}, "ticket": {"id": "T-42", "tenant": "acme"}, "correlationId": "c0a1"}
/// ```
///
/// ```swift
/// let request = try ActionRequest(input, action: "run-script", platforms: ["local", "datto"])
/// let script = try request.parameters.string("script", maxLength: 255)
/// ```
public struct ActionRequest {
    /// The device's id as its platform knows it (`local` for the Switchboard machine).
    public let deviceID: String
    /// `local`, `datto`, ...: one of the platforms the plugin was created with.
    public let platform: String
    public let parameters: JSONObject

    /// Reads the request; a device on a platform outside `platforms` is `SB_ERR_UNSUPPORTED`.
    public init(_ input: JSONObject, action: String, platforms: [String]) throws(PluginError) {
        if let name = try input.optionalString("action"), name != action {
            throw .invalidInput("action: expected \"\(action)\", got \"\(name)\"")
        }
        let device = try input.object("device")
        platform = try device.string("platform")
        deviceID = try device.string("id")
        guard platforms.contains(platform) else {
            throw .unsupported("device.platform: \(action) is not supported on platform '\(platform)' (supported: \(platforms.joined(separator: ", ")))")
        }
        parameters = try input.optionalObject("parameters") ?? JSONObject([:], path: "parameters")
    }

    /// The device as summaries name it: `local device local`, `Datto RMM device 7f3c...`.
    public var deviceDescription: String {
        "\(platform == "datto" ? "Datto RMM" : platform) device \(deviceID)"
    }
}

extension JSONObject {
    /// A non-empty string of at most `maxLength` characters, without control characters (a tab
    /// is allowed).
    public func string(_ key: String, maxLength: Int) throws(PluginError) -> String {
        guard let value = try optionalString(key, maxLength: maxLength) else { throw .invalidInput("\(field(key)): missing") }
        return value
    }

    /// Like `string(_:maxLength:)`, or nil when absent.
    public func optionalString(_ key: String, maxLength: Int) throws(PluginError) -> String? {
        guard let text = try optionalString(key) else { return nil }
        guard text.count <= maxLength else { throw .invalidInput("\(field(key)): longer than \(maxLength) characters") }
        guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\t" }) else {
            throw .invalidInput("\(field(key)): must not contain control characters")
        }
        return text
    }

    /// An integer within `range`, or nil when absent.
    public func optionalInteger(_ key: String, in range: ClosedRange<Int>) throws(PluginError) -> Int? {
        guard let value = try optionalInteger(key) else { return nil }
        guard range.contains(value) else {
            throw .invalidInput("\(field(key)): expected an integer between \(range.lowerBound) and \(range.upperBound), got \(value)")
        }
        return value
    }
}
