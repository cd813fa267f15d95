import Foundation
@testable import PluginHost
import TestSupport
import Testing

/// A manifest's `capabilities`, the policy's `plugins.allow` bound on them, and the load-time
/// refusal of a plugin that declares more than its bound: every mistake with its file and field.
@Suite struct CapabilitiesTests {
    static let file = ManifestTests.file
    static let policyFile = PluginPolicyTests.file

    /// The example manifest edited by `edit`, parsed.
    func manifest(_ edit: (inout [String: Any]) -> Void) throws(PluginLoadError) -> Manifest {
        var object = ManifestTests.validManifest()
        edit(&object)
        return try ManifestTests().parse(object)
    }

    /// The example as an action plugin on `platforms` declaring `capabilities` (none: left out).
    static func action(_ platforms: [String], _ capabilities: [String: Any]? = nil) -> (inout [String: Any]) -> Void {
        { manifest in
            ManifestTests.makeAction(&manifest)
            manifest["platforms"] = platforms
            manifest["capabilities"] = capabilities
        }
    }

    func error(_ edit: (inout [String: Any]) -> Void) -> String { ManifestTests().error(edit) }

    @Test func aManifestWithoutCapabilitiesDeclaresWhatTheRestOfItAllows() throws {
        #expect(try manifest { _ in }.capabilities == Capabilities(emits: [.httpRequest], platforms: ["example"], tenants: .any))
        #expect(try manifest(Self.action(["local"])).capabilities == Capabilities(emits: [.localReboot, .localScript], platforms: ["local"], tenants: .any))
        #expect(try manifest(Self.action(["datto"])).capabilities == Capabilities(emits: [.platformJob, .remoteSession], platforms: ["datto"], tenants: .any))
        #expect(try manifest(Self.action(["local", "datto"])).capabilities.emits == [.localReboot, .localScript, .platformJob, .remoteSession])
        // A field left out is as wide as the rest of the declaration allows.
        #expect(try manifest(Self.action(["local", "datto"], ["platforms": ["datto"]])).capabilities
                == Capabilities(emits: [.platformJob, .remoteSession], platforms: ["datto"], tenants: .any))
        #expect(try manifest(Self.action(["local", "datto"], ["tenants": ["acme", "globex-eu"]])).capabilities
                == Capabilities(emits: [.localReboot, .localScript, .platformJob, .remoteSession], platforms: ["local", "datto"],
                                tenants: .only(["acme", "globex-eu"])))
        #expect(try manifest(Self.action(["local", "datto"], ["emits": ["platform-job"], "platforms": ["datto"], "tenants": ["*"]])).capabilities
                == Capabilities(emits: [.platformJob], platforms: ["datto"], tenants: .any))
        #expect(try manifest { $0["capabilities"] = ["emits": ["http-request"], "platforms": ["example"], "tenants": ["acme"]] }.capabilities
                == Capabilities(emits: [.httpRequest], platforms: ["example"], tenants: .only(["acme"])))
    }

    @Test func everyMistakeInTheDeclarationNamesItsField() {
        let file = Self.file
        let action = { (capabilities: [String: Any]) in Self.action(["local", "datto"], capabilities) }
        #expect(error { $0["capabilities"] = ["http-request"] } == "\(file): capabilities: expected object, got array")
        #expect(error(action(["emit": ["local-reboot"]])) == "\(file): capabilities.emit: unknown field")
        #expect(error(action(["emits": "local-reboot"])) == "\(file): capabilities.emits: expected array, got string")
        #expect(error(action(["emits": []])) == "\(file): capabilities.emits: must list at least one kind")
        #expect(error(action(["emits": [1]])) == "\(file): capabilities.emits[0]: expected string, got integer")
        #expect(error(action(["emits": ["reboot"]]))
                == "\(file): capabilities.emits[0]: unknown kind 'reboot' (known: local-reboot, local-script, platform-job, remote-session, http-request)")
        #expect(error(action(["emits": ["platform-job", "platform-job"]])) == "\(file): capabilities.emits[1]: 'platform-job' is listed more than once")
        #expect(error(action(["emits": ["http-request"]])) == "\(file): capabilities.emits[0]: action plugins emit plan steps, not 'http-request'")
        #expect(error { $0["capabilities"] = ["emits": ["local-reboot"]] }
                == "\(file): capabilities.emits[0]: platform plugins emit only 'http-request', not 'local-reboot'")
        #expect(error(action(["emits": ["local-reboot"], "platforms": ["datto"]]))
                == "\(file): capabilities.emits[0]: 'local-reboot' runs on platform 'local', which capabilities.platforms does not list")
        #expect(error(action(["emits": ["remote-session"], "platforms": ["local"]]))
                == "\(file): capabilities.emits[0]: 'remote-session' runs on a platform other than 'local', and capabilities.platforms lists none")
        #expect(error(action(["platforms": []])) == "\(file): capabilities.platforms: must list at least one platform")
        #expect(error(action(["platforms": ["Datto"]]))
                == "\(file): capabilities.platforms[0]: 'Datto' is not valid: expected a lowercase platform name such as 'datto' or 'local'")
        #expect(error(action(["platforms": ["datto", "ninja"]]))
                == "\(file): capabilities.platforms[1]: 'ninja' is not one of the manifest's platforms (local, datto)")
        #expect(error { $0["capabilities"] = ["platforms": ["datto"]] }
                == "\(file): capabilities.platforms[0]: a platform plugin acts only on its own platform 'example', not 'datto'")
        #expect(error(action(["tenants": []])) == "\(file): capabilities.tenants: must list at least one tenant, or '*' for any")
        #expect(error(action(["tenants": "*"])) == "\(file): capabilities.tenants: expected array, got string")
        #expect(error(action(["tenants": ["Acme Corp"]]))
                == "\(file): capabilities.tenants[0]: 'Acme Corp' is not valid: expected a tenant id such as 'acme', or '*' for any")
        #expect(error(action(["tenants": ["acme", "*"]])) == "\(file): capabilities.tenants: '*' (any tenant) cannot be combined with tenant ids")
        #expect(error(action(["tenants": ["acme", "acme"]])) == "\(file): capabilities.tenants[1]: 'acme' is listed more than once")
    }

    // MARK: The policy's bound

    func policy(_ allow: String) throws -> PluginPolicy {
        try PluginPolicy(policyDocument: JSONValue.parse(Data(#"{"plugins": {"allow": \#(allow)}}"#.utf8)), file: Self.policyFile)
    }

    func policyError(_ allow: String) -> String {
        do {
            _ = try policy(allow)
            return "accepted"
        } catch {
            return "\(error)"
        }
    }

    @Test func thePolicyReadsABoundPerPluginAndForEveryOther() throws {
        let parsed = try policy(#"""
            {"*": {"tenants": ["acme"]},
             "vendor.reboot": {"emits": ["platform-job"], "platforms": ["datto"], "tenants": ["*"]},
             "vendor.none": {"emits": [], "platforms": [], "tenants": []}}
            """#)
        #expect(parsed.allow == [
            "*": CapabilityBound(tenants: .only(["acme"])),
            "vendor.reboot": CapabilityBound(emits: [.platformJob], platforms: ["datto"], tenants: .any),
            "vendor.none": CapabilityBound(emits: [], platforms: [], tenants: .only([])),
        ])
        #expect(try policy("{}").allow.isEmpty)
        #expect(try PluginPolicy(policyDocument: JSONValue.parse(Data(#"{"plugins": {}}"#.utf8)), file: Self.policyFile).allow.isEmpty)
    }

    @Test func everyMistakeInTheBoundNamesItsField() {
        let file = Self.policyFile
        #expect(policyError(#"["*"]"#) == "\(file): plugins.allow: expected object, got array")
        #expect(policyError(#"{"Vendor X": {}}"#) == "\(file): plugins.allow.Vendor X: expected a plugin id or '*'")
        #expect(policyError(#"{"*": ["acme"]}"#) == "\(file): plugins.allow.*: expected object, got array")
        #expect(policyError(#"{"*": {"tenant": ["acme"]}}"#) == "\(file): plugins.allow.*.tenant: unknown field")
        #expect(policyError(#"{"vendor.x": {"emits": "platform-job"}}"#) == "\(file): plugins.allow.vendor.x.emits: expected array, got string")
        #expect(policyError(#"{"vendor.x": {"emits": ["reboot"]}}"#)
                == "\(file): plugins.allow.vendor.x.emits[0]: unknown kind 'reboot' (known: local-reboot, local-script, platform-job, remote-session, http-request)")
        #expect(policyError(#"{"*": {"platforms": ["datto", "datto"]}}"#) == "\(file): plugins.allow.*.platforms[1]: 'datto' is listed more than once")
        #expect(policyError(#"{"*": {"platforms": ["Datto RMM"]}}"#)
                == "\(file): plugins.allow.*.platforms[0]: 'Datto RMM' is not valid: expected a lowercase platform name such as 'datto' or 'local'")
        #expect(policyError(#"{"*": {"tenants": [7]}}"#) == "\(file): plugins.allow.*.tenants[0]: expected string, got integer")
        #expect(policyError(#"{"*": {"tenants": ["*", "acme"]}}"#) == "\(file): plugins.allow.*.tenants: '*' (any tenant) cannot be combined with tenant ids")
        // Of several mistakes, the first plugin id's.
        #expect(policyError(#"{"b.x": {"emits": 1}, "a.x": {"tenants": 1}}"#) == "\(file): plugins.allow.a.x.tenants: expected array, got integer")
    }

    // MARK: Refused at load

    /// Loads the example plugin (a platform plugin on `example`) declaring `capabilities` under a
    /// policy allowing `allow`; its error, or "loaded". `breakLibrary` makes the library's digest
    /// wrong, so an error other than the library's proves the library was never looked at.
    func load(capabilities: [String: [String]]?, allow: [String: CapabilityBound], breakLibrary: Bool = false,
              isolation: IsolationSettings = .inProcessOnly) async throws -> PluginEntry {
        let sandbox = try Sandbox()
        let folder = try await sandbox.examplePlugin(in: "drop/echo") { manifest in
            manifest["capabilities"] = capabilities
            if breakLibrary { manifest["sha256"] = String(repeating: "0", count: 64) }
        }
        var policy = PluginPolicy()
        policy.allow = allow
        let catalog = PluginCatalog.load([sandbox.candidate(folder)], policy: policy, isolation: isolation)
        return try #require(catalog.entries.first)
    }

    @Test(arguments: [
        (["tenants": ["acme", "globex"]], ["*": CapabilityBound(tenants: .only(["acme"]))],
         "capabilities.tenants: declares 'globex' but the policy allows only acme (plugins.allow.*)"),
        (nil, ["*": CapabilityBound(tenants: .only(["acme", "globex"]))],
         "capabilities.tenants: declares '*' but the policy allows only acme, globex (plugins.allow.*)"),
        (nil, ["*": CapabilityBound(emits: [.platformJob])],
         "capabilities.emits: declares 'http-request' but the policy allows only platform-job (plugins.allow.*)"),
        (nil, ["example.echo": CapabilityBound(platforms: [])],
         "capabilities.platforms: declares 'example' but the policy allows none (plugins.allow.example.echo)"),
        // The plugin's own entry wins over `*`, in both directions.
        (nil, ["*": CapabilityBound(tenants: .only(["acme"])), "example.echo": CapabilityBound(emits: [.httpRequest], platforms: ["datto"])],
         "capabilities.platforms: declares 'example' but the policy allows only datto (plugins.allow.example.echo)"),
    ] as [([String: [String]]?, [String: CapabilityBound], String)])
    func aDeclarationBeyondItsBoundIsRejectedBeforeTheLibraryIsTouched(capabilities: [String: [String]]?, allow: [String: CapabilityBound],
                                                                        error: String) async throws {
        for isolation in [IsolationSettings.inProcessOnly, .workers()] {
            let entry = try await load(capabilities: capabilities, allow: allow, breakLibrary: true, isolation: isolation)
            #expect(entry.error?.description == "\(entry.candidate.manifestPath): \(error)")
            // Rejected after its signature was checked, so its signer is known.
            #expect(entry.signer == .unsigned)
        }
    }

    @Test func aDeclarationWithinItsBoundLoads() async throws {
        let within = ["*": CapabilityBound(emits: [], platforms: [], tenants: .only([])),
                      "example.echo": CapabilityBound(emits: [.httpRequest], platforms: ["example"], tenants: .only(["acme", "globex"]))]
        #expect(try await load(capabilities: ["tenants": ["acme"]], allow: within).status == "loaded")
        #expect(try await load(capabilities: nil, allow: ["*": CapabilityBound(tenants: .any)]).status == "loaded")
        // No bound at all.
        #expect(try await load(capabilities: nil, allow: [:]).status == "loaded")
    }

    @Test func verifyReportsTheExcessUnderThePolicyFile() async throws {
        let sandbox = try Sandbox()
        let folder = try await sandbox.examplePlugin(in: "drop/echo") { $0["capabilities"] = ["tenants": ["acme", "globex"]] }
        let policy = try sandbox.write(#"{"plugins": {"allow": {"*": {"tenants": ["acme"]}}}}"#, to: "policy.json")
        let verify = try await sandbox.switchboard(["plugins", "verify", folder, "--policy", policy])
        #expect(verify.status == 1)
        #expect(verify.stdout == """
            \(folder)/manifest.json: capabilities.tenants: declares 'globex' but the policy allows only acme (plugins.allow.*)
            0 loaded, 1 rejected

            """)
    }
}
