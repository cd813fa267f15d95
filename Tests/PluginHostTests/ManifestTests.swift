import Foundation
@testable import PluginHost
import TestSupport
import Testing

/// Manifest validation: every bad field is rejected with the file, the field and the reason.
@Suite struct ManifestTests {
    static let file = "plugins/example/manifest.json"

    static func validManifest() -> [String: Any] {
        var manifest = Sandbox.exampleManifest
        manifest["sha256"] = String(repeating: "ab", count: 32)
        return manifest
    }

    func parse(_ object: [String: Any]) throws(PluginLoadError) -> Manifest {
        // JSONSerialization cannot fail on these literal dictionaries.
        let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
        let json = (try? JSONValue.parse(data)) ?? .null
        return try Manifest(json: json, file: Self.file)
    }

    func error(_ edit: (inout [String: Any]) -> Void) -> String {
        var manifest = Self.validManifest()
        edit(&manifest)
        do {
            _ = try parse(manifest)
            return "no error"
        } catch {
            return error.description
        }
    }

    @Test func validManifestParses() throws {
        let manifest = try parse(Self.validManifest())
        #expect(manifest.id == "example.echo")
        #expect(manifest.kind == .platform)
        #expect(manifest.platform == "example")
        #expect(manifest.entryPoint(for: .renderAlert)?.signature == CSignature(returns: .int32, arguments: [.pointer, .size, .pointer]))
        #expect(manifest.permission == nil)
    }

    @Test func bundledManifestsAreValid() throws {
        for name in ["switchboard.webhook.json", "switchboard.reboot.json", "switchboard.run-script.json", "switchboard.remote-connection.json"] {
            let path = Paths.repository + "/Manifests/" + name
            let data = try #require(FileManager.default.contents(atPath: path))
            let manifest = try Manifest(json: JSONValue.parse(data), file: path)
            #expect(manifest.abi == 1)
        }
    }

    @Test func missingField() {
        #expect(error { $0["version"] = nil } == "\(Self.file): version: missing required field")
        #expect(error { $0["library"] = nil } == "\(Self.file): library: missing required field")
    }

    @Test func mistypedField() {
        #expect(error { $0["abi"] = "1" } == "\(Self.file): abi: expected integer, got string")
        #expect(error { $0["abi"] = 1.5 } == "\(Self.file): abi: expected integer, got number")
        #expect(error { $0["entryPoints"] = "describe" } == "\(Self.file): entryPoints: expected array, got string")
        #expect(error { $0["name"] = ["x"] } == "\(Self.file): name: expected string, got array")
    }

    @Test func unknownKind() {
        #expect(error { $0["kind"] = "widget" } == "\(Self.file): kind: unknown kind 'widget' (expected platform or action)")
    }

    @Test func badSemanticVersion() {
        for version in ["1.2", "01.2.3", "1.2.3-", "v1.2.3", "1.2.3.4", "1.0.0-01", "1.0.0-a..b", "1.0.0+", "1.-1.0"] {
            #expect(error { $0["version"] = version }
                    == "\(Self.file): version: '\(version)' is not valid: expected a semantic version such as 1.2.3 (semver.org)")
        }
        for version in ["1.0.0-rc.1+build.5", "0.0.0", "10.20.30-0a.1", "1.0.0+001", "1.0.0-x-y-z.--"] {
            #expect(error { $0["version"] = version } == "no error")
        }
    }

    @Test func unknownCType() {
        #expect(error { $0["entryPoints"] = Self.entryPoints(renderSignature: "int32(pointer,int128,pointer)") }
                == "\(Self.file): entryPoints[2].signature: unknown C type 'int128' (known: void, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float, double, pointer, size)")
    }

    @Test func malformedSignature() {
        #expect(error { $0["entryPoints"] = Self.entryPoints(renderSignature: "int32 pointer") }
                == "\(Self.file): entryPoints[2].signature: malformed signature 'int32 pointer' (expected e.g. 'int32(pointer,size,pointer)')")
        #expect(error { $0["entryPoints"] = Self.entryPoints(renderSignature: "int32(pointer,void)") }
                == "\(Self.file): entryPoints[2].signature: 'void' is only allowed as a return type or alone in 'int32(pointer,void)'")
    }

    @Test func signatureBreakingItsRoleContract() {
        #expect(error { $0["entryPoints"] = Self.entryPoints(renderSignature: "int32(pointer,int32)") }
                == "\(Self.file): entryPoints[2].signature: role 'render_alert' requires int32(pointer,size,pointer), declared int32(pointer,int32)")
        #expect(error { $0["entryPoints"] = Self.entryPoints(renderSignature: "int64(pointer,size,pointer)") }
                == "\(Self.file): entryPoints[2].signature: role 'render_alert' requires int32(pointer,size,pointer), declared int64(pointer,size,pointer)")
        // size_t is uint64 on this ABI, so either spelling keeps the contract.
        #expect(error { $0["entryPoints"] = Self.entryPoints(renderSignature: "int32( pointer , uint64 , pointer )") } == "no error")
    }

    @Test func entryPointRoles() {
        var entries = Self.entryPoints(renderSignature: "int32(pointer,size,pointer)")
        entries[2]["role"] = "render_fax"
        #expect(error { $0["entryPoints"] = entries }.hasPrefix("\(Self.file): entryPoints[2].role: unknown role 'render_fax' (known: describe, init, render_alert"))
        entries[2]["role"] = "plan_action"
        #expect(error { $0["entryPoints"] = entries } == "\(Self.file): entryPoints[2].role: role 'plan_action' is not allowed in platform plugins")
        entries[2]["role"] = "init"
        #expect(error { $0["entryPoints"] = entries } == "\(Self.file): entryPoints[2].role: role 'init' is declared more than once")
        #expect(error { $0["entryPoints"] = Array(Self.entryPoints(renderSignature: "int32(pointer,size,pointer)").dropFirst()) }
                == "\(Self.file): entryPoints: no entry point for required role 'describe'")
        entries[2] = ["role": "render_alert", "symbol": "2bad", "signature": "int32(pointer,size,pointer)"]
        #expect(error { $0["entryPoints"] = entries } == "\(Self.file): entryPoints[2].symbol: '2bad' is not valid: expected a C identifier")
    }

    @Test func unknownFields() {
        #expect(error { $0["entrypoints"] = [] } == "\(Self.file): entrypoints: unknown field")
        var entries = Self.entryPoints(renderSignature: "int32(pointer,size,pointer)")
        entries[0]["optional"] = true
        #expect(error { $0["entryPoints"] = entries } == "\(Self.file): entryPoints[0].optional: unknown field")
    }

    @Test func identifiersAndDigests() {
        #expect(error { $0["id"] = "Example Echo" }
                == "\(Self.file): id: 'Example Echo' is not valid: expected lowercase letters and digits separated by '.', '-' or '_', at most 64 characters")
        #expect(error { $0["sha256"] = "abc" } == "\(Self.file): sha256: 'abc' is not valid: expected 64 hexadecimal digits")
        #expect(error { $0["name"] = "" } == "\(Self.file): name: must not be empty")
    }

    @Test func kindSpecificFields() {
        #expect(error { $0["permission"] = "action:reboot" } == "\(Self.file): permission: only action plugins declare 'permission'")
        #expect(error { $0["platform"] = nil } == "\(Self.file): platform: missing required field")
        #expect(error { $0["action"] = "reboot" } == "\(Self.file): action: only action plugins declare 'action'")
        #expect(error { $0["parameters"] = [] } == "\(Self.file): parameters: only action plugins declare 'parameters'")
        #expect(error { Self.makeAction(&$0); $0["action"] = nil } == "\(Self.file): action: missing required field")
        #expect(error { Self.makeAction(&$0); $0["action"] = "Run_Script" }
                == "\(Self.file): action: 'Run_Script' is not valid: expected lowercase words joined by '-', such as 'run-script'")
        let action: (inout [String: Any]) -> Void = {
            Self.makeAction(&$0)
            $0["permission"] = nil
            $0["platforms"] = nil
        }
        #expect(error { action(&$0) } == "\(Self.file): permission: missing required field")
        #expect(error { action(&$0); $0["permission"] = "reboot" }
                == "\(Self.file): permission: 'reboot' is not valid: expected 'area:name', e.g. 'action:reboot'")
        #expect(error { action(&$0); $0["permission"] = "action:reboot" } == "\(Self.file): platforms: missing required field")
        #expect(error { action(&$0); $0["permission"] = "action:reboot"; $0["platforms"] = [] }
                == "\(Self.file): platforms: must list at least one platform")
        #expect(error { action(&$0); $0["permission"] = "action:reboot"; $0["platforms"] = ["local", "local"] }
                == "\(Self.file): platforms[1]: platform 'local' is listed more than once")
        #expect(error { action(&$0); $0["permission"] = "action:reboot"; $0["platforms"] = ["local", "datto"] } == "no error")
    }

    /// Turns the example into a valid action plugin.
    static func makeAction(_ manifest: inout [String: Any]) {
        manifest["kind"] = "action"
        manifest["platform"] = nil
        manifest["entryPoints"] = entryPoints(renderSignature: "int32(pointer,size,pointer)", dataRole: "plan_action")
        manifest["action"] = "reboot"
        manifest["permission"] = "action:reboot"
        manifest["platforms"] = ["local"]
    }

    /// The error for an action manifest declaring `parameters`, or "no error".
    func parametersError(_ parameters: [Any]) -> String {
        error { Self.makeAction(&$0); $0["parameters"] = parameters }
    }

    @Test func actionParametersParse() throws {
        var manifest = Self.validManifest()
        Self.makeAction(&manifest)
        manifest["parameters"] = [
            ["name": "delaySeconds", "type": "integer", "minimum": 0, "maximum": 86400, "default": 0, "description": "seconds"],
            ["name": "script", "type": "string", "required": true, "maxLength": 255],
            ["name": "token", "type": "string", "secret": true],
            ["name": "force", "type": "boolean", "default": false],
        ]
        let parsed = try parse(manifest)
        #expect(parsed.action == "reboot")
        #expect(parsed.parameters == [
            ActionParameter(name: "delaySeconds", type: .integer, summary: "seconds", defaultValue: .integer(0), minimum: 0, maximum: 86400),
            ActionParameter(name: "script", type: .string, required: true, maxLength: 255),
            ActionParameter(name: "token", type: .string, maxLength: 1024, secret: true),
            ActionParameter(name: "force", type: .boolean, defaultValue: .bool(false)),
        ])
        #expect(try parse(Self.validManifest()).parameters.isEmpty)
    }

    @Test func badParameterDeclarations() {
        let file = Self.file
        #expect(parametersError([["name": "delay", "type": "integer", "unit": "s"]]) == "\(file): parameters[0].unit: unknown field")
        #expect(parametersError([["type": "integer"]]) == "\(file): parameters[0].name: missing required field")
        #expect(parametersError([["name": "delay-seconds", "type": "integer"]])
                == "\(file): parameters[0].name: 'delay-seconds' is not valid: expected a parameter name such as 'delaySeconds'")
        #expect(parametersError([["name": "delay"]]) == "\(file): parameters[0].type: missing required field")
        #expect(parametersError([["name": "delay", "type": "number"]])
                == "\(file): parameters[0].type: unknown parameter type 'number' (expected string, integer, boolean)")
        #expect(parametersError([["name": "delay", "type": "integer", "minimum": "0"]])
                == "\(file): parameters[0].minimum: expected integer, got string")
        #expect(parametersError([["name": "force", "type": "boolean", "required": "yes"]])
                == "\(file): parameters[0].required: expected boolean, got string")
        #expect(parametersError([["name": "token", "type": "string", "secret": 1]]) == "\(file): parameters[0].secret: expected boolean, got integer")
        #expect(parametersError(["delay"]) == "\(file): parameters[0]: expected object, got string")
        #expect(parametersError([["name": "delay", "type": "integer", "minimum": 10, "maximum": 5]])
                == "\(file): parameters[0].maximum: must not be less than minimum (5 < 10)")
        #expect(parametersError([["name": "delay", "type": "integer", "maximum": 86400, "default": 90000]])
                == "\(file): parameters[0].default: must be at most 86400, got 90000")
        #expect(parametersError([["name": "delay", "type": "integer", "minimum": 0, "default": -1]])
                == "\(file): parameters[0].default: must be at least 0, got -1")
        #expect(parametersError([["name": "delay", "type": "integer", "default": "0"]])
                == "\(file): parameters[0].default: expected integer, got string")
        #expect(parametersError([["name": "script", "type": "string", "maxLength": 3, "default": "abcd"]])
                == "\(file): parameters[0].default: longer than 3 characters")
        #expect(parametersError([["name": "script", "type": "string", "required": true, "default": "a.sh"]])
                == "\(file): parameters[0].default: a required parameter takes no default")
        #expect(parametersError([["name": "force", "type": "boolean"], ["name": "force", "type": "boolean"]])
                == "\(file): parameters[1].name: parameter 'force' is declared more than once")
        #expect(parametersError([["name": "script", "type": "string", "minimum": 1]])
                == "\(file): parameters[0].minimum: only integer parameters take 'minimum'")
        #expect(parametersError([["name": "force", "type": "boolean", "maximum": 1]])
                == "\(file): parameters[0].maximum: only integer parameters take 'maximum'")
        #expect(parametersError([["name": "delay", "type": "integer", "maxLength": 5]])
                == "\(file): parameters[0].maxLength: only string parameters take 'maxLength'")
        #expect(parametersError([["name": "script", "type": "string", "maxLength": 0]])
                == "\(file): parameters[0].maxLength: must be between 1 and 1048576, got 0")
        #expect(error { Self.makeAction(&$0); $0["parameters"] = ["name": "force"] } == "\(file): parameters: expected array, got object")
    }

    @Test func configFields() {
        #expect(error { $0["config"] = [["name": "APIEndpoint", "type": "url"]] }
                == "\(Self.file): config[0].type: unknown config type 'url' (expected string, integer, number, boolean)")
        #expect(error { $0["config"] = [["name": "Retries", "type": "integer", "default": "3"]] }
                == "\(Self.file): config[0].default: expected integer, got string")
        #expect(error { $0["config"] = [["name": "APIKey", "type": "string", "secret": true], ["name": "APIKey", "type": "string"]] }
                == "\(Self.file): config[1].name: config field 'APIKey' is declared more than once")
        #expect(error { $0["config"] = [["name": "Timeout", "type": "number", "default": 2, "description": "seconds"]] } == "no error")
    }

    @Test func malformedJSON() {
        #expect(throws: JSONParseError(reason: "unexpected end of the document")) { try JSONValue.parse(Data("{\"id\": ".utf8)) }
        #expect(throws: JSONParseError(reason: "unexpected text after the document at byte 10")) { try JSONValue.parse(Data("{\"id\": 1} trailing".utf8)) }
    }

    @Test func compactSerializationRoundTrips() throws {
        let value = JSONValue.object([
            "text": .string("quote \" backslash \\ newline \n tab \t bell \u{07} é 漢字 🙂 slash /"),
            "numbers": .array([.integer(-42), .integer(Int64.max), .number(1.5), .number(-2.5e-8), .number(1e20)]),
            "flags": .array([.bool(true), .bool(false), .null]),
            "nested": .object(["empty": .object([:]), "list": .array([])]),
        ])
        #expect(try JSONValue.parse(value.serialized()) == value)
        #expect(String(decoding: JSONValue.string("a\u{01}b").serialized(), as: UTF8.self) == #""a\u0001b""#)
    }

    @Test func jsonKeepsIntegersNumbersAndBooleansApart() throws {
        #expect(try JSONValue.parse(Data(#"[1, 1.5, true, null, "x", {"k": []}]"#.utf8))
                == .array([.integer(1), .number(1.5), .bool(true), .null, .string("x"), .object(["k": .array([])])]))
    }

    static func entryPoints(renderSignature: String, dataRole: String = "render_alert") -> [[String: Any]] {
        [
            ["role": "describe", "symbol": "example_describe", "signature": "pointer()"],
            ["role": "init", "symbol": "example_init", "signature": "int32(pointer)"],
            ["role": dataRole, "symbol": "example_render_alert", "signature": renderSignature],
        ]
    }
}

@Suite struct CSignatureTests {
    @Test func parsesEveryType() throws {
        let signature = try CSignature(parsing: "double(int8,int16,int32,int64,uint8,uint16,uint32,uint64,float,double,pointer,size)")
        #expect(signature.returnType == .double)
        #expect(signature.argumentTypes.count == 12)
        #expect(signature.description == "double(int8,int16,int32,int64,uint8,uint16,uint32,uint64,float,double,pointer,size)")
    }

    @Test func noArguments() throws {
        #expect(try CSignature(parsing: "void()").argumentTypes.isEmpty)
        #expect(try CSignature(parsing: "void(void)").argumentTypes.isEmpty)
    }

    @Test func rejectsMalformed() {
        for text in ["", "int32", "(pointer)", "int32(pointer", "int32(pointer,)", "int32((pointer))", "int32(pointer)x"] {
            #expect(throws: CSignatureError.malformed(text)) { try CSignature(parsing: text) }
        }
        #expect(throws: CSignatureError.unknownType("char")) { try CSignature(parsing: "int32(char)") }
    }
}
