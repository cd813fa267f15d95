/// Why a webhook request was refused. The raw values are stable: they label the
/// `switchboard_webhook_rejections_total` metric and suit an audit entry's detail.
///
/// ```swift
/// do { try authenticator.verify(body, pending) } catch { print(error.rawValue, error.status) }
/// ```
public enum WebhookRejectionReason: String, Error, Sendable, CaseIterable {
    /// No webhook secret is configured, so nothing can be authenticated: 503.
    case secretNotConfigured = "secret_not_configured"
    /// Neither `X-Switchboard-Token` nor `X-Switchboard-Signature` was sent: 401.
    case missingCredentials = "missing_credentials"
    /// `X-Switchboard-Signature` is not `t=<unix seconds>,v1=<64 hex digits>[,v1=...]`: 400.
    case malformedSignature = "malformed_signature"
    /// `X-Switchboard-Token` is not the secret: 401.
    case invalidToken = "invalid_token"
    /// The signature's timestamp is further from now than the window allows: 401.
    case staleTimestamp = "stale_timestamp"
    /// The body is larger than the configured limit: 413.
    case bodyTooLarge = "body_too_large"
    /// No `v1` entry is the HMAC of the timestamp and body: 401.
    case invalidSignature = "invalid_signature"
    /// This timestamp and signature were already accepted within the window: 409.
    case replayedSignature = "replayed_signature"

    /// The HTTP status the server answers with.
    public var status: Int {
        switch self {
        case .secretNotConfigured: 503
        case .missingCredentials, .invalidToken, .staleTimestamp, .invalidSignature: 401
        case .malformedSignature: 400
        case .bodyTooLarge: 413
        case .replayedSignature: 409
        }
    }

    /// The text of the answer's `{"error": ...}` body; the numbers come from the configuration.
    public func message(signatureWindowSeconds: Int64, bodyLimit: Int) -> String {
        switch self {
        case .secretNotConfigured: "webhook secret not configured: run switchboard datto webhook-secret"
        case .missingCredentials: "missing credentials: send X-Switchboard-Token or X-Switchboard-Signature"
        case .malformedSignature: "malformed X-Switchboard-Signature: expected t=<unix seconds>,v1=<hex HMAC-SHA256>"
        case .invalidToken: "invalid token"
        case .staleTimestamp: "stale timestamp: outside the \(signatureWindowSeconds)-second window"
        case .bodyTooLarge: "body exceeds \(bodyLimit) bytes"
        case .invalidSignature: "invalid signature"
        case .replayedSignature: "replayed signature"
        }
    }
}

/// A refused webhook request, as reported to the app's rejection callback (for an audit entry such
/// as `datto.webhook.rejected`): the reason, what the client was told, and who sent it.
public struct WebhookRejection: Sendable, Equatable {
    public let reason: WebhookRejectionReason
    /// The status and `error` text the client received.
    public let status: Int
    public let message: String
    /// The peer's address as `ip:port`, when the connection still knows it.
    public let remoteAddress: String?

    public init(reason: WebhookRejectionReason, status: Int, message: String, remoteAddress: String?) {
        self.reason = reason
        self.status = status
        self.message = message
        self.remoteAddress = remoteAddress
    }
}
