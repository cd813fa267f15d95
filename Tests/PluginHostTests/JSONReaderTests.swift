import Foundation
import PluginHost
import TestSupport
import Testing

/// The JSON reader: RFC 8259 strictly, types kept apart, every error placed.
@Suite struct JSONReaderTests {
    func parse(_ text: String) throws -> JSONValue { try JSONValue.parse(Data(text.utf8)) }

    @Test func valuesKeepTheirTypes() throws {
        #expect(try parse(#" {"a": [1, -0, 2.5, 1e3, -9223372036854775808, 9223372036854775808, true, false, null, "x"]} "#) == .object(["a": .array([
            .integer(1), .integer(0), .number(2.5), .number(1000), .integer(.min), .number(9223372036854775808), .bool(true), .bool(false), .null, .string("x"),
        ])]))
        #expect(try parse("7") == .integer(7))
        #expect(try parse("[]") == .array([]))
        #expect(try parse("{}") == .object([:]))
    }

    @Test func stringsDecodeEveryEscapeAndKeepUTF8() throws {
        #expect(try parse(#""a\"b\\c\/d\b\f\n\r\t\u00e9\u20ac\ud83d\ude00 é€😀""#) == .string("a\"b\\c/d\u{8}\u{c}\n\r\té€😀 é€😀"))
    }

    @Test func serializedValuesReadBackTheSame() throws {
        let value = JSONValue.object(["text": .string("line\nquote\" \u{1} ünï"), "list": .array([.integer(-5), .number(0.25), .null]), "flag": .bool(true)])
        #expect(try JSONValue.parse(value.serialized()) == value)
    }

    @Test(arguments: [
        ("", "unexpected end of the document"),
        (#"{"id": "#, "unexpected end of the document"),
        (#"{"id": 1} trailing"#, "unexpected text after the document at byte 10"),
        ("[1, 2,]", "expected a value at byte 6"),
        (#"{"a": 1,}"#, "expected a member name at byte 8"),
        ("{'a': 1}", "expected a member name at byte 1"),
        ("[01]", "expected ',' or ']' at byte 2"),
        ("[1.]", "expected a digit at byte 3"),
        ("-", "unexpected end of the document"),
        ("tru", "unexpected end of the document"),
        ("nul!", "expected a value at byte 0"),
        ("\"a\u{1}b\"", "control character in a string at byte 2"),
        (#""\x""#, "invalid escape at byte 2"),
        (#""\ud800""#, "unpaired surrogate in a string at byte 7"),
        (#""\udc00""#, "unpaired surrogate in a string at byte 7"),
        ("1e999", "number out of range at byte 0"),
    ])
    func malformedDocumentsAreRefusedWithThePlace(text: String, reason: String) {
        #expect(throws: JSONParseError(reason: reason)) { try parse(text) }
    }

    @Test func invalidUTF8AndDeepNestingAreRefused() {
        #expect(throws: JSONParseError(reason: "invalid UTF-8 in a string at byte 1")) { try JSONValue.parse(Data([0x22, 0xC3, 0x28, 0x22])) }
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(throws: JSONParseError(reason: "nested deeper than 512 levels at byte 512")) { try parse(deep) }
        let fine = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect(throws: Never.self) { try parse(fine) }
    }
}
