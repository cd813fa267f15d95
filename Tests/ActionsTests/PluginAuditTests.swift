import Actions
import Foundation
import PluginHost
import SwitchboardStore
import TestSupport
import Testing

/// Plugin loading leaves audit entries: once per plugin version and library, and for rejections.
@Suite struct PluginAuditTests {
    @Test func loadingIsRecordedOnceAndRejectionsWithTheirReason() throws {
        let folder = try TemporaryFolder()
        let store = try SQLiteStore(path: folder.root + "/switchboard.sqlite")
        let first = try PluginAudit.record(Paths.catalog, in: store, actor: "operator:test")
        #expect(first.count == Paths.catalog.loaded.count)
        let reboot = try #require(first.first { $0.subject == "plugin:switchboard.reboot" })
        #expect(reboot.event == PluginAudit.loaded)
        #expect(reboot.plugin == "switchboard.reboot@1.0.0")
        #expect(reboot.pluginSHA256 == (try Paths.catalog.plugin(id: "switchboard.reboot")).sha256)
        #expect(try PluginAudit.record(Paths.catalog, in: store, actor: "operator:test").isEmpty)

        let dropIn = try folder.folder("plugins/broken")
        try folder.write(#"{"id": "broken.one", "name": "Broken"}"#, to: "plugins/broken/manifest.json")
        let catalog = PluginCatalog.load(PluginSearchPath(bundled: nil, dropIns: [(folder.root + "/plugins", .pluginPath)]).discover().candidates)
        let rejected = try PluginAudit.record(catalog, in: store, actor: "operator:test")
        #expect(rejected.map(\.event) == [PluginAudit.rejected])
        #expect(rejected.first?.subject == "manifest:\(dropIn)/manifest.json")
        #expect(rejected.first?.error?.contains("version") == true, "\(rejected.first?.error ?? "")")
        #expect(try PluginAudit.record(catalog, in: store, actor: "operator:test").isEmpty)
        #expect(try store.verifyAuditChain().isIntact)
    }
}
