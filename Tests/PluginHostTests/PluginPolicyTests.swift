import Foundation
import PluginHost
import TestSupport
import Testing

/// The `plugins` section of the administrator's policy file: what it accepts, and every mistake
/// with its file and field.
@Suite struct PluginPolicyTests {
    static let file = "/etc/switchboard/policy.json"
    static let keyA = Data(repeating: 0xA1, count: 32).base64EncodedString()
    static let keyB = Data(repeating: 0xB2, count: 32).base64EncodedString()

    func policy(_ json: String) throws -> PluginPolicy {
        try PluginPolicy(policyDocument: JSONValue.parse(Data(json.utf8)), file: Self.file)
    }

    func error(_ plugins: String) throws -> String {
        do {
            _ = try policy(#"{"targets": [], "plugins": \#(plugins)}"#)
            return "accepted"
        } catch let error as PluginLoadError {
            return error.description
        }
    }

    @Test func readsTrustedKeysAndTheRequirement() throws {
        let parsed = try policy("""
            {"delivery": {"MaxAttempts": 3}, "plugins": {"requireSignedPlugins": true,
             "trustedKeys": [{"name": "acme-msp", "publicKey": "\(Self.keyA)"}, {"name": "vendor.tools_2", "publicKey": "\(Self.keyB)"}]}}
            """)
        #expect(parsed == PluginPolicy(trustedKeys: [
            PluginPolicy.TrustedKey(name: "acme-msp", publicKey: Data(repeating: 0xA1, count: 32)),
            PluginPolicy.TrustedKey(name: "vendor.tools_2", publicKey: Data(repeating: 0xB2, count: 32)),
        ], requireSignedPlugins: true))
        // No plugins section: unsigned plugins load and no key is trusted.
        #expect(try policy(#"{"targets": []}"#) == PluginPolicy())
        #expect(try policy(#"{"plugins": {}}"#) == PluginPolicy())
    }

    @Test func readsWherePluginsRun() throws {
        let parsed = try policy(#"{"plugins": {"isolation": {"*": "process", "switchboard.reboot": "in-process"}}}"#)
        #expect(parsed.isolation == ["*": .process, "switchboard.reboot": .inProcess])
        #expect(try error(#"{"isolation": {"acme.x": "sandbox"}}"#) == "\(Self.file): plugins.isolation.acme.x: expected \"in-process\" or \"process\"")
        #expect(try error(#"{"isolation": {"Acme X": "process"}}"#) == "\(Self.file): plugins.isolation.Acme X: expected a plugin id or '*'")
        #expect(try error(#"{"isolation": ["process"]}"#) == "\(Self.file): plugins.isolation: expected object, got array")
    }

    @Test func everyMistakeNamesItsField() throws {
        let file = Self.file
        #expect(try error("[]") == "\(file): plugins: expected object, got array")
        #expect(try error(#"{"requireSigned": true}"#) == "\(file): plugins.requireSigned: unknown field")
        #expect(try error(#"{"requireSignedPlugins": "yes"}"#) == "\(file): plugins.requireSignedPlugins: expected boolean, got string")
        #expect(try error(#"{"trustedKeys": {}}"#) == "\(file): plugins.trustedKeys: expected array, got object")
        #expect(try error(#"{"trustedKeys": ["acme"]}"#) == "\(file): plugins.trustedKeys[0]: expected object, got string")
        #expect(try error(#"{"trustedKeys": [{"publicKey": "\#(Self.keyA)"}]}"#) == "\(file): plugins.trustedKeys[0].name: missing required field")
        #expect(try error(#"{"trustedKeys": [{"name": "a", "publicKey": "\#(Self.keyA)", "comment": "x"}]}"#)
                == "\(file): plugins.trustedKeys[0].comment: unknown field")
        let rule = "lowercase letters and digits separated by '.', '-' or '_', at most 64 characters, not 'unsigned'"
        #expect(try error(#"{"trustedKeys": [{"name": "Acme MSP", "publicKey": "\#(Self.keyA)"}]}"#)
                == "\(file): plugins.trustedKeys[0].name: 'Acme MSP' is not valid: expected \(rule)")
        #expect(try error(#"{"trustedKeys": [{"name": "unsigned", "publicKey": "\#(Self.keyA)"}]}"#)
                == "\(file): plugins.trustedKeys[0].name: 'unsigned' is not valid: expected \(rule)")
        #expect(try error(#"{"trustedKeys": [{"name": "a"}]}"#) == "\(file): plugins.trustedKeys[0].publicKey: missing required field")
        #expect(try error(#"{"trustedKeys": [{"name": "a", "publicKey": "not base64!"}]}"#)
                == "\(file): plugins.trustedKeys[0].publicKey: not valid base64")
        let short = Data(repeating: 1, count: 31).base64EncodedString()
        #expect(try error(#"{"trustedKeys": [{"name": "a", "publicKey": "\#(short)"}]}"#)
                == "\(file): plugins.trustedKeys[0].publicKey: expected a 32-byte Ed25519 public key, got 31 bytes")
        #expect(try error(#"{"trustedKeys": [{"name": "a", "publicKey": "\#(Self.keyA)"}, {"name": "a", "publicKey": "\#(Self.keyB)"}]}"#)
                == "\(file): plugins.trustedKeys[1].name: 'a' already names plugins.trustedKeys[0]")
        #expect(try error(#"{"trustedKeys": [{"name": "a", "publicKey": "\#(Self.keyA)"}, {"name": "b", "publicKey": "\#(Self.keyA)"}]}"#)
                == "\(file): plugins.trustedKeys[1].publicKey: the same key as plugins.trustedKeys[0]")
        #expect(throws: PluginLoadError(file: file, subject: "", problem: .wrongType(expected: "object", actual: "array"))) {
            try policy("[]")
        }
    }

    @Test func theEnvironmentCanRequireSignaturesButNotWaiveThem() throws {
        let sandbox = try TemporaryFolder()
        let required = try sandbox.write(#"{"plugins": {"requireSignedPlugins": true}}"#, to: "policy.json")
        let variable = "SWITCHBOARD_REQUIRE_SIGNED_PLUGINS"
        #expect(try PluginPolicy.load(file: nil, environment: [:]).requireSignedPlugins == false)
        #expect(try PluginPolicy.load(file: nil, environment: [variable: "1"]).requireSignedPlugins)
        #expect(try PluginPolicy.load(file: required, environment: [variable: "0"]).requireSignedPlugins)
        #expect(throws: PluginLoadError(file: "environment variable \(variable)", subject: "", problem: .invalidValue("expected 1 or 0, got 'yes'"))) {
            try PluginPolicy.load(file: nil, environment: [variable: "yes"])
        }
    }

    @Test func anUnreadableOrMalformedFileSaysSo() throws {
        let sandbox = try TemporaryFolder()
        let missing = sandbox.root + "/none.json"
        #expect(throws: PluginLoadError(file: missing, subject: "", problem: .unreadable("No such file or directory"))) {
            try PluginPolicy.load(file: missing, environment: [:])
        }
        let broken = try sandbox.write(#"{"plugins": "#, to: "policy.json")
        #expect(throws: PluginLoadError(file: broken, subject: "", problem: .invalidValue("malformed JSON: unexpected end of the document"))) {
            try PluginPolicy.load(file: broken, environment: [:])
        }
        let yaml = try sandbox.write("plugins:\n  requireSignedPlugins: true\n", to: "policy.yaml")
        #expect(try PluginPolicy.load(file: yaml, environment: [:]) == PluginPolicy(requireSignedPlugins: true))
    }
}
