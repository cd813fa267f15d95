import Access
import Actions
import Foundation
import PluginHost
import SwitchboardStore

/// Routed actions per second end to end: permission check, ticket and device lookups, the
/// Reboot plugin's plan through libffi, the step, and the `requested` and `executed` audit
/// entries plus the ticket note, committed (group commit) before each action returns. The step
/// runs in process and returns at once, so the figure is the router's own cost. Measured with
/// `synchronous=FULL` against the same run with fsync off.
enum ActionBenchmark {
    /// Runs Datto steps instantly: the benchmark measures routing, not a platform.
    struct InstantRunner: StepRunner {
        let platform = "datto"
        func run(_ step: PlanStep, correlationID: String) async throws(ActionFailure) -> StepResult {
            StepResult(summary: "done")
        }
    }

    struct Figures {
        var rate: Double
        var p50: Double
        var p99: Double
    }

    static func run(workspace: Workspace, actions count: Int, devices: Int, concurrency: Int, rounds: Int, report: inout Report) async throws {
        let catalog = PluginCatalog.load(PluginSearchPath(
            bundled: BundledPlugins(manifests: workspace.bundledManifests, libraries: workspace.products), dropIns: []).discover().candidates)
        var durable: [Figures] = [], volatile: [Figures] = []
        for round in 0..<rounds {
            for isDurable in [true, false] {
                let store = try SQLiteStore(path: workspace.root + "/actions-\(round)-\(isDurable).sqlite", durable: isDurable)
                _ = try store.addTenant(id: "acme", name: "Acme")
                try store.addPrincipal(Principal(name: "alice", kind: .technician))
                _ = try store.addRule(StoredAccessRule(principal: "alice", tenant: "acme", effect: .grant, subject: "technician"))
                for index in 0..<devices {
                    try store.saveDevice(Device(id: "datto:d\(index)", tenant: "acme", platform: "datto", externalID: "d\(index)", name: "PC \(index)"), audit: [])
                    _ = try store.createTicket(NewTicket(tenant: "acme", title: "ticket \(index)", device: "datto:d\(index)"), audit: [])
                }
                let router = ActionRouter(store: store, access: AccessControl(store: store, policyFile: nil, permissions: []),
                                          plugins: catalog.loaded, runners: [InstantRunner()])
                let start = ContinuousClock.now
                let latencies = await withTaskGroup(of: (ActionResult.Outcome, Double).self) { group in
                    var issued = 0
                    func add() {
                        let ticket = Int64(issued % devices + 1)
                        issued += 1
                        group.addTask {
                            let result = await router.run(ActionRequest(action: "reboot", ticket: ticket, principal: "alice"))
                            return (result.outcome, result.durationMilliseconds)
                        }
                    }
                    for _ in 0..<concurrency { add() }
                    var latencies: [Double] = []
                    while let (outcome, milliseconds) = await group.next() {
                        if outcome == .executed { latencies.append(milliseconds) }
                        if issued < count { add() }
                    }
                    return latencies
                }
                let elapsed = ContinuousClock.now - start
                guard latencies.count == count else { throw BenchError.missing("every action executed (\(latencies.count) of \(count))") }
                let sorted = latencies.sorted()
                let figures = Figures(rate: Double(count) / (elapsed.microseconds / 1_000_000), p50: sorted[sorted.count / 2],
                                      p99: sorted[min(sorted.count - 1, sorted.count * 99 / 100)])
                if isDurable { durable.append(figures) } else { volatile.append(figures) }
                guard try store.verifyAuditChain().isIntact else { throw BenchError.missing("an intact audit chain") }
            }
        }
        let baseline = median(volatile.map(\.rate))
        for (label, samples) in [("fsync off (synchronous=OFF, baseline)", volatile), ("durable (synchronous=FULL, group commit)", durable)] {
            let rate = median(samples.map(\.rate))
            report.row(label, "\(format(rate, 0)) actions/s", "p50 \(format(median(samples.map(\.p50)), 2)) ms",
                       "p99 \(format(median(samples.map(\.p99)), 2)) ms", "\(format(rate / baseline, 2))x of fsync off")
        }
    }
}
