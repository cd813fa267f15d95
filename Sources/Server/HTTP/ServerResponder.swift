import HTTPTypes
import Hummingbird

/// Routes requests by exact path, then method: unknown paths 404, known paths with another method
/// 405 (with `Allow`), both with a JSON `error` body.
struct ServerResponder: HTTPResponder {
    let webhooks: WebhookEndpoint
    let metrics: @Sendable () async -> [MetricFamily]
    let dashboard: @Sendable () async -> DashboardPage

    func respond(to request: Request, context: ServerRequestContext) async throws -> Response {
        switch request.uri.path {
        case "/v1/webhooks/datto":
            guard request.method == .post else { return methodNotAllowed(allowing: .post) }
            return try await webhooks.respond(to: request, context: context)
        case "/healthz":
            guard request.method == .get else { return methodNotAllowed(allowing: .get) }
            return .json(200, #"{"status":"ok"}"#)
        case "/metrics":
            guard request.method == .get else { return methodNotAllowed(allowing: .get) }
            let families = await metrics() + webhooks.tally.families
            return .text(200, contentType: MetricsExposition.contentType, MetricsExposition.render(families))
        case "/":
            guard request.method == .get else { return methodNotAllowed(allowing: .get) }
            return .text(200, contentType: DashboardHTML.contentType, DashboardHTML.render(await dashboard()))
        default:
            return .error(404, "not found")
        }
    }

    private func methodNotAllowed(allowing method: HTTPRequest.Method) -> Response {
        .error(405, "method not allowed", headers: [.allow: method.rawValue])
    }
}
