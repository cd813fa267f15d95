import Foundation
import PluginHost
import Testing

/// Adapter test suites that write plugin inputs as plain dictionaries: a suite names its plugin and
/// its base target settings, and gets calls, target variants and exact-failure checks.
protocol DictionaryAdapterTests {
    static var id: String { get }
    static var settings: [String: Any] { get }
}

extension DictionaryAdapterTests {
    static func call(_ role: EntryPointRole, _ input: [String: Any]) throws -> JSONValue {
        let data = try JSONSerialization.data(withJSONObject: input, options: [.sortedKeys])
        return try BundledPluginTests.call(id, role, String(decoding: data, as: UTF8.self))
    }

    /// `target` with `changes` applied; NSNull removes a field.
    static func target(_ changes: [String: Any] = [:]) -> [String: Any] {
        var result = settings
        for (key, value) in changes { result[key] = value is NSNull ? nil : value }
        return result
    }

    static func expectFailure(_ role: EntryPointRole, _ input: [String: Any], _ message: String, status: Int32 = 1,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(throws: PluginCallError.failed(plugin: id, role: role, status: status, message: message), sourceLocation: sourceLocation) {
            try call(role, input)
        }
    }

    static func parse(_ kind: String, _ status: Int, _ body: String, headers: [String: String] = [:],
                      target: [String: Any] = [:]) throws -> JSONValue {
        try call(.parseResponse, ["kind": kind, "status": status, "headers": headers, "body": body, "target": target])
    }
}
