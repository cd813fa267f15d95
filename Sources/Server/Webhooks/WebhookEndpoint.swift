import HTTPTypes
import Hummingbird
import Logging

extension HTTPField.Name {
    // swift-http-types offers only a failable initializer; these literals are valid field names.
    static let switchboardToken = HTTPField.Name("X-Switchboard-Token")!
    static let switchboardSignature = HTTPField.Name("X-Switchboard-Signature")!
}

/// `POST /v1/webhooks/datto`: authenticates, enforces the body limit, hands the body to the receiver
/// and sends its answer; refusals are counted, reported, and answered `{"error": ...}`.
struct WebhookEndpoint: Sendable {
    let receiver: any WebhookReceiver
    let authenticator: WebhookAuthenticator
    let secret: @Sendable () -> String?
    let bodyLimit: Int
    let tally: WebhookTally
    let onRejection: @Sendable (WebhookRejection) async -> Void
    let logger: Logger

    func respond(to request: Request, context: ServerRequestContext) async throws -> Response {
        switch try await authenticatedBody(of: request) {
        case .success(let body):
            tally.accept()
            let answer = await receiver.receiveDattoWebhook(body: body)
            guard (200...599).contains(answer.status) else {
                logger.error("webhook receiver answered with status \(answer.status); sent 500")
                return .error(500, "receiver answered with an invalid status")
            }
            return .json(answer.status, answer.json)
        case .failure(let reason):
            tally.reject(reason)
            let rejection = WebhookRejection(
                reason: reason, status: reason.status,
                message: reason.message(signatureWindowSeconds: authenticator.windowSeconds, bodyLimit: bodyLimit),
                remoteAddress: context.remoteAddress)
            await onRejection(rejection)
            return .error(rejection.status, rejection.message)
        }
    }

    /// The body once authenticated, or why not. Headers are checked before the body is read; throws
    /// only when the connection fails while the body is being read.
    private func authenticatedBody(of request: Request) async throws -> Result<[UInt8], WebhookRejectionReason> {
        let pending: WebhookAuthenticator.Pending
        do {
            pending = try authenticator.check(secret: secret(), token: request.headers[.switchboardToken],
                                              signature: request.headers[.switchboardSignature])
        } catch {
            return .failure(error)
        }
        guard let body = try await boundedBody(of: request) else { return .failure(.bodyTooLarge) }
        do {
            try authenticator.verify(body, pending)
        } catch {
            return .failure(error)
        }
        return .success(body)
    }

    /// The body, or nil when it is larger than the limit: known from `Content-Length` before reading,
    /// or found while reading a chunked body, which is then not read further into memory (Hummingbird
    /// reads and discards the rest before the connection's next request).
    private func boundedBody(of request: Request) async throws -> [UInt8]? {
        let declared = request.headers[.contentLength].flatMap { Int($0) }
        if let declared, declared > bodyLimit { return nil }
        var body: [UInt8] = []
        body.reserveCapacity(declared ?? 1024)
        for try await part in request.body {
            guard body.count + part.readableBytes <= bodyLimit else { return nil }
            body.append(contentsOf: part.readableBytesView)
        }
        return body
    }
}
