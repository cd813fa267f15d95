import Datto
import DattoEmulator
import Foundation
import PluginHost
import Synchronization
import SwitchboardStore
import TestSupport
import Testing

/// A stream of alert webhooks while the Datto plugin runs in a worker process that is killed again
/// and again: the server stays up, every post gets an answer, an alert refused for the moment (503)
/// is taken when Datto sends it again, and every alert becomes exactly one ticket.
@Suite struct WebhookFaultLoadTests {
    @Test func everyAlertBecomesExactlyOneTicketWhileThePluginsWorkerKeepsDying() async throws {
        var account = DattoAccountData.demo
        let raised = Date(timeIntervalSince1970: 1_795_000_000)
        let alerts = (0..<200).map { index in
            EmulatedAlert(uid: String(format: "load-%04d", index), priority: ["Critical", "High", "Moderate", "Low"][index % 4],
                          contextClass: "perf_resource_usage_ctx", context: ["type": "CPU"], deviceUid: account.devices[index % account.devices.count].uid,
                          diagnostics: "load alert \(index)", raised: raised)
        }
        account.alerts += alerts
        let crashes = Tally()
        let isolated = PluginCatalog.load(
            PluginSearchPath(bundled: BundledPlugins(manifests: Paths.manifests, libraries: Paths.products), dropIns: []).discover().candidates,
            isolation: .workers(only: ["switchboard.dattormm"], faultLimit: .max) { fault in
                if case .crashed = fault.kind { crashes.add() }
            })
        #expect(try isolated.plugin(id: "switchboard.dattormm").isolation == .process)
        let served = try await AlertWebhookTests.Served.start(account: account, plugins: isolated.loaded,
                                                              limiter: RateLimiter(requests: 100_000, window: .seconds(60)))

        // Kills the Datto plugin's worker every 100 ms while the stream runs.
        let manifest = Paths.manifests + "/switchboard.dattormm.json"
        let killed = Tally()
        let killer = Task {
            while !Task.isCancelled {
                for pid in pluginWorkers(serving: manifest, childrenOf: getpid()) where kill(pid, SIGKILL) == 0 { killed.add() }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        let refusals = Tally()
        let answers = try await withThrowingTaskGroup(of: [(Int, String)].self) { group in
            for lane in 0..<16 {
                group.addTask {
                    var answers: [(Int, String)] = []
                    for alert in alerts.indices where alert % 16 == lane {
                        let body = #"{"alertUid":"\#(alerts[alert].uid)"}"#
                        // The alert, then the same alert again (a duplicate, never a second ticket);
                        // each, as Datto does, sent again while it is refused for the moment (503).
                        for _ in 0..<2 {
                            var answer = try await served.post(body)
                            var tries = 1
                            while answer.status == 503, tries < 200 {
                                refusals.add()
                                try await Task.sleep(for: .milliseconds(10))
                                answer = try await served.post(body)
                                tries += 1
                            }
                            answers.append((answer.status, alerts[alert].uid))
                        }
                    }
                    return answers
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        killer.cancel()
        _ = await killer.value

        #expect(answers.count == alerts.count * 2, "every post got an answer")
        #expect(answers.filter { $0.0 == 201 }.count == alerts.count, "\(answers.filter { $0.0 != 201 && $0.0 != 200 })")
        #expect(answers.filter { $0.0 == 200 }.count == alerts.count, "\(answers.filter { $0.0 != 201 && $0.0 != 200 })")
        let tickets = try served.sandbox.store.tickets(tenants: nil, status: nil, limit: 10_000)
        #expect(tickets.count == alerts.count)
        let created = try served.sandbox.events("datto.ticket.created")
        #expect(created.count == alerts.count)
        let received = try served.sandbox.events("datto.alert.received").map(\.entry)
        #expect(received.filter { $0.outcome == "accepted" }.count == alerts.count)
        #expect(received.filter { $0.outcome == "duplicate" }.count == alerts.count)
        #expect(killed.count > 0, "the worker was never killed")
        #expect(try served.sandbox.store.verifyAuditChain().isIntact)
        try await served.stop()
        print("webhook fault load: \(killed.count) worker kills, \(crashes.count) worker deaths seen by the host, \(refusals.count) refusals (503) sent again")
    }
}

/// A count shared by concurrent tasks.
final class Tally: Sendable {
    private let value = Mutex(0)
    func add() { value.withLock { $0 += 1 } }
    var count: Int { value.withLock { $0 } }
}
