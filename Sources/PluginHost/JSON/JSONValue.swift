import Foundation

/// A parsed JSON document that keeps the distinction between integers, other numbers and booleans,
/// so validation can say exactly what type a field had.
///
/// ```swift
/// let value = try JSONValue.parse(Data(#"{"abi": 1}"#.utf8))
/// value["abi"]   // .integer(1)
/// ```
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The JSON type name used in error messages: "object", "array", "string", "integer",
    /// "number", "boolean" or "null".
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .integer: "integer"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// The member named `key` when this is an object.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// Parses one JSON document. The error's description says where the document is broken.
    public static func parse(_ data: Data) throws(JSONParseError) -> JSONValue {
        do {
            return JSONValue(foundation: try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]))
        } catch {
            throw JSONParseError(reason: (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)")
        }
    }

    /// Converts what JSONSerialization produced. Booleans arrive as NSNumbers whose C type is
    /// `char` (JSONSerialization makes integers from Int or Int64, never char).
    private init(foundation value: Any) {
        switch value {
        case let number as NSNumber:
            switch String(cString: number.objCType) {
            case "c", "B": self = .bool(number.boolValue)
            case "d", "f": self = .number(number.doubleValue)
            case "Q" where number.uint64Value > UInt64(Int64.max): self = .number(number.doubleValue)
            default: self = .integer(number.int64Value)
            }
        case let string as String: self = .string(string)
        case let array as [Any]: self = .array(array.map(JSONValue.init(foundation:)))
        case let object as [String: Any]: self = .object(object.mapValues(JSONValue.init(foundation:)))
        default: self = .null
        }
    }

    /// Serializes the value: compact for machines (key order unspecified), or pretty-printed with
    /// sorted keys for people to read.
    public func serialized(pretty: Bool = false) -> Data {
        if pretty {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            // Encoding a JSONValue cannot fail: every case maps to a JSON value and numbers are
            // finite by construction (they come from parsed JSON).
            return (try? encoder.encode(self)) ?? Data("null".utf8)
        }
        return (try? JSONSerialization.data(withJSONObject: foundationValue, options: [.fragmentsAllowed, .withoutEscapingSlashes]))
            ?? Data("null".utf8)
    }

    /// The value as JSONSerialization takes it (much faster than JSONEncoder for compact output).
    private var foundationValue: Any {
        switch self {
        case .null: NSNull()
        case .bool(let value): value
        case .integer(let value): value
        case .number(let value): value
        case .string(let value): value
        case .array(let items): items.map(\.foundationValue)
        case .object(let members): members.mapValues(\.foundationValue)
        }
    }
}

/// A document that is not valid JSON.
public struct JSONParseError: Error, Equatable, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}

extension JSONValue: Encodable {
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

extension JSONValue {
    /// The serialized value as a string.
    public func text(pretty: Bool = false) -> String {
        String(decoding: serialized(pretty: pretty), as: UTF8.self)
    }
}
