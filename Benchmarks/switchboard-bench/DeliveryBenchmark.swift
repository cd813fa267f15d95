import AsyncHTTPClient
import Delivery
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PluginHost
import SwitchboardStore

/// Alerts per second through the durable outbox to a loopback receiver, against sending the same
/// requests directly (no outbox, no plugin) with the same concurrency, in one run.
enum DeliveryBenchmark {
    struct Figures {
        var direct: Double = 0
        var outboxCommitPerAlert: Double = 0
        var outboxBatched: Double = 0
    }

    static func run(workspace: Workspace, alerts count: Int, rounds: Int, report: inout Report) async throws {
        let (port, server) = try await receiver()
        defer { server.cancel() }
        let catalog = PluginCatalog.load(PluginSearchPath(
            bundled: BundledPlugins(manifests: workspace.bundledManifests, libraries: workspace.products), dropIns: []).discover().candidates)
        let configurationFile = workspace.root + "/delivery.json"
        try Data(#"{"targets": [{"Name": "hook", "Enabled": true, "APIEndpoint": "http://127.0.0.1:\#(port)/hook", "MinimumSeverity": "Info"}]}"#.utf8)
            .write(to: URL(fileURLWithPath: configurationFile))
        let configuration = try DeliveryConfiguration.load(ConfigurationSources(userFile: configurationFile, policyFile: nil, environment: [:]),
                                                           platforms: catalog.loaded.reduce(into: [:]) { $0[$1.manifest.platform ?? ""] = $1.manifest })
        var samples: [Figures] = []
        for round in 0..<rounds {
            var figures = Figures()
            figures.direct = try await direct(port: port, count: count)
            for batched in [false, true] {
                let store = try SQLiteStore(path: workspace.root + "/bench-\(round)-\(batched).sqlite")
                var logger = Logger(label: "bench")
                logger.logLevel = .critical
                let engine = DeliveryEngine(configuration: configuration, plugins: catalog.loaded, store: store, logger: logger)
                let alerts = (0..<count).map { AlertEvent(severity: .warning, module: "Bench", message: "alert \($0)") }
                let start = ContinuousClock.now
                let ids = batched ? try engine.enqueue(alerts: alerts).map(\.id) : try alerts.flatMap { try engine.enqueue(alert: $0).map(\.id) }
                let final = try await engine.deliver(among: ids, patience: .seconds(60))
                let elapsed = ContinuousClock.now - start
                guard final.allSatisfy({ $0.status == .delivered }) else { throw BenchError.missing("every alert delivered") }
                let rate = Double(count) / (elapsed.microseconds / 1_000_000)
                if batched { figures.outboxBatched = rate } else { figures.outboxCommitPerAlert = rate }
            }
            samples.append(figures)
        }
        let direct = median(samples.map(\.direct))
        let single = median(samples.map(\.outboxCommitPerAlert))
        let batched = median(samples.map(\.outboxBatched))
        report.row("direct POST, no outbox (baseline)", "\(format(direct, 0)) alerts/s")
        report.row("durable outbox, one commit per alert (as `alert send`)", "\(format(single, 0)) alerts/s", "\(format(single / direct, 2))x of direct")
        report.row("durable outbox, alerts enqueued in one commit", "\(format(batched, 0)) alerts/s", "\(format(batched / direct, 2))x of direct")
    }

    /// The same request the Webhook plugin renders, sent straight with 32 in flight, like the engine.
    static func direct(port: Int, count: Int) async throws -> Double {
        let body = #"{"data":{},"domain":"","endpoint":"bench","message":"alert","module":"Bench","severity":"Warning","source":"Switchboard","timestamp":"2026-11-23T00:00:00Z"}"#
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for slice in 0..<32 {
                group.addTask {
                    for _ in stride(from: slice, to: count, by: 32) {
                        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/hook")
                        request.method = .POST
                        request.headers.add(name: "Content-Type", value: "application/json")
                        request.body = .bytes(ByteBuffer(string: body))
                        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
                        _ = try await response.body.collect(upTo: 1 << 16)
                    }
                }
            }
            try await group.waitForAll()
        }
        return Double(count) / ((ContinuousClock.now - start).microseconds / 1_000_000)
    }

    /// A receiver on loopback that answers every request `200 ok`, like a webhook endpoint.
    static func receiver() async throws -> (Int, Task<Void, any Error>) {
        let router = Router()
        router.post("hook") { _, _ in "ok" }
        var logger = Logger(label: "bench-receiver")
        logger.logLevel = .critical
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
        let task = Task { try await app.run() }
        var port = 0
        for await value in ports { port = value; break }
        return (port, task)
    }
}
