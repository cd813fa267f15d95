import Foundation
import PluginHost
import TestSupport
import Testing

/// The real `switchboard` binary, with plugins compiled out of tree and dropped into folders.
@Suite struct PluginsCommandTests {
    @Test func droppedInCPluginIsListedAndCallableWithoutRebuildingTheHost() async throws {
        let sandbox = try Sandbox()
        let drop = try sandbox.folder("drop")
        let folder = try await sandbox.examplePlugin(in: "drop/example")
        let list = try await sandbox.switchboard(["plugins", "list", "--json", "--plugin-path", drop])
        #expect(list.status == 0, "\(list.stderr)")
        let items = try listing(list)
        let entry = try #require(items.first { $0["id"] == .string("example.echo") })
        #expect(entry["status"] == .string("loaded"))
        #expect(entry["error"] == .null)
        #expect(entry["source"] == .string("plugin-path"))
        #expect(entry["kind"] == .string("platform"))
        #expect(entry["library"] == .string(folder + "/libexample.so"))
        #expect(entry["manifest"] == .string(folder + "/manifest.json"))
        #expect(entry["sha256"] == .string(try await sha256(of: folder + "/libexample.so")))
        #expect(entry["entryPoints"] == .array([
            .object(["role": .string("describe"), "signature": .string("pointer()"), "symbol": .string("example_describe")]),
            .object(["role": .string("init"), "signature": .string("int32(pointer)"), "symbol": .string("example_init")]),
            .object(["role": .string("render_alert"), "signature": .string("int32(pointer,size,pointer)"), "symbol": .string("example_render_alert")]),
        ]))
        // The bundled plugins are listed too.
        #expect(items.compactMap { $0["id"] } .contains(.string("switchboard.webhook")))

        try sandbox.write(#"{"severity": "Warning", "message": "disk"}"#, to: "alert.json")
        let call = try await sandbox.switchboard(["plugins", "call", "example.echo", "render_alert", "--input", sandbox.root + "/alert.json",
                                            "--plugin-path", drop])
        #expect(call.status == 0, "\(call.stderr)")
        #expect(try JSONValue.parse(Data(call.stdout.utf8))
                == .object(["plugin": .string("example.echo"), "received": .object(["severity": .string("Warning"), "message": .string("disk")])]))
    }

    @Test func listJSONHasEveryKeyOfTheDocumentedSchema() async throws {
        let sandbox = try Sandbox()
        let drop = try sandbox.folder("drop")
        try await sandbox.examplePlugin(in: "drop/broken") { $0["version"] = "1.0" }
        let items = try await listing(sandbox.switchboard(["plugins", "list", "--json", "--plugin-path", drop]))
        let keys = ["abi", "action", "capabilities", "config", "description", "entryPoints", "error", "id", "isolation", "kind", "library", "manifest", "name",
                    "parameters", "permission", "platform", "platforms", "quarantine", "sha256", "signer", "source", "status", "version"]
        for item in items {
            guard case .object(let members) = item else { Issue.record("not an object"); continue }
            #expect(members.keys.sorted() == keys)
        }
        let broken = try #require(items.first { $0["source"] == .string("plugin-path") })
        #expect(broken["status"] == .string("rejected"))
        #expect(broken["id"] == .null)
        #expect(broken["error"] == .string("\(drop)/broken/manifest.json: version: '1.0' is not valid: expected a semantic version such as 1.2.3 (semver.org)"))
        let reboot = try #require(items.first { $0["id"] == .string("switchboard.reboot") })
        #expect(reboot["permission"] == .string("action:reboot"))
        #expect(reboot["platforms"] == .array([.string("local"), .string("datto")]))
        #expect(reboot["action"] == .string("reboot"))
        #expect(reboot["parameters"]?.serialized(pretty: true) == JSONValue.array([
            .object(["name": .string("delaySeconds"), "type": .string("integer"), "required": .bool(false), "default": .integer(0),
                     "minimum": .integer(0), "maximum": .integer(86400), "maxLength": .null, "secret": .bool(false),
                     "description": .string("Seconds to wait before rebooting (a local delay is rounded up to whole minutes).")]),
            .object(["name": .string("force"), "type": .string("boolean"), "required": .bool(false), "default": .bool(false),
                     "minimum": .null, "maximum": .null, "maxLength": .null, "secret": .bool(false),
                     "description": .string("Reboot even when logged-in users or applications hold the reboot back.")]),
        ]).serialized(pretty: true))
        #expect(broken["parameters"] == .array([]))
        #expect(broken["capabilities"] == .null)
        #expect(reboot["capabilities"] == .object(["emits": .array([.string("local-reboot"), .string("platform-job")]),
                                                   "platforms": .array([.string("local"), .string("datto")]), "tenants": .array([.string("*")])]))
    }

    @Test func environmentAndDataDirectoryFoldersAreSearched() async throws {
        let sandbox = try Sandbox()
        try await sandbox.examplePlugin(in: "env/one", id: "example.env")
        try await sandbox.examplePlugin(in: "home/plugins/two", id: "example.home")
        let list = try await sandbox.switchboard(["plugins", "list", "--json"], environment: ["SWITCHBOARD_PLUGIN_PATH": sandbox.root + "/missing:" + sandbox.root + "/env"])
        let items = try listing(list)
        #expect(items.first { $0["id"] == .string("example.env") }?["source"] == .string("env"))
        #expect(items.first { $0["id"] == .string("example.home") }?["source"] == .string("data-dir"))
        #expect(list.stderr == "switchboard: warning: plugin folder \(sandbox.root)/missing (env) does not exist\n")
    }

    @Test func tableShowsRejectedPluginsWithTheirReason() async throws {
        let sandbox = try Sandbox()
        let drop = try sandbox.folder("drop")
        let folder = try await sandbox.examplePlugin(in: "drop/example", defines: ["EXAMPLE_INIT_STATUS=SB_ERR_INTERNAL"])
        let list = try await sandbox.switchboard(["plugins", "list", "--plugin-path", drop])
        #expect(list.status == 0)
        let lines = list.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // Columns are as wide as their widest cell, plus two spaces.
        let idWidth = (["ID", "example.echo"] + BundledPluginTests.manifestNames.map { String($0.dropLast(".json".count)) }).map(\.count).max() ?? 0
        func row(_ cells: String...) -> String {
            let widths = [idWidth, 8, 7, 3, 8, 10, 11]
            return zip(cells, widths + [0]).map { $1 == 0 ? $0 : $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }
        #expect(lines[0] == row("ID", "KIND", "VERSION", "ABI", "STATUS", "ISOLATION", "SOURCE", "SIGNER"))
        // A drop-in runs in a worker, whose loader rejects it with the reason the host's would give.
        #expect(lines.contains(row("example.echo", "platform", "0.1.0", "1", "rejected", "-", "plugin-path", "unsigned")))
        #expect(lines.contains(row("switchboard.webhook", "platform", "1.1.0", "1", "loaded", "in-process", "bundled", "unsigned")))
        #expect(lines.suffix(3) == ["Rejected:", "  \(folder)/manifest.json: example_init: init returned SB_ERR_INTERNAL (3)", ""])
    }

    @Test func verifyReportsOneLinePerProblemAndExitsOne() async throws {
        let sandbox = try Sandbox()
        let drop = try sandbox.folder("drop")
        let good = try await sandbox.examplePlugin(in: "drop/a", id: "example.a")
        let noSymbol = try await sandbox.examplePlugin(in: "drop/b", id: "example.b", defines: ["EXAMPLE_OMIT_RENDER"])
        let badType = try await sandbox.examplePlugin(in: "drop/c", id: "example.c") {
            $0["entryPoints"] = [["role": "describe", "symbol": "example_describe", "signature": "pointer(int128)"]]
        }
        let verify = try await sandbox.switchboard(["plugins", "verify", drop])
        #expect(verify.status == 1)
        #expect(verify.stdout == """
            \(noSymbol)/manifest.json: example_render_alert: declared symbol not found: \(noSymbol)/libexample.so: undefined symbol: example_render_alert
            \(badType)/manifest.json: entryPoints[0].signature: unknown C type 'int128' (known: void, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float, double, pointer, size)
            1 loaded, 2 rejected

            """)
        let one = try await sandbox.switchboard(["plugins", "verify", good])
        #expect(one.status == 0)
        #expect(one.stdout == "1 loaded, 0 rejected\n")
        let missing = try await sandbox.switchboard(["plugins", "verify", sandbox.root + "/nowhere"])
        #expect(missing.status == 1)
        #expect(missing.stderr == "switchboard: \(sandbox.root)/nowhere: no such folder\n")
    }

    @Test func verifyWithoutAFolderChecksTheBundledPlugins() async throws {
        let sandbox = try Sandbox()
        let verify = try await sandbox.switchboard(["plugins", "verify"])
        #expect(verify.status == 0, "\(verify.stdout)")
        #expect(verify.stdout == "\(BundledPluginTests.manifestNames.count) loaded, 0 rejected\n")
    }

    @Test func inspectShowsOnePlugin() async throws {
        let sandbox = try Sandbox()
        let json = try await sandbox.switchboard(["plugins", "inspect", "switchboard.webhook", "--json"])
        #expect(json.status == 0)
        let entry = try JSONValue.parse(Data(json.stdout.utf8))
        #expect(entry["platform"] == .string("webhook"))
        guard case .array(let fields)? = entry["config"] else { Issue.record("no config"); return }
        #expect(fields.map { $0["name"] } == [.string("APIEndpoint"), .string("Format"), .string("Secret")])
        #expect(fields.map { $0["secret"] } == [.bool(false), .bool(false), .bool(true)])
        #expect(fields[1]["default"] == .string("generic"))
        // No capabilities in its manifest: what a platform plugin does, for any tenant.
        #expect(entry["capabilities"] == .object(["emits": .array([.string("http-request")]), "platforms": .array([.string("webhook")]),
                                                  "tenants": .array([.string("*")])]))
        let text = try await sandbox.switchboard(["plugins", "inspect", "switchboard.reboot"])
        #expect(text.stdout.contains("action      reboot\npermission  action:reboot\n"))
        let script = try await sandbox.switchboard(["plugins", "inspect", "switchboard.run-script"])
        #expect(script.stdout.hasSuffix("""
            Parameters:
              script: string, required, at most 255 characters  The script to run: a path relative to the allowed script folder (no leading /, no .. components).
              arguments: string, at most 2048 characters  Arguments, split on spaces and tabs. No quoting and no shell: each word is passed as written.
              timeoutSeconds: integer, default 300, 1..3600  How long the script may run; then it and everything it started are stopped.

            """))
        #expect(text.stdout.contains("  plan_action    switchboard_reboot_plan_action  int32(pointer,size,pointer)\n"))
        #expect(text.stdout.contains("\nCapabilities:\n  emits      local-reboot, platform-job\n  platforms  local, datto\n  tenants    *\n"))
        let unknown = try await sandbox.switchboard(["plugins", "inspect", "nope"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr == "switchboard: no plugin with id 'nope'\n")
    }

    @Test func callReadsStdinAndReportsErrors() async throws {
        let sandbox = try Sandbox()
        let ok = try await sandbox.switchboard(["plugins", "call", "switchboard.reboot", "plan_action", "--input", "-"],
                                         stdin: #"{"device": {"id": "local", "platform": "local"}}"#)
        #expect(ok.status == 0)
        #expect(try JSONValue.parse(Data(ok.stdout.utf8))["summary"] == .string("reboot local device local now"))

        let failed = try await sandbox.switchboard(["plugins", "call", "switchboard.reboot", "plan_action", "--input", "-"],
                                             stdin: #"{"device": {"id": "x", "platform": "syncro"}}"#)
        #expect(failed.status == 1)
        #expect(failed.stderr == "switchboard: switchboard.reboot: plan_action returned SB_ERR_UNSUPPORTED (2): device.platform: reboot is not supported on platform 'syncro'\n")

        let notJSON = try await sandbox.switchboard(["plugins", "call", "switchboard.reboot", "plan_action", "--input", "-"], stdin: "{oops")
        #expect(notJSON.status == 1)
        #expect(notJSON.stderr.hasPrefix("switchboard: stdin: not valid JSON: "))

        let noRole = try await sandbox.switchboard(["plugins", "call", "switchboard.reboot", "init", "--input", "-"], stdin: "{}")
        #expect(noRole.status == 1)
        #expect(noRole.stderr == "switchboard: 'init' is not a data role (data roles: render_alert, render_ticket, render_report, request_token, parse_response, render_action, parse_action, render_inbound, parse_inbound, plan_action, parse_result)\n")

        let noPlugin = try await sandbox.switchboard(["plugins", "call", "nope", "plan_action", "--input", "-"], stdin: "{}")
        #expect(noPlugin.status == 1)
        #expect(noPlugin.stderr == "switchboard: no plugin with id 'nope'\n")

        let noFile = try await sandbox.switchboard(["plugins", "call", "switchboard.reboot", "plan_action", "--input", sandbox.root + "/none.json"])
        #expect(noFile.status == 1)
        #expect(noFile.stderr == "switchboard: \(sandbox.root)/none.json: cannot read the input file\n")
    }

    @Test func refreshDigestsRewritesOnlyTheDigest() async throws {
        let sandbox = try Sandbox()
        let folder = try await sandbox.examplePlugin(in: "plugin") { $0["sha256"] = String(repeating: "f", count: 64) }
        let before = try String(contentsOfFile: folder + "/manifest.json", encoding: .utf8)
        let refresh = try await sandbox.switchboard(["plugins", "refresh-digests", folder])
        let digest = try await sha256(of: folder + "/libexample.so")
        #expect(refresh.status == 0)
        #expect(refresh.stdout == "updated \(folder)/manifest.json: \(digest)\n")
        #expect(try String(contentsOfFile: folder + "/manifest.json", encoding: .utf8)
                == before.replacingOccurrences(of: String(repeating: "f", count: 64), with: digest))
        #expect(try await sandbox.switchboard(["plugins", "verify", folder]).status == 0)
        #expect(try await sandbox.switchboard(["plugins", "refresh-digests", folder]).stdout == "unchanged \(folder)/manifest.json\n")
    }
}
