import Hummingbird
import Logging
import ServiceLifecycle

/// The HTTP face of `switchboard serve`:
///
/// - `POST /v1/webhooks/datto`: Datto RMM alert webhooks, authenticated with the shared secret (see
///   `WebhookAuthenticator`) and handed to the receiver, whose answer is sent as is. Refusals, all
///   `{"error":"<text>"}`: 503 no secret configured, 401 no credentials, 400 malformed signature
///   header, 401 invalid token, 401 stale timestamp, 413 body over the limit, 401 invalid signature,
///   409 replayed signature (the texts are `WebhookRejectionReason.message`).
/// - `GET /healthz`: 200 `{"status":"ok"}`.
/// - `GET /metrics`: the app's metric families plus the server's webhook counters, as Prometheus text.
/// - `GET /`: the app's dashboard page as HTML.
/// - Anything else: 404 `{"error":"not found"}`; another method on these paths: 405
///   `{"error":"method not allowed"}` with `Allow`.
///
/// ```swift
/// let server = SwitchboardServer(receiver: tickets, secret: { secrets.webhook }, dashboard: { page() })
/// let serving = Task { try await server.run { port in logger.info("listening on \(port)") } }
/// serving.cancel()   // on SIGTERM: graceful shutdown
/// ```
public final class SwitchboardServer: Sendable {
    public let configuration: ServerConfiguration
    private let responder: ServerResponder
    private let logger: Logger

    /// - Parameters:
    ///   - secret: the webhook secret, read for every request (so it can change while serving); nil
    ///     or empty when none is configured.
    ///   - metrics: the app's metric families, read on every scrape.
    ///   - dashboard: the app's dashboard page, read on every view.
    ///   - onRejection: told of every refused webhook before the refusal is sent; keep it short.
    public init(configuration: ServerConfiguration = ServerConfiguration(), receiver: any WebhookReceiver,
                secret: @escaping @Sendable () -> String?, metrics: @escaping @Sendable () async -> [MetricFamily] = { [] },
                dashboard: @escaping @Sendable () async -> DashboardPage,
                onRejection: @escaping @Sendable (WebhookRejection) async -> Void = { _ in },
                logger: Logger = Logger(label: "switchboard.server")) {
        self.configuration = configuration
        self.logger = logger
        let webhooks = WebhookEndpoint(
            receiver: receiver, authenticator: WebhookAuthenticator(windowSeconds: configuration.signatureWindowSeconds),
            secret: secret, bodyLimit: configuration.bodyLimit, tally: WebhookTally(), onRejection: onRejection, logger: logger)
        responder = ServerResponder(webhooks: webhooks, metrics: metrics, dashboard: dashboard)
    }

    /// Serves until the calling task is cancelled, then shuts down gracefully and returns: the listener
    /// closes at once (new connections are refused), idle connections close, and requests in flight run
    /// to completion (their receiver calls finish and their answers are sent) for up to
    /// `configuration.shutdownGracePeriod`, after which they are cancelled (their connections close
    /// without an answer) and `run` returns all the same. Signals are the app's business: cancel this
    /// task on SIGTERM.
    ///
    /// - Parameter onRunning: called once, with the bound port, when the server listens.
    /// - Throws: when the address cannot be bound.
    public func run(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let port = configuration.port
        let application = Application(
            responder: responder, configuration: ApplicationConfiguration(address: .hostname(configuration.bind, port: port)),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) }, logger: logger)
        var services = ServiceGroupConfiguration(services: [application], logger: logger)
        services.maximumGracefulShutdownDuration = configuration.shutdownGracePeriod
        let group = ServiceGroup(configuration: services)
        // Unstructured, so that cancelling the caller does not cancel the requests being served but
        // starts a graceful shutdown instead.
        let serving = Task { try await group.run() }
        try await withTaskCancellationHandler {
            try await serving.value
        } onCancel: {
            Task { await group.triggerGracefulShutdown() }
        }
    }
}
