import Foundation

/// Typed, path-aware reads from a JSON object, with errors that name the field:
/// `alert.severity: expected a string`.
public struct JSONObject {
    public let values: [String: Any]
    /// Where this object sits in the input (`alert`, `target`), for error messages.
    public let path: String

    public init(_ values: [String: Any], path: String) {
        self.values = values
        self.path = path
    }

    public func field(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    public func has(_ key: String) -> Bool { values[key].map { !($0 is NSNull) } ?? false }

    public func string(_ key: String) throws(PluginError) -> String {
        guard let value = try optionalString(key) else { throw .invalidInput("\(field(key)): missing") }
        return value
    }

    /// A non-empty string, or nil when absent or null.
    public func optionalString(_ key: String) throws(PluginError) -> String? {
        guard has(key), let value = values[key] else { return nil }
        guard let text = value as? String else { throw .invalidInput("\(field(key)): expected a string") }
        guard !text.isEmpty else { throw .invalidInput("\(field(key)): must not be empty") }
        return text
    }

    /// An integer, also accepted as a string of digits (configuration values often are strings).
    public func optionalInteger(_ key: String) throws(PluginError) -> Int? {
        guard has(key), let value = values[key] else { return nil }
        if let number = value as? NSNumber, String(cString: number.objCType) != "c", number.doubleValue == number.doubleValue.rounded() {
            return number.intValue
        }
        if let text = value as? String, let number = Int(text) { return number }
        throw .invalidInput("\(field(key)): expected an integer")
    }

    public func integer(_ key: String) throws(PluginError) -> Int {
        guard let value = try optionalInteger(key) else { throw .invalidInput("\(field(key)): missing") }
        return value
    }

    public func optionalBool(_ key: String) throws(PluginError) -> Bool? {
        guard has(key), let value = values[key] else { return nil }
        if let number = value as? NSNumber, String(cString: number.objCType) == "c" { return number.boolValue }
        throw .invalidInput("\(field(key)): expected a boolean")
    }

    public func object(_ key: String) throws(PluginError) -> JSONObject {
        guard let value = try optionalObject(key) else { throw .invalidInput("\(field(key)): missing") }
        return value
    }

    public func optionalObject(_ key: String) throws(PluginError) -> JSONObject? {
        guard has(key), let value = values[key] else { return nil }
        guard let object = value as? [String: Any] else { throw .invalidInput("\(field(key)): expected an object") }
        return JSONObject(object, path: field(key))
    }

    /// One of `choices`, matched without regard to case, returned as spelled in `choices`.
    public func choice(_ key: String, _ choices: [String], default fallback: String? = nil) throws(PluginError) -> String {
        guard let text = try optionalString(key) else {
            if let fallback { return fallback }
            throw .invalidInput("\(field(key)): missing")
        }
        guard let match = choices.first(where: { $0.caseInsensitiveCompare(text) == .orderedSame }) else {
            throw .invalidInput("\(field(key)): expected one of \(choices.joined(separator: ", ")), got '\(text)'")
        }
        return match
    }
}
