import Foundation
@testable import PluginHost
import Synchronization
import TestSupport
import Testing

/// Verified loading with real shared objects compiled by `cc`: each bad plugin is rejected with
/// its exact reason, and a good plugin beside it still loads.
@Suite struct PluginLoaderTests {
    /// Loads `bad` followed by a good plugin and returns the bad one's error.
    func rejection(_ sandbox: Sandbox, _ bad: String) async throws -> String {
        let good = try await sandbox.examplePlugin(in: "good", id: "example.good")
        let catalog = PluginCatalog.load([sandbox.candidate(bad), sandbox.candidate(good)])
        #expect(catalog.entries.count == 2)
        #expect(catalog.entries[1].status == "loaded", "the good plugin must load whatever happened to the bad one")
        return catalog.entries[0].error?.description ?? "loaded"
    }

    @Test func loadsAndCallsAPlugin() async throws {
        let sandbox = try Sandbox()
        let folder = try await sandbox.examplePlugin(in: "example")
        let logged = Mutex<[PluginLogRecord]>([])
        // In process, so its log lines reach this sink (a worker's go to its stderr).
        let catalog = PluginCatalog.load([sandbox.candidate(folder)], isolation: .inProcessOnly) { record in logged.withLock { $0.append(record) } }
        let plugin = try catalog.plugin(id: "example.echo")
        #expect(plugin.isolation == .inProcess)
        #expect(plugin.libraryPath == folder + "/libexample.so")
        #expect(logged.withLock { $0 } == [PluginLogRecord(pluginID: "example.echo", level: .info, message: "example plugin ready")])
        let output = try plugin.call(.renderAlert, input: Data(#"{"a":[1,2]}"#.utf8))
        #expect(String(decoding: output, as: UTF8.self) == #"{"plugin":"example.echo","received":{"a":[1,2]}}"#)
    }

    @Test func pluginErrorsCarryStatusAndMessage() async throws {
        let sandbox = try Sandbox()
        let plugin = try await PluginCatalog.load([sandbox.candidate(sandbox.examplePlugin(in: "example"))]).plugin(id: "example.echo")
        #expect(throws: PluginCallError.failed(plugin: "example.echo", role: .renderAlert, status: 1, message: "input: empty")) {
            try plugin.call(.renderAlert, input: Data())
        }
        #expect(throws: PluginCallError.roleNotProvided(plugin: "example.echo", role: .renderTicket)) {
            try plugin.call(.renderTicket, input: Data("{}".utf8))
        }
        #expect(throws: PluginCallError.notADataRole(plugin: "example.echo", role: .initialize)) {
            try plugin.call(.initialize, input: Data("{}".utf8))
        }
    }

    @Test func malformedJSON() async throws {
        let sandbox = try Sandbox()
        let folder = try await sandbox.examplePlugin(in: "bad")
        try sandbox.write("{ \"id\": \"example.echo\", ", to: "bad/manifest.json")
        #expect(try await rejection(sandbox, folder) == "\(folder)/manifest.json: manifest: malformed JSON: unexpected end of the document")
        let other = try Sandbox()
        let misspelled = try await other.examplePlugin(in: "bad")
        try other.write("{ \"id\": tru }", to: "bad/manifest.json")
        #expect(try await rejection(other, misspelled) == "\(misspelled)/manifest.json: manifest: malformed JSON: expected a value at byte 8")
    }

    @Test func manifestOverOneMebibyte() async throws {
        let sandbox = try Sandbox()
        let folder = try await sandbox.examplePlugin(in: "bad") { $0["description"] = String(repeating: "x", count: 1 << 20) }
        let size = try #require(try FileManager.default.attributesOfItem(atPath: folder + "/manifest.json")[.size] as? Int)
        #expect(try await rejection(sandbox, folder)
                == "\(folder)/manifest.json: manifest: manifest is \(size) bytes, over the limit of 1048576 bytes")
    }

    @Test func abiMajorMismatchInManifest() async throws {
        let sandbox = try Sandbox()
        let folder = try await sandbox.examplePlugin(in: "bad") { $0["abi"] = 2 }
        #expect(try await rejection(sandbox, folder) == "\(folder)/manifest.json: abi: ABI major 2 does not match the host's ABI major 1")
    }

    @Test func libraryMissing() async throws {
        let sandbox = try Sandbox()
        let folder = try await sandbox.examplePlugin(in: "bad") { $0["library"] = "libmissing.so" }
        #expect(try await rejection(sandbox, folder) == "\(folder)/manifest.json: library: library not found at \(folder)/libmissing.so")
    }

    @Test func notAnELFSharedObject() async throws {
        let sandbox = try Sandbox()
        let folder = try sandbox.folder("bad")
        try sandbox.write("#!/bin/sh\necho not a library\n", to: "bad/libtext.so")
        let digest = try await sha256(of: folder + "/libtext.so")
        try await sandbox.examplePlugin(in: "bad") { $0["library"] = "libtext.so"; $0["sha256"] = digest }
        #expect(try await rejection(sandbox, folder)
                == "\(folder)/manifest.json: library: \(folder)/libtext.so is not an ELF shared object: no ELF magic number")
    }

    @Test func executableIsNotASharedObject() async throws {
        let sandbox = try Sandbox()
        let folder = try sandbox.folder("bad")
        try FileManager.default.copyItem(atPath: "/usr/bin/env", toPath: folder + "/libenv.so")
        let digest = try await sha256(of: folder + "/libenv.so")
        try await sandbox.examplePlugin(in: "bad") { $0["library"] = "libenv.so"; $0["sha256"] = digest }
        // Debian builds /usr/bin/env as a position-independent executable (ELF type ET_DYN, like a
        // shared object), which dlopen refuses.
        #expect(try await rejection(sandbox, folder) == "\(folder)/manifest.json: library: dlopen failed: \(folder)/libenv.so: cannot dynamically load position-independent executable")
    }

    @Test func relativePathEscape() async throws {
        let sandbox = try Sandbox()
        try await sandbox.examplePlugin(in: "other")
        let folder = try await sandbox.examplePlugin(in: "bad") { $0["library"] = "../other/libexample.so" }
        #expect(try await rejection(sandbox, folder)
                == "\(folder)/manifest.json: library: library ../other/libexample.so resolves outside the plugin folder \(folder)")
    }

    @Test func absolutePathOutsideTheFolder() async throws {
        let sandbox = try Sandbox()
        let other = try await sandbox.examplePlugin(in: "other")
        let folder = try await sandbox.examplePlugin(in: "bad") { $0["library"] = other + "/libexample.so" }
        #expect(try await rejection(sandbox, folder)
                == "\(folder)/manifest.json: library: library \(other)/libexample.so resolves outside the plugin folder \(folder)")
    }

    @Test func symlinkPointingOutside() async throws {
        let sandbox = try Sandbox()
        let other = try await sandbox.examplePlugin(in: "other")
        let folder = try await sandbox.examplePlugin(in: "bad")
        try FileManager.default.removeItem(atPath: folder + "/libexample.so")
        try FileManager.default.createSymbolicLink(atPath: folder + "/libexample.so", withDestinationPath: other + "/libexample.so")
        #expect(try await rejection(sandbox, folder)
                == "\(folder)/manifest.json: library: library libexample.so resolves outside the plugin folder \(folder)")
    }

    @Test func symlinkInsideTheFolderIsFollowed() async throws {
        let sandbox = try Sandbox()
        let folder = try await sandbox.examplePlugin(in: "ok") { $0["library"] = "current.so" }
        try FileManager.default.createSymbolicLink(atPath: folder + "/current.so", withDestinationPath: "libexample.so")
        let plugin = try PluginCatalog.load([sandbox.candidate(folder)]).plugin(id: "example.echo")
        #expect(plugin.libraryPath == folder + "/libexample.so")
    }

    @Test func libraryThatIsADirectory() async throws {
        let sandbox = try Sandbox()
        let folder = try await sandbox.examplePlugin(in: "bad") { $0["library"] = "lib" }
        try sandbox.folder("bad/lib")
        #expect(try await rejection(sandbox, folder) == "\(folder)/manifest.json: library: \(folder)/lib is not a regular file")
    }

    @Test func sha256Mismatch() async throws {
        let sandbox = try Sandbox()
        let folder = try await sandbox.examplePlugin(in: "bad") { $0["sha256"] = String(repeating: "0", count: 64) }
        let actual = try await sha256(of: folder + "/libexample.so")
        #expect(try await rejection(sandbox, folder)
                == "\(folder)/manifest.json: sha256: sha256 mismatch: manifest declares \(String(repeating: "0", count: 64)), library is \(actual)")
    }

    @Test(arguments: [0o757, 0o775, 0o722])
    func libraryWritableByGroupOrOthers(mode: Int) async throws {
        let sandbox = try Sandbox()
        let folder = try await sandbox.examplePlugin(in: "bad")
        chmod(folder + "/libexample.so", mode_t(mode))
        #expect(try await rejection(sandbox, folder)
                == "\(folder)/manifest.json: library: \(folder)/libexample.so is writable by group or others (mode \(String(mode, radix: 8))); refusing to load it")
    }

    @Test func declaredSymbolAbsent() async throws {
        let sandbox = try Sandbox()
        let folder = try await sandbox.examplePlugin(in: "bad", defines: ["EXAMPLE_OMIT_RENDER"])
        #expect(try await rejection(sandbox, folder)
                == "\(folder)/manifest.json: example_render_alert: declared symbol not found: \(folder)/libexample.so: undefined symbol: example_render_alert")
    }

    @Test func selfDescriptionMismatch() async throws {
        let sandbox = try Sandbox()
        let wrongID = try await sandbox.examplePlugin(in: "id", defines: [#"EXAMPLE_ID="example.other""#])
        #expect(try await rejection(sandbox, wrongID)
                == "\(wrongID)/manifest.json: example_describe: self-description id 'example.other' does not match the manifest's 'example.echo'")
        let wrongVersion = try await sandbox.examplePlugin(in: "version", defines: [#"EXAMPLE_VERSION="0.2.0""#])
        #expect(try await rejection(sandbox, wrongVersion)
                == "\(wrongVersion)/manifest.json: example_describe: self-description version '0.2.0' does not match the manifest's '0.1.0'")
        let wrongABI = try await sandbox.examplePlugin(in: "abi", defines: ["EXAMPLE_ABI_MAJOR=2"])
        #expect(try await rejection(sandbox, wrongABI)
                == "\(wrongABI)/manifest.json: example_describe: self-description abi_major '2' does not match the manifest's '1'")
    }

    @Test func initReturningFailure() async throws {
        let sandbox = try Sandbox()
        let folder = try await sandbox.examplePlugin(in: "bad", defines: ["EXAMPLE_INIT_STATUS=SB_ERR_INTERNAL"])
        #expect(try await rejection(sandbox, folder) == "\(folder)/manifest.json: example_init: init returned SB_ERR_INTERNAL (3)")
    }

    @Test func duplicateIDRejectsTheLaterOne() async throws {
        let sandbox = try Sandbox()
        let first = try await sandbox.examplePlugin(in: "a")
        let second = try await sandbox.examplePlugin(in: "b")
        let catalog = PluginCatalog.load([sandbox.candidate(first), sandbox.candidate(second)])
        #expect(catalog.entries[0].status == "loaded")
        #expect(catalog.entries[1].error?.description
                == "\(second)/manifest.json: id: duplicate plugin id, already provided by \(first)/manifest.json")
        #expect(try catalog.plugin(id: "example.echo").libraryPath == first + "/libexample.so")
    }

    @Test func lookupOfRejectedAndUnknownPlugins() async throws {
        let sandbox = try Sandbox()
        let folder = try await sandbox.examplePlugin(in: "bad", defines: ["EXAMPLE_INIT_STATUS=SB_ERR_INTERNAL"])
        let catalog = PluginCatalog.load([sandbox.candidate(folder)])
        #expect(throws: PluginLookupError.notFound(id: "nope")) { try catalog.plugin(id: "nope") }
        #expect((try? catalog.plugin(id: "example.echo")) == nil)
        do {
            _ = try catalog.plugin(id: "example.echo")
        } catch {
            #expect(error.description == "plugin 'example.echo' was rejected: \(folder)/manifest.json: example_init: init returned SB_ERR_INTERNAL (3)")
        }
    }

    @Test func everyBadPluginAtOnceLeavesTheGoodOnesLoaded() async throws {
        let sandbox = try Sandbox()
        var candidates: [PluginCandidate] = []
        candidates.append(sandbox.candidate(try await sandbox.examplePlugin(in: "p1") { $0["sha256"] = String(repeating: "1", count: 64) }))
        candidates.append(sandbox.candidate(try await sandbox.examplePlugin(in: "p2", defines: ["EXAMPLE_OMIT_RENDER"])))
        candidates.append(sandbox.candidate(try await sandbox.examplePlugin(in: "p3", id: "example.three")))
        candidates.append(sandbox.candidate(try await sandbox.examplePlugin(in: "p4", defines: ["EXAMPLE_INIT_STATUS=1"])))
        candidates.append(sandbox.candidate(try await sandbox.examplePlugin(in: "p5") { $0["kind"] = "gadget" }))
        let catalog = PluginCatalog.load(candidates)
        #expect(catalog.entries.map(\.status) == ["rejected", "rejected", "loaded", "rejected", "rejected"])
        #expect(try catalog.plugin(id: "example.three").manifest.id == "example.three")
    }
}
