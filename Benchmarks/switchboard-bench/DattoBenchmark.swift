import AsyncHTTPClient
import Datto
import DattoEmulator
import Delivery
import Foundation
import NIOCore
import PluginHost
import Server
import SwitchboardStore

/// Datto inbound: a device sync from the emulated API into a durable store, against fetching the
/// same pages without reading or storing them; signed webhook alerts to durable tickets, against
/// the same server answering without processing. Both in one run.
enum DattoBenchmark {
    static func run(workspace: Workspace, devices: Int, alerts: Int, rounds: Int, report: inout Report) async throws {
        let catalog = PluginCatalog.load(PluginSearchPath(
            bundled: BundledPlugins(manifests: workspace.bundledManifests, libraries: workspace.products), dropIns: []).discover().candidates)
        var account = DattoAccountData.generated(sites: devices / 1000, devicesPerSite: 1000, seed: 42)
        account.rateLimit = (1_000_000, 60)   // Datto's own limit is for the client to keep (its limiter is measured in the tests)
        let datto = try await DattoEmulator.start(account: account)
        defer { Task { await datto.stop() } }
        var settings = DattoSettings()
        settings.connection = ["APIEndpoint": .string(datto.url), "APIKey": .string(account.apiKey), "APISecret": .string(account.apiSecret)]
        settings.webhookSecret = "bench-webhook-secret-0123456789"
        let file = workspace.root + "/datto.json"
        try settings.save(file: file)
        let connection = try DattoConnection(settings: settings, file: file, plugins: catalog.loaded)

        var fetchOnly: [Double] = [], first: [Double] = [], again: [Double] = []
        for round in 0..<rounds {
            fetchOnly.append(try await fetchPages(datto.url))
            let store = try SQLiteStore(path: workspace.root + "/datto-sync-\(round).sqlite")
            _ = try store.addTenant(id: "bench", name: "bench")
            // Datto allows 600 requests a minute; each round reads every page twice (and the sites).
            let client = DattoClient(connection: connection, transport: AsyncHTTPTransport(), limiter: RateLimiter(requests: 100_000, window: .seconds(60)))
            for site in try store.recordSites(try await client.sites(), at: Date()) {
                _ = try store.setSiteMapping(site.uid, tenant: "bench", audit: AuditEntry(event: "datto.site.mapped"))
            }
            let sync = DeviceSync(client: client, store: store, failures: FailureAlerts(settings: settings.failureAlerts, store: store, engine: nil, actor: "bench"),
                                  actor: "bench")
            for pass in 0..<2 {
                let start = ContinuousClock.now
                let result = try await sync.run()
                let seconds = (ContinuousClock.now - start).microseconds / 1_000_000
                guard result.run.created + result.run.unchanged == devices else { throw BenchError.missing("every device synced: \(result.run)") }
                if pass == 0 { first.append(seconds) } else { again.append(seconds) }
            }
        }
        let (baseline, created, unchanged) = (median(fetchOnly), median(first), median(again))
        report.row("fetch every page only (baseline: HTTP, no plugin, no store)", "\(format(baseline, 2)) s", "\(format(Double(devices) / baseline, 0)) devices/s")
        report.row("sync into an empty CMDB (\(devices) created + audited)", "\(format(created, 2)) s", "\(format(Double(devices) / created, 0)) devices/s",
                   "\(format(created / baseline, 1))x of fetch")
        report.row("sync again (nothing changed)", "\(format(unchanged, 2)) s", "\(format(Double(devices) / unchanged, 0)) devices/s",
                   "\(format(unchanged / baseline, 1))x of fetch")

        report.section("Signed Datto webhooks on loopback (median of \(rounds) rounds × \(alerts) alerts, 64 connections, rich bodies: no API read)")
        var bare: [Double] = [], durable: [Double] = []
        var latencies: [[Double]] = []
        for round in 0..<rounds {
            bare.append(try await post(alerts: alerts, round: round, to: BaselineReceiver(), secret: settings.webhookSecret ?? "").rate)
            let store = try SQLiteStore(path: workspace.root + "/datto-alerts-\(round).sqlite")
            _ = try store.addTenant(id: "bench", name: "bench")
            _ = try store.recordSites([ListedSite(uid: "site-bench", name: "Bench", devices: nil)], at: Date())
            _ = try store.setSiteMapping("site-bench", tenant: "bench", audit: AuditEntry(event: "datto.site.mapped"))
            let failures = FailureAlerts(settings: settings.failureAlerts, store: store, engine: nil, actor: "bench")
            let ingest = AlertIngest(store: store, client: nil, settings: settings, failures: failures,
                                     resolver: AutoResolver(store: store, settings: settings.autoResolve, engine: nil))
            let measured = try await post(alerts: alerts, round: round, to: ingest, secret: settings.webhookSecret ?? "")
            guard try store.dattoStatistics(since: .distantPast).ticketsCreated == alerts else { throw BenchError.missing("one ticket per alert") }
            durable.append(measured.rate)
            latencies.append(measured.latencies)
        }
        let (floor, tickets) = (median(bare), median(durable))
        let all = latencies.flatMap { $0 }.sorted()
        func percentile(_ p: Double) -> Double { all.isEmpty ? 0 : all[min(all.count - 1, Int(Double(all.count) * p))] }
        report.row("same server answering 202 without processing (baseline)", "\(format(floor, 0)) requests/s")
        report.row("alert -> durable ticket (group commit, synchronous=FULL)", "\(format(tickets, 0)) alerts/s", "\(format(tickets / floor, 2))x of baseline",
                   "p50 \(format(percentile(0.5) * 1000, 2)) ms", "p99 \(format(percentile(0.99) * 1000, 2)) ms")
    }

    /// Reads every devices page straight over HTTP (with a token), parsing nothing.
    static func fetchPages(_ base: String) async throws -> Double {
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { _ = http.shutdown() }
        var token = HTTPClientRequest(url: base + "/auth/oauth/token")
        token.method = .POST
        token.headers.add(name: "Authorization", value: "Basic " + Data("public-client:public".utf8).base64EncodedString())
        token.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        token.body = .bytes(ByteBuffer(string: "grant_type=password&username=key-42&password=secret-42"))
        let answer = String(buffer: try await http.execute(token, timeout: .seconds(30)).body.collect(upTo: 1 << 20))
        guard let bearer = (try JSONValue.parse(Data(answer.utf8)))["access_token"], case .string(let value) = bearer else {
            throw BenchError.missing("a token: \(answer)")
        }
        let start = ContinuousClock.now
        var next: String? = base + "/api/v2/account/devices?max=250&page=0"
        while let url = next {
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "Authorization", value: "Bearer \(value)")
            let body = try await http.execute(request, timeout: .seconds(30)).body.collect(upTo: 64 << 20)
            let text = String(buffer: body)
            // The link is the only thing read: `"nextPageUrl":"..."` or null.
            guard let range = text.range(of: #""nextPageUrl":""#) else { next = nil; continue }
            next = String(text[range.upperBound...].prefix { $0 != "\"" })
        }
        return (ContinuousClock.now - start).microseconds / 1_000_000
    }

    /// Posts `alerts` signed webhooks (distinct alerts) over 64 connections; alerts/s and each request's latency in seconds.
    static func post(alerts: Int, round: Int, to receiver: any WebhookReceiver, secret: String) async throws -> (rate: Double, latencies: [Double]) {
        let server = SwitchboardServer(configuration: ServerConfiguration(port: 0), receiver: receiver, secret: { secret },
                                       dashboard: { DashboardPage(title: "bench") })
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let serving = Task { try await server.run { continuation.yield($0) } }
        defer { serving.cancel() }
        var port = 0
        for await bound in ports { port = bound; break }
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        defer { _ = http.shutdown() }
        let url = "http://127.0.0.1:\(port)/v1/webhooks/datto"
        let start = ContinuousClock.now
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for worker in 0..<64 {
                group.addTask {
                    var times: [Double] = []
                    var index = worker
                    while index < alerts {
                        let body = #"{"alertUid":"bench-\#(round)-\#(index)","siteUid":"site-bench","priority":"High","alertType":"CPU","message":"CPU above 95%","deviceUid":"dev-\#(index % 500)"}"#
                        var request = HTTPClientRequest(url: url)
                        request.method = .POST
                        request.headers.add(name: "Content-Type", value: "application/json")
                        request.headers.add(name: "X-Switchboard-Signature",
                                            value: WebhookSignature.header(secret: secret, timestamp: Int64(Date().timeIntervalSince1970), body: Array(body.utf8)))
                        request.body = .bytes(ByteBuffer(string: body))
                        let sent = ContinuousClock.now
                        let response = try await http.execute(request, timeout: .seconds(60))
                        _ = try await response.body.collect(upTo: 1 << 16)
                        guard response.status.code == 201 || response.status.code == 202 else { throw BenchError.missing("201 or 202, got \(response.status.code)") }
                        times.append((ContinuousClock.now - sent).microseconds / 1_000_000)
                        index += 64
                    }
                    return times
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let seconds = (ContinuousClock.now - start).microseconds / 1_000_000
        return (Double(alerts) / seconds, latencies)
    }
}
