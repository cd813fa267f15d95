import Actions
import Foundation
import PluginHost
import Synchronization
import SwitchboardStore
import TestSupport
import Testing

/// Many concurrent actions through an action plugin in a worker process that crashes on some
/// requests and hangs on others: the host stays up, every request gets an answer, every action
/// that ran has its audit entries, and the audit trail verifies.
@Suite struct ActionFaultLoadTests {
    @Test func concurrentActionsThroughAPluginThatCrashesAndHangs() async throws {
        let fixture = try RouterFixture()
        var tickets: [Int64] = []
        for index in 0..<32 {
            let device = Device(id: "datto:load-\(index)", tenant: "acme", platform: "datto", externalID: "load-\(index)", name: "LOAD-\(index)")
            try fixture.store.saveDevice(device, audit: [])
            tickets.append(try fixture.store.createTicket(NewTicket(tenant: "acme", title: "load \(index)", device: device.id), audit: []).id)
        }
        let folder = try await fixture.folder.faultyPlugin(in: "plugins/faulty", id: "example.faulty-action", action: "faulty-reboot", timeoutMs: 250)
        let crashes = Mutex(0), hangs = Mutex(0)
        let catalog = PluginCatalog.load([fixture.folder.candidate(folder)], isolation: .workers(faultLimit: .max) { fault in
            if case .crashed = fault.kind { crashes.withLock { $0 += 1 } }
            if case .timedOut = fault.kind { hangs.withLock { $0 += 1 } }
        })
        let plugin = try catalog.plugin(id: "example.faulty-action")
        #expect(plugin.isolation == .process)
        let router = ActionRouter(store: fixture.store, access: fixture.access, plugins: Paths.catalog.loaded + catalog.loaded, runners: [fixture.datto])

        let count = 1_500
        func note(_ index: Int) -> String { index % 300 == 150 ? "hang" : index % 50 == 7 ? "segfault" : "fine-\(index)" }
        let results = await withTaskGroup(of: (Int, ActionResult).self) { group in
            var results: [Int: ActionResult] = [:]
            var next = 0
            func add() {
                let index = next
                next += 1
                let request = ActionRequest(action: "faulty-reboot", ticket: tickets[index % tickets.count], principal: "alice",
                                            parameters: .text(["note": note(index)]))
                group.addTask { (index, await router.run(request)) }
            }
            while next < min(64, count) { add() }
            for await (index, result) in group {
                results[index] = result
                if next < count { add() }
            }
            return results
        }

        #expect(results.count == count, "every request got an answer")
        let expectedCrashes = (0..<count).filter { note($0) == "segfault" }.count
        let expectedHangs = (0..<count).filter { note($0) == "hang" }.count
        for (index, result) in results {
            switch note(index) {
            case "segfault":
                #expect(result.outcome == .failed)
                #expect(result.error == "example.faulty-action@1.0.0: example.faulty-action: plan_action crashed the plugin's worker process (SIGSEGV); the worker will be restarted")
            case "hang":
                #expect(result.outcome == .failed)
                #expect(result.error == "example.faulty-action@1.0.0: example.faulty-action: plan_action did not answer within 250 ms; the worker was killed and will be restarted")
            default:
                #expect(result.outcome == .executed, "\(index): \(result.error ?? "")")
            }
        }
        #expect(crashes.withLock { $0 } == expectedCrashes)
        #expect(hangs.withLock { $0 } == expectedHangs)
        #expect(fixture.datto.steps.withLock { $0.count } == count - expectedCrashes - expectedHangs)
        #expect(fixture.datto.overlaps.withLock { $0 } == 0)

        // Each action: requested first, then exactly one of executed or failed, under its correlation id.
        let entries = try fixture.store.auditEntries(AuditFilter(events: ["datto.action.*"]), limit: nil).map(\.entry)
        var events: [String: [String]] = [:]
        for entry in entries { events[entry.correlationID ?? "", default: []].append(entry.event) }
        for result in results.values {
            let expected = result.outcome == .executed ? [ActionEvent.requested, ActionEvent.executed] : [ActionEvent.requested, ActionEvent.failed]
            #expect(events[result.correlationID] == expected, "\(result.correlationID): \(events[result.correlationID] ?? [])")
        }
        #expect(try fixture.store.verifyAuditChain().isIntact)
    }
}
