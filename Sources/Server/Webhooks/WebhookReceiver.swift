/// What the app does with an authenticated Datto webhook (e.g. turn the alert into a durable ticket).
///
/// ```swift
/// struct Tickets: WebhookReceiver {
///     func receiveDattoWebhook(body: [UInt8]) async -> WebhookAnswer { WebhookAnswer(status: 202, json: #"{"ticket":"T-1"}"#) }
/// }
/// ```
public protocol WebhookReceiver: Sendable {
    /// An authenticated webhook's raw body (at most the configured limit; not validated as JSON).
    /// The answer is sent as is. During a graceful shutdown, calls already made run to completion.
    func receiveDattoWebhook(body: [UInt8]) async -> WebhookAnswer
}

/// A receiver's answer: an HTTP status (200...599; anything else is answered as 500) and a JSON
/// body sent with `Content-Type: application/json`.
public struct WebhookAnswer: Sendable, Equatable {
    public var status: Int
    public var json: String

    public init(status: Int, json: String) {
        self.status = status
        self.json = json
    }
}

/// Answers every authenticated webhook with 202 `{"status":"accepted"}` and does nothing with it: the
/// benchmark's baseline, measuring the server (HTTP, authentication, body limit) without the app's work.
public struct BaselineReceiver: WebhookReceiver {
    public init() {}

    public func receiveDattoWebhook(body: [UInt8]) async -> WebhookAnswer {
        WebhookAnswer(status: 202, json: #"{"status":"accepted"}"#)
    }
}
