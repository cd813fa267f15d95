@testable import Delivery
import Foundation
import PluginHost
import Synchronization
import TestSupport
import Testing

/// A platform plugin is used only for targets of the platform its manifest declares in
/// `capabilities.platforms`: any other target is refused before the plugin sees its settings,
/// and nothing is sent.
@Suite struct PlatformAdapterCapabilityTests {
    /// Counts what would have been sent, and answers nothing.
    final class CountingTransport: HTTPTransport {
        let sent = Mutex(0)
        func send(_ request: PlannedRequest, timeout: Duration) async throws(TransportError) -> HTTPAnswer {
            sent.withLock { $0 += 1 }
            throw TransportError(reason: "not sending in this test")
        }
    }

    static let refusal = "switchboard.connectwise: capabilities.platforms: target 'hook' is on platform 'webhook', which is not declared (declares connectwise)"

    @Test func aTargetOfAnotherPlatformIsRefused() throws {
        let sandbox = try DeliverySandbox()
        let configuration = try sandbox.configuration(#"{"targets": [{"Name": "hook", "Platform": "webhook", "APIEndpoint": "https://example.com/h"}]}"#)
        let target = try #require(configuration.targets.first)
        let adapter = PlatformAdapter(plugin: try Paths.catalog.plugin(id: "switchboard.connectwise"))
        let input = JSONValue.object(["alert": .object(["module": .string("Disk"), "severity": .string("Error"), "message": .string("full")]),
                                      "target": .object(target.settings)])
        #expect(throws: DeliveryError.undeclaredPlatform(plugin: "switchboard.connectwise", target: "hook", platform: "webhook",
                                                         declared: ["connectwise"])) {
            try adapter.call(.renderAlert, input, for: target)
        }
        #expect(DeliveryError.undeclaredPlatform(plugin: "switchboard.connectwise", target: "hook", platform: "webhook",
                                                 declared: ["connectwise"]).description == Self.refusal)
        // The plugin of the target's own platform is used.
        let webhook = PlatformAdapter(plugin: try Paths.catalog.plugin(id: "switchboard.webhook"))
        #expect(try webhook.call(.renderAlert, input, for: target)["method"] == .string("POST"))
    }

    @Test func anExchangeWithATargetOfAnotherPlatformSendsNothing() async throws {
        let sandbox = try DeliverySandbox()
        let configuration = try sandbox.configuration(#"{"targets": [{"Name": "hook", "Platform": "webhook", "APIEndpoint": "https://example.com/h"}]}"#)
        let target = try #require(configuration.targets.first)
        let transport = CountingTransport()
        let exchange = PlatformExchange(target: target, plugin: try Paths.catalog.plugin(id: "switchboard.connectwise"), transport: transport)
        do {
            _ = try await exchange.send(render: .renderAlert, parse: .parseResponse,
                                        input: ["alert": .object(["module": .string("Disk"), "severity": .string("Error"), "message": .string("full")])])
            Issue.record("the exchange was not refused")
        } catch {
            #expect(error.reason == Self.refusal)
            #expect(error.kind == .platform)
        }
        #expect(transport.sent.withLock { $0 } == 0)
    }
}
