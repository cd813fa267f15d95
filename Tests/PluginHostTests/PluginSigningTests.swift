import Foundation
import PluginHost
import TestSupport
import Testing

/// Signed plugins with the real binary: keys made by `plugins keygen`, signatures written by
/// `plugins sign`, checked against the administrator's policy before the library is opened.
@Suite struct PluginSigningTests {
    /// Runs `plugins keygen` into `<root>/keys/<name>.key` and returns the key file and its public key.
    func keygen(_ sandbox: Sandbox, _ name: String) async throws -> (file: String, publicKey: String) {
        let file = try sandbox.folder("keys") + "/\(name).key"
        let result = try await sandbox.switchboard(["plugins", "keygen", "--out", file])
        #expect(result.status == 0, "\(result.stderr)")
        let line = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("public key (\(name)): ") })
        return (file, String(line.dropFirst("public key (\(name)): ".count)))
    }

    /// Writes a policy file trusting `keys` (name, base64 public key) and returns its path.
    func policy(_ sandbox: Sandbox, trusting keys: [(String, String)] = [], require: Bool) throws -> String {
        let trusted = keys.map { #"{"name": "\#($0.0)", "publicKey": "\#($0.1)"}"# }.joined(separator: ", ")
        return try sandbox.write(#"{"plugins": {"requireSignedPlugins": \#(require), "trustedKeys": [\#(trusted)]}}"#, to: "policy.json")
    }

    func sign(_ sandbox: Sandbox, _ folder: String, key: String) async throws {
        let result = try await sandbox.switchboard(["plugins", "sign", folder, "--key", key])
        #expect(result.status == 0, "\(result.stderr)")
    }

    /// `plugins verify DIR` under `policy`.
    func verify(_ sandbox: Sandbox, _ folder: String, policy: String) async throws -> ProcessResult {
        try await sandbox.switchboard(["plugins", "verify", folder, "--policy", policy])
    }

    /// A sandbox with the example plugin in `drop/echo`, signed by a new key named `vendor`.
    func signedExample() async throws -> (sandbox: Sandbox, folder: String, key: (file: String, publicKey: String)) {
        let sandbox = try Sandbox()
        let folder = try await sandbox.examplePlugin(in: "drop/echo")
        let key = try await keygen(sandbox, "vendor")
        try await sign(sandbox, folder, key: key.file)
        return (sandbox, folder, key)
    }

    @Test func theSignatureFileSitsBesideTheManifest() {
        #expect(ManifestSignature.path(forManifest: "/opt/plugins/echo/manifest.json") == "/opt/plugins/echo/manifest.sig")
        #expect(ManifestSignature.path(forManifest: "Manifests/switchboard.reboot.json") == "Manifests/switchboard.reboot.json.sig")
    }

    @Test func keygenSignAndListShowThePolicysNameForTheSigner() async throws {
        let sandbox = try Sandbox()
        let drop = try sandbox.folder("drop")
        let echo = try await sandbox.examplePlugin(in: "drop/echo")
        try await sandbox.examplePlugin(in: "drop/other", id: "example.other")
        let keyFile = try sandbox.folder("keys") + "/vendor.key"
        let keygen = try await sandbox.switchboard(["plugins", "keygen", "--out", keyFile])
        #expect(keygen.status == 0, "\(keygen.stderr)")
        let lines = keygen.stdout.split(separator: "\n").map(String.init)
        let publicKey = String(lines[1].dropFirst("public key (vendor): ".count))
        #expect(Data(base64Encoded: publicKey)?.count == 32)
        #expect(lines == [
            "wrote the private key to \(keyFile) (mode 0600); keep it secret",
            "public key (vendor): \(publicKey)",
            #"to trust it, add to "trustedKeys" in the "plugins" section of the policy file:"#,
            #"  {"name": "vendor", "publicKey": "\#(publicKey)"}"#,
        ])
        #expect(try FileManager.default.attributesOfItem(atPath: keyFile)[.posixPermissions] as? Int == 0o600)

        let sign = try await sandbox.switchboard(["plugins", "sign", echo, "--key", keyFile])
        #expect(sign.status == 0, "\(sign.stderr)")
        #expect(sign.stdout == "signed example.echo 0.1.0 as vendor: \(echo)/manifest.sig\n")
        let signature = try JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: echo + "/manifest.sig")))
        #expect(signature["signer"] == .string("vendor"))
        #expect(signature["publicKey"] == .string(publicKey))

        // The policy's name for the key is what is shown, not the name the signature gives.
        let policy = try policy(sandbox, trusting: [("acme-msp", publicKey)], require: false)
        let list = try await sandbox.switchboard(["plugins", "list", "--json", "--plugin-path", drop, "--policy", policy])
        #expect(list.status == 0, "\(list.stderr)")
        let items = try listing(list)
        #expect(items.first { $0["id"] == .string("example.echo") }?["signer"] == .string("acme-msp"))
        #expect(items.first { $0["id"] == .string("example.other") }?["signer"] == .string("unsigned"))
        #expect(items.first { $0["id"] == .string("switchboard.webhook") }?["signer"] == .string("unsigned"))
        #expect(items.allSatisfy { $0["status"] == .string("loaded") })

        let table = try await sandbox.switchboard(["plugins", "list", "--plugin-path", drop, "--policy", policy])
        let rows = table.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(rows[0] == ["ID", "KIND", "VERSION", "ABI", "STATUS", "ISOLATION", "SOURCE", "SIGNER"])
        #expect(rows.contains(["example.echo", "platform", "0.1.0", "1", "loaded", "process", "plugin-path", "acme-msp"]))
        #expect(rows.contains(["example.other", "platform", "0.1.0", "1", "loaded", "process", "plugin-path", "unsigned"]))
        #expect(rows.contains(["switchboard.webhook", "platform", "1.1.0", "1", "loaded", "in-process", "bundled", "unsigned"]))

        let inspect = try await sandbox.switchboard(["plugins", "inspect", "example.echo", "--plugin-path", drop, "--policy", policy])
        #expect(inspect.stdout.contains("source      plugin-path\nsigner      acme-msp\n"))
        let verify = try await verify(sandbox, drop, policy: policy)
        #expect(verify.status == 0)
        #expect(verify.stdout == "2 loaded, 0 rejected\n")
    }

    @Test func aManifestEditedAfterSigningIsRejectedEvenWhenSignaturesAreOptional() async throws {
        let (sandbox, folder, key) = try await signedExample()
        let manifest = folder + "/manifest.json"
        let text = try String(contentsOfFile: manifest, encoding: .utf8)
        try text.replacingOccurrences(of: "Example echo", with: "Example echo!").write(toFile: manifest, atomically: true, encoding: .utf8)
        let policy = try policy(sandbox, trusting: [("vendor", key.publicKey)], require: false)
        let verify = try await verify(sandbox, folder, policy: policy)
        #expect(verify.status == 1)
        #expect(verify.stdout == "\(folder)/manifest.sig: signature: does not verify against the manifest\n0 loaded, 1 rejected\n")
        let list = try await sandbox.switchboard(["plugins", "list", "--json", "--plugin-path", folder, "--policy", policy])
        #expect(try listing(list).first { $0["id"] == .string("example.echo") }?["signer"] == .null)
    }

    @Test func aSignatureByAnUntrustedKeyIsRejected() async throws {
        let sandbox = try Sandbox()
        let folder = try await sandbox.examplePlugin(in: "drop/echo")
        let trusted = try await keygen(sandbox, "acme-msp")
        let stranger = try await keygen(sandbox, "stranger")
        try await sign(sandbox, folder, key: stranger.file)
        let verify = try await verify(sandbox, folder, policy: policy(sandbox, trusting: [("acme-msp", trusted.publicKey)], require: false))
        #expect(verify.status == 1)
        #expect(verify.stdout == "\(folder)/manifest.sig: publicKey: not a trusted key\n0 loaded, 1 rejected\n")
    }

    @Test func aMalformedSignatureFileIsRejectedWithItsField() async throws {
        let (sandbox, folder, key) = try await signedExample()
        let policy = try policy(sandbox, trusting: [("vendor", key.publicKey)], require: false)
        let file = folder + "/manifest.sig"
        guard case .object(let valid) = try JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: file))) else {
            Issue.record("the signature file is not an object")
            return
        }
        func rejection(_ content: String) async throws -> String {
            try sandbox.write(content, to: "drop/echo/manifest.sig", mode: 0o644)
            let verify = try await verify(sandbox, folder, policy: policy)
            #expect(verify.status == 1)
            return String(verify.stdout.split(separator: "\n").first ?? "")
        }
        func edited(_ key: String, _ value: JSONValue?) -> String {
            var fields = valid
            fields[key] = value
            return JSONValue.object(fields).text()
        }
        let short = Data(repeating: 7, count: 63).base64EncodedString()
        #expect(try await rejection("signed, honestly") == "\(file): malformed JSON: expected a value at byte 0")
        #expect(try await rejection("[]") == "\(file): expected object, got array")
        #expect(try await rejection(edited("signature", nil)) == "\(file): signature: missing required field")
        #expect(try await rejection(edited("signature", .integer(1))) == "\(file): signature: expected string, got integer")
        #expect(try await rejection(edited("signature", .string("%%%"))) == "\(file): signature: not valid base64")
        #expect(try await rejection(edited("signature", .string(short))) == "\(file): signature: expected a 64-byte Ed25519 signature, got 63 bytes")
        #expect(try await rejection(edited("publicKey", .string("AAAA"))) == "\(file): publicKey: expected a 32-byte Ed25519 public key, got 3 bytes")
        #expect(try await rejection(edited("algorithm", .string("rsa"))) == "\(file): algorithm: unknown field")
        // A valid signature by the trusted key over other bytes.
        let forged = Data(repeating: 0, count: 64).base64EncodedString()
        #expect(try await rejection(edited("signature", .string(forged))) == "\(file): signature: does not verify against the manifest")
    }

    @Test func requireSignedPluginsRejectsUnsignedDropInsButNeverBundledOnes() async throws {
        let sandbox = try Sandbox()
        let folder = try await sandbox.examplePlugin(in: "drop/echo")
        let unsigned = "\(folder)/manifest.json: signature: unsigned plugin: the policy requires signed plugins (requireSignedPlugins)\n0 loaded, 1 rejected\n"
        let required = try policy(sandbox, require: true)
        let rejected = try await verify(sandbox, folder, policy: required)
        #expect(rejected.status == 1)
        #expect(rejected.stdout == unsigned)
        let bundled = try await sandbox.switchboard(["plugins", "verify", "--policy", required])
        #expect(bundled.status == 0, "\(bundled.stdout)")
        #expect(bundled.stdout == "\(BundledPluginTests.manifestNames.count) loaded, 0 rejected\n")
        // The environment can require signatures for one run.
        let environment = try await sandbox.switchboard(["plugins", "verify", folder], environment: ["SWITCHBOARD_REQUIRE_SIGNED_PLUGINS": "1"])
        #expect(environment.stdout == unsigned)
        // Not required: the plugin loads, listed as unsigned.
        let optional = try await verify(sandbox, folder, policy: policy(sandbox, require: false))
        #expect(optional.status == 0)
        #expect(optional.stdout == "1 loaded, 0 rejected\n")
    }

    @Test func anInvalidPolicyLoadsOnlyBundledPlugins() async throws {
        let sandbox = try Sandbox()
        let folder = try await sandbox.examplePlugin(in: "drop/echo")
        let policy = try sandbox.write(#"{"plugins": {"requireSignedPlugins": "yes"}}"#, to: "policy.json")
        let problem = "\(policy): plugins.requireSignedPlugins: expected boolean, got string"
        let list = try await sandbox.switchboard(["plugins", "list", "--json", "--plugin-path", folder, "--policy", policy])
        #expect(list.status == 0)
        #expect(list.stderr == "switchboard: \(problem)\n")
        let items = try listing(list)
        let echo = try #require(items.first { $0["id"] == .string("example.echo") })
        #expect(echo["status"] == .string("rejected"))
        #expect(echo["signer"] == .null)
        #expect(echo["error"] == .string("\(folder)/manifest.json: policy: only bundled plugins load while the plugin policy is invalid (\(problem))"))
        #expect(items.filter { $0["source"] == .string("bundled") }.allSatisfy { $0["status"] == .string("loaded") })
        // verify fails on the policy even when every plugin it finds is bundled.
        let verify = try await sandbox.switchboard(["plugins", "verify", "--policy", policy])
        #expect(verify.status == 1)
        #expect(verify.stderr == "switchboard: \(problem)\n")
        // A policy file named explicitly must exist.
        let missing = try await sandbox.switchboard(["plugins", "verify", folder], environment: ["SWITCHBOARD_POLICY": sandbox.root + "/none.json"])
        #expect(missing.stderr == "switchboard: \(sandbox.root)/none.json: no such file\n")
        #expect(missing.stdout == "\(folder)/manifest.json: policy: only bundled plugins load while the plugin policy is invalid (\(sandbox.root)/none.json: no such file)\n0 loaded, 1 rejected\n")
    }

    @Test func keygenNeverOverwritesAndSignRefusesAStaleDigestOrAnExposedKey() async throws {
        let sandbox = try Sandbox()
        let key = try await keygen(sandbox, "vendor")
        let before = try Data(contentsOf: URL(fileURLWithPath: key.file))
        let again = try await sandbox.switchboard(["plugins", "keygen", "--out", key.file])
        #expect(again.status == 1)
        #expect(again.stderr == "switchboard: \(key.file): already exists; refusing to overwrite it\n")
        #expect(try Data(contentsOf: URL(fileURLWithPath: key.file)) == before)

        let stale = String(repeating: "f", count: 64)
        let folder = try await sandbox.examplePlugin(in: "drop/echo") { $0["sha256"] = stale }
        let digest = try await sha256(of: folder + "/libexample.so")
        let sign = try await sandbox.switchboard(["plugins", "sign", folder, "--key", key.file])
        #expect(sign.status == 1)
        #expect(sign.stderr == "switchboard: \(folder)/manifest.json: sha256: sha256 mismatch: manifest declares \(stale), library is \(digest); run `switchboard plugins refresh-digests \(folder)` first\n")
        #expect(!FileManager.default.fileExists(atPath: folder + "/manifest.sig"))

        chmod(key.file, 0o644)
        let exposed = try await sandbox.switchboard(["plugins", "sign", folder, "--key", key.file])
        #expect(exposed.status == 1)
        #expect(exposed.stderr == "switchboard: \(key.file): the private key is readable by group or others (mode 644); run chmod 600 \(key.file)\n")
    }
}
