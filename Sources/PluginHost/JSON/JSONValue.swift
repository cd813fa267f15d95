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

    /// Parses one JSON document (RFC 8259, strictly: no trailing commas, comments or invalid
    /// UTF-8). The error's description says where the document is broken.
    public static func parse(_ data: Data) throws(JSONParseError) -> JSONValue {
        let result = data.withUnsafeBytes { raw in
            Result { () throws(JSONParseError) -> JSONValue in try JSONReader.parse(raw.bindMemory(to: UInt8.self)) }
        }
        return try result.get()
    }

    /// Serializes the value: compact for machines (key order unspecified), or pretty-printed with
    /// sorted keys for people to read (two spaces per level, `"key" : value`). Both read back as the
    /// same value: a number stays a number (`2.0`), an integer an integer (`2`).
    public func serialized(pretty: Bool = false) -> Data {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256)
        write(to: &bytes, depth: pretty ? 0 : nil)
        return Data(bytes)
    }

    /// RFC 8259 output, written directly: every plugin call serializes its input, and Foundation's
    /// writer (dynamic casts on every value) was the largest cost of a delivery. `depth` is the
    /// nesting level when pretty-printing, nil for compact output.
    private func write(to bytes: inout [UInt8], depth: Int?) {
        switch self {
        case .null: bytes += Array("null".utf8)
        case .bool(let value): bytes += Array((value ? "true" : "false").utf8)
        case .integer(let value): bytes += Array(String(value).utf8)
        case .number(let value): bytes += Array((value.isFinite ? String(value) : "null").utf8)
        case .string(let value): Self.write(value, to: &bytes)
        case .array(let items):
            bytes.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                Self.startElement(index, depth: depth, to: &bytes)
                item.write(to: &bytes, depth: depth.map { $0 + 1 })
            }
            Self.endContainer(UInt8(ascii: "]"), empty: items.isEmpty, depth: depth, to: &bytes)
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            var index = 0
            func member(_ key: String, _ value: JSONValue) {
                Self.startElement(index, depth: depth, to: &bytes)
                Self.write(key, to: &bytes)
                bytes += depth == nil ? [UInt8(ascii: ":")] : Array(" : ".utf8)
                value.write(to: &bytes, depth: depth.map { $0 + 1 })
                index += 1
            }
            if depth == nil {
                for (key, value) in members { member(key, value) }
            } else {
                for (key, value) in members.sorted(by: { $0.key < $1.key }) { member(key, value) }
            }
            Self.endContainer(UInt8(ascii: "}"), empty: members.isEmpty, depth: depth, to: &bytes)
        }
    }

    /// The comma before every element but the first; when pretty-printing, the new line and indentation.
    private static func startElement(_ index: Int, depth: Int?, to bytes: inout [UInt8]) {
        if index > 0 { bytes.append(UInt8(ascii: ",")) }
        if let depth { newline(depth + 1, to: &bytes) }
    }

    private static func endContainer(_ close: UInt8, empty: Bool, depth: Int?, to bytes: inout [UInt8]) {
        if let depth, !empty { newline(depth, to: &bytes) }
        bytes.append(close)
    }

    private static func newline(_ depth: Int, to bytes: inout [UInt8]) {
        bytes.append(0x0A)
        bytes += repeatElement(UInt8(ascii: " "), count: 2 * depth)
    }

    private static func write(_ string: String, to bytes: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        bytes.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

/// A document that is not valid JSON.
public struct JSONParseError: Error, Equatable, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }

    public init(reason: String) {
        self.reason = reason
    }
}

extension JSONValue {
    /// The serialized value as a string.
    public func text(pretty: Bool = false) -> String {
        String(decoding: serialized(pretty: pretty), as: UTF8.self)
    }
}
