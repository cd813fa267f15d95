import Foundation
import Yams

extension JSONValue {
    /// Parses a configuration document: YAML when `path` ends in `.yaml` or `.yml`, else JSON.
    /// YAML is read into the same value model (mappings with string keys, YAML 1.2 core scalars),
    /// so one validator serves both.
    public static func parseDocument(_ data: Data, path: String) throws(JSONParseError) -> JSONValue {
        guard documentFormat(of: path) == "YAML" else { return try parse(data) }
        let loaded: Any?
        do { loaded = try Yams.load(yaml: String(decoding: data, as: UTF8.self)) } catch {
            throw JSONParseError(reason: "\(error)")
        }
        return try JSONValue(yaml: loaded ?? NSNull())
    }

    /// `YAML` or `JSON`, as `parseDocument` reads the file at `path`.
    public static func documentFormat(of path: String) -> String {
        path.hasSuffix(".yaml") || path.hasSuffix(".yml") ? "YAML" : "JSON"
    }

    private init(yaml value: Any) throws(JSONParseError) {
        switch value {
        case is NSNull: self = .null
        case let flag as Bool: self = .bool(flag)
        case let number as Int: self = .integer(Int64(number))
        case let number as Double: self = .number(number)
        case let text as String: self = .string(text)
        case let items as [Any]:
            var values: [JSONValue] = []
            for item in items { values.append(try JSONValue(yaml: item)) }
            self = .array(values)
        case let members as [AnyHashable: Any]:
            var object: [String: JSONValue] = [:]
            for (key, item) in members {
                guard let name = key.base as? String else { throw JSONParseError(reason: "mapping key \(key.base) is not a string") }
                object[name] = try JSONValue(yaml: item)
            }
            self = .object(object)
        default:
            throw JSONParseError(reason: "unsupported YAML value of type \(type(of: value))")
        }
    }
}
