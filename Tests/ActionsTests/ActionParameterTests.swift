import Foundation
import PluginHost
import TestSupport
import Testing

/// A request's parameters checked against what the bundled action plugins declare: from
/// `--param name=value` texts and from JSON, with defaults filled in and exact errors.
@Suite struct ActionParameterTests {
    static func manifest(_ id: String) throws -> Manifest { try Paths.catalog.plugin(id: id).manifest }

    static func textError(_ id: String, _ values: [String: String]) throws -> String {
        let manifest = try manifest(id)
        do {
            return "no error: \(try manifest.parameters(fromText: values))"
        } catch {
            return error.description
        }
    }

    static func jsonError(_ id: String, _ values: [String: JSONValue]) throws -> String {
        let manifest = try manifest(id)
        do {
            return "no error: \(try manifest.parameters(from: values))"
        } catch {
            return error.description
        }
    }

    @Test func bundledActionsDeclareTheirNamesAndParameters() throws {
        let reboot = try Self.manifest("switchboard.reboot")
        #expect(reboot.action == "reboot")
        #expect(reboot.parameters == [
            ActionParameter(name: "delaySeconds", type: .integer,
                            summary: "Seconds to wait before rebooting (a local delay is rounded up to whole minutes).",
                            defaultValue: .integer(0), minimum: 0, maximum: 86400),
            ActionParameter(name: "force", type: .boolean,
                            summary: "Reboot even when logged-in users or applications hold the reboot back.", defaultValue: .bool(false)),
        ])
        let runScript = try Self.manifest("switchboard.run-script")
        #expect(runScript.action == "run-script")
        #expect(runScript.permission == "action:run-script")
        #expect(runScript.platforms == ["local", "datto"])
        #expect(runScript.parameters.map { "\($0.name) \($0.type) \($0.required) \($0.maxLength) \($0.minimum.map(String.init) ?? "-")" }
                == ["script string true 255 -", "arguments string false 2048 -", "timeoutSeconds integer false 1024 1"])
        let remote = try Self.manifest("switchboard.remote-connection")
        #expect(remote.action == "remote-connection")
        #expect(remote.permission == "action:remote-connection")
        #expect(remote.platforms == ["datto"])
        #expect(remote.parameters.map(\.name) == ["reason"])
    }

    @Test func textIsReadAsTheDeclaredTypeAndDefaultsAreFilledIn() throws {
        let reboot = try Self.manifest("switchboard.reboot")
        #expect(try reboot.parameters(fromText: [:]) == ["delaySeconds": .integer(0), "force": .bool(false)])
        #expect(try reboot.parameters(fromText: ["delaySeconds": "86400", "force": "true"])
                == ["delaySeconds": .integer(86400), "force": .bool(true)])
        #expect(try reboot.parameters(fromText: ["delaySeconds": "-0"]) == ["delaySeconds": .integer(0), "force": .bool(false)])
        let runScript = try Self.manifest("switchboard.run-script")
        #expect(try runScript.parameters(fromText: ["script": "cleanup.sh", "arguments": "-v --all"])
                == ["script": .string("cleanup.sh"), "arguments": .string("-v --all"), "timeoutSeconds": .integer(300)])
        let remote = try Self.manifest("switchboard.remote-connection")
        #expect(try remote.parameters(fromText: [:]) == [:])
    }

    @Test func jsonValuesAreCheckedAndDefaultsAreFilledIn() throws {
        let reboot = try Self.manifest("switchboard.reboot")
        #expect(try reboot.parameters(from: ["force": .bool(true)]) == ["delaySeconds": .integer(0), "force": .bool(true)])
        let runScript = try Self.manifest("switchboard.run-script")
        #expect(try runScript.parameters(from: ["script": .string("a.sh"), "timeoutSeconds": .integer(3600)])
                == ["script": .string("a.sh"), "timeoutSeconds": .integer(3600)])
    }

    @Test func textErrors() throws {
        #expect(try Self.textError("switchboard.reboot", ["delaySeconds": "soon"])
                == "switchboard.reboot: parameter 'delaySeconds': expected an integer, got 'soon'")
        for text in ["1.5", "+5", "0x10", "", " 5", "99999999999999999999"] {
            #expect(try Self.textError("switchboard.reboot", ["delaySeconds": text])
                    == "switchboard.reboot: parameter 'delaySeconds': expected an integer, got '\(text)'")
        }
        #expect(try Self.textError("switchboard.reboot", ["delaySeconds": "90000"])
                == "switchboard.reboot: parameter 'delaySeconds': must be at most 86400, got 90000")
        #expect(try Self.textError("switchboard.reboot", ["delaySeconds": "-1"])
                == "switchboard.reboot: parameter 'delaySeconds': must be at least 0, got -1")
        for text in ["yes", "True", "1", ""] {
            #expect(try Self.textError("switchboard.reboot", ["force": text])
                    == "switchboard.reboot: parameter 'force': expected a boolean, got '\(text)'")
        }
        #expect(try Self.textError("switchboard.reboot", ["foo": "1", "zap": "2", "force": "x"])
                == "switchboard.reboot: unknown parameter 'foo' (declared: delaySeconds, force)")
        #expect(try Self.textError("switchboard.run-script", ["arguments": "-v"])
                == "switchboard.run-script: missing required parameter 'script'")
        #expect(try Self.textError("switchboard.run-script", ["script": String(repeating: "a", count: 256)])
                == "switchboard.run-script: parameter 'script': longer than 255 characters")
        #expect(try Self.textError("switchboard.run-script", ["script": String(repeating: "é", count: 255)]).hasPrefix("no error"))
        #expect(try Self.textError("switchboard.run-script", ["script": "a.sh", "timeoutSeconds": "0"])
                == "switchboard.run-script: parameter 'timeoutSeconds': must be at least 1, got 0")
        #expect(try Self.textError("switchboard.remote-connection", ["reason": String(repeating: "x", count: 501)])
                == "switchboard.remote-connection: parameter 'reason': longer than 500 characters")
        #expect(try Self.textError("switchboard.remote-connection", ["delaySeconds": "1"])
                == "switchboard.remote-connection: unknown parameter 'delaySeconds' (declared: reason)")
    }

    @Test func jsonErrors() throws {
        #expect(try Self.jsonError("switchboard.reboot", ["delaySeconds": .string("60")])
                == "switchboard.reboot: parameter 'delaySeconds': expected an integer, got '60'")
        #expect(try Self.jsonError("switchboard.reboot", ["delaySeconds": .number(1.5)])
                == "switchboard.reboot: parameter 'delaySeconds': expected an integer, got 1.5")
        #expect(try Self.jsonError("switchboard.reboot", ["delaySeconds": .integer(90000)])
                == "switchboard.reboot: parameter 'delaySeconds': must be at most 86400, got 90000")
        #expect(try Self.jsonError("switchboard.reboot", ["force": .integer(1)])
                == "switchboard.reboot: parameter 'force': expected a boolean, got 1")
        #expect(try Self.jsonError("switchboard.reboot", ["force": .null])
                == "switchboard.reboot: parameter 'force': expected a boolean, got null")
        #expect(try Self.jsonError("switchboard.run-script", ["script": .array([.string("a.sh")])])
                == "switchboard.run-script: parameter 'script': expected a string, got an array")
        #expect(try Self.jsonError("switchboard.run-script", ["script": .object([:])])
                == "switchboard.run-script: parameter 'script': expected a string, got an object")
        #expect(try Self.jsonError("switchboard.run-script", ["script": .string("a.sh"), "timeoutSeconds": .bool(true)])
                == "switchboard.run-script: parameter 'timeoutSeconds': expected an integer, got true")
        #expect(try Self.jsonError("switchboard.run-script", ["timeoutSeconds": .integer(5)])
                == "switchboard.run-script: missing required parameter 'script'")
        #expect(try Self.jsonError("switchboard.run-script", ["Script": .string("a.sh")])
                == "switchboard.run-script: unknown parameter 'Script' (declared: script, arguments, timeoutSeconds)")
    }

    @Test func longValuesAreShortenedAndSecretsNeverShown() throws {
        let long = String(repeating: "z", count: 100)
        #expect(try Self.textError("switchboard.reboot", ["delaySeconds": long])
                == "switchboard.reboot: parameter 'delaySeconds': expected an integer, got '\(long.prefix(64))...'")
        let manifest = try Manifest(json: JSONValue.parse(Data("""
            {"id": "example.login", "name": "Login", "version": "1.0.0", "kind": "action", "abi": 1, "library": "libexample.so",
             "sha256": "\(String(repeating: "0", count: 64))", "action": "login", "permission": "action:login", "platforms": ["local"],
             "entryPoints": [{"role": "describe", "symbol": "d", "signature": "pointer()"},
                             {"role": "init", "symbol": "i", "signature": "int32(pointer)"},
                             {"role": "plan_action", "symbol": "p", "signature": "int32(pointer,size,pointer)"}],
             "parameters": [{"name": "pin", "type": "integer", "secret": true, "maximum": 9999},
                            {"name": "password", "type": "string", "secret": true, "maxLength": 8}]}
            """.utf8)), file: "login.json")
        #expect(throws: ParameterError(plugin: "example.login", parameter: "pin", problem: .wrongType(expected: .integer, got: "a string"))) {
            try manifest.parameters(fromText: ["pin": "hunter2"])
        }
        #expect(throws: ParameterError(plugin: "example.login", parameter: "pin", problem: .aboveMaximum(9999, got: "an integer"))) {
            try manifest.parameters(fromText: ["pin": "123456"])
        }
        #expect(throws: ParameterError(plugin: "example.login", parameter: "password", problem: .wrongType(expected: .string, got: "an integer"))) {
            try manifest.parameters(from: ["password": .integer(1234)])
        }
        let error = ParameterError(plugin: "example.login", parameter: "password", problem: .wrongType(expected: .string, got: "an integer"))
        #expect(error.description == "example.login: parameter 'password': expected a string, got an integer")
    }
}
