import Server
import Testing

/// Health, metrics, dashboard, and what unknown paths and methods get.
@Suite struct ServerRoutesTests {
    @Test func healthzAnswersOK() async throws {
        let server = try await RunningServer.start()
        let answer = try await server.send("GET", "/healthz?probe=1")
        #expect(answer.status == 200)
        #expect(answer.body == #"{"status":"ok"}"#)
        #expect(answer.headers["content-type"] == "application/json")
    }

    @Test func unknownPathsAre404AndOtherMethodsOnKnownPaths405() async throws {
        let server = try await RunningServer.start()
        for (method, path) in [("GET", "/nope"), ("POST", "/v1/webhooks/datto/extra"), ("GET", "/healthz/"), ("GET", "/v1/webhooks")] {
            let answer = try await server.send(method, path)
            #expect(answer.status == 404, "\(method) \(path)")
            #expect(answer.body == #"{"error":"not found"}"#)
        }
        for (method, path, allowed) in [("GET", "/v1/webhooks/datto", "POST"), ("PUT", "/v1/webhooks/datto", "POST"), ("POST", "/healthz", "GET"),
                                        ("DELETE", "/metrics", "GET"), ("POST", "/", "GET")] {
            let answer = try await server.send(method, path)
            #expect(answer.status == 405, "\(method) \(path)")
            #expect(answer.body == #"{"error":"method not allowed"}"#)
            #expect(answer.headers["allow"] == allowed)
        }
        #expect(server.rejections.isEmpty)
    }

    @Test func metricsExposeTheAppsFamiliesAndTheWebhookCounters() async throws {
        let families = [
            MetricFamily(name: "switchboard_tickets_open", help: "Open tickets.", type: .gauge, samples: [
                MetricSample(labels: ["tenant": "acme"], value: 1.5),
                MetricSample(labels: ["tenant": "a\"b\\c\nd"], value: 3),
            ]),
            MetricFamily(name: "switchboard_alerts_total", help: "Alerts received,\nby kind \\ severity.", type: .counter, samples: [
                MetricSample(labels: ["severity": "high", "kind": "disk"], value: 7),
            ]),
        ]
        let server = try await RunningServer.start(metrics: { families })
        #expect(try await server.post(body: "{}", headers: ["X-Switchboard-Token": RunningServer.secret]).status == 202)
        #expect(try await server.post(body: "{}", headers: [:]).status == 401)
        let answer = try await server.send("GET", "/metrics")
        #expect(answer.status == 200)
        #expect(answer.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        #expect(answer.body == #"""
            # HELP switchboard_alerts_total Alerts received,\nby kind \\ severity.
            # TYPE switchboard_alerts_total counter
            switchboard_alerts_total{kind="disk",severity="high"} 7
            # HELP switchboard_tickets_open Open tickets.
            # TYPE switchboard_tickets_open gauge
            switchboard_tickets_open{tenant="a\"b\\c\nd"} 3
            switchboard_tickets_open{tenant="acme"} 1.5
            # HELP switchboard_webhook_rejections_total Datto webhook requests refused, by reason.
            # TYPE switchboard_webhook_rejections_total counter
            switchboard_webhook_rejections_total{reason="body_too_large"} 0
            switchboard_webhook_rejections_total{reason="invalid_signature"} 0
            switchboard_webhook_rejections_total{reason="invalid_token"} 0
            switchboard_webhook_rejections_total{reason="malformed_signature"} 0
            switchboard_webhook_rejections_total{reason="missing_credentials"} 1
            switchboard_webhook_rejections_total{reason="replayed_signature"} 0
            switchboard_webhook_rejections_total{reason="secret_not_configured"} 0
            switchboard_webhook_rejections_total{reason="stale_timestamp"} 0
            # HELP switchboard_webhook_requests_total Datto webhook requests, by outcome of authentication.
            # TYPE switchboard_webhook_requests_total counter
            switchboard_webhook_requests_total{outcome="accepted"} 1
            switchboard_webhook_requests_total{outcome="rejected"} 1

            """#)
    }

    @Test func theDashboardEscapesEveryText() async throws {
        let page = DashboardPage(
            title: #"<Ops & "Co">"#, figures: [DashboardFigure(label: "Open <tickets>", value: "12 & 'more'")],
            tables: [DashboardTable(title: "Latest", headers: ["Device", "Alert"], rows: [["srv-01", "<script>alert(1)</script>"]])])
        let server = try await RunningServer.start(dashboard: { page })
        let answer = try await server.send("GET", "/")
        #expect(answer.status == 200)
        #expect(answer.headers["content-type"] == "text/html; charset=utf-8")
        #expect(answer.body.hasPrefix("<!DOCTYPE html>\n"))
        #expect(answer.body.contains(#"<meta http-equiv="refresh" content="30">"#))
        #expect(answer.body.contains("<title>&lt;Ops &amp; &quot;Co&quot;&gt;</title>"))
        #expect(answer.body.hasSuffix("""
            <body>
            <h1>&lt;Ops &amp; &quot;Co&quot;&gt;</h1>
            <dl>
            <div><dt>Open &lt;tickets&gt;</dt><dd>12 &amp; &#39;more&#39;</dd></div>
            </dl>
            <h2>Latest</h2>
            <table>
            <thead><tr><th>Device</th><th>Alert</th></tr></thead>
            <tbody>
            <tr><td>srv-01</td><td>&lt;script&gt;alert(1)&lt;/script&gt;</td></tr>
            </tbody>
            </table>
            </body>
            </html>

            """))
        #expect(!answer.body.contains("<script"))
        #expect(!answer.body.contains("http://") && !answer.body.contains("https://"))
    }
}
