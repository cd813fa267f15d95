import Foundation
import Synchronization

/// The OAuth access tokens of platform targets, for everything that calls a platform's API
/// (delivery and actions alike): fetched through the plugin's `request_token`, kept per target
/// until a minute before they expire, and handed to the redactor the moment they are known.
///
/// ```swift
/// let tokens = TokenCache(transport: AsyncHTTPTransport(), redactor: redactor)
/// let token = try await tokens.token(for: target, adapter: adapter, timeout: .seconds(15))
/// let renewed = try await tokens.token(for: target, adapter: adapter, timeout: .seconds(15), fresh: true)   // after a 401
/// ```
public final class TokenCache: Sendable {
    private let transport: any HTTPTransport
    private let redactor: Redactor
    private let entries = Mutex<[String: (token: String, expires: Date)]>([:])

    public init(transport: any HTTPTransport, redactor: Redactor) {
        self.transport = transport
        self.redactor = redactor
    }

    /// The cached token of `target` while it has more than a minute left (unless `fresh`), else a
    /// new one through `adapter`'s `request_token`, sent with `timeout`.
    public func token(for target: DeliveryTarget, adapter: PlatformAdapter, timeout: Duration, fresh: Bool = false) async throws(TokenFailure) -> String {
        if !fresh, let cached = entries.withLock({ $0[target.name] }), cached.expires.timeIntervalSinceNow > 60 { return cached.token }
        let request: PlannedRequest
        do { request = try adapter.tokenRequest(target: target) } catch {
            throw TokenFailure(status: nil, retryable: false, reason: error.description)
        }
        let answer: HTTPAnswer
        do { answer = try await transport.send(request, timeout: timeout) } catch {
            throw TokenFailure(status: nil, retryable: true, reason: "token request: \(error.reason)")
        }
        let verdict: PlatformAdapter.Verdict
        do { verdict = try adapter.interpret(answer, kind: "token", target: target) } catch {
            throw TokenFailure(status: answer.status, retryable: false, reason: error.description)
        }
        switch verdict {
        case .token(let token, let lifetime):
            redactor.add(token)
            entries.withLock { $0[target.name] = (token, Date().addingTimeInterval(Double(lifetime))) }
            return token
        case .retry(let after, let error):
            throw TokenFailure(status: answer.status, retryable: true, retryAfterSeconds: after, reason: "token request: \(error)")
        case .delivered:
            throw TokenFailure(status: answer.status, retryable: false,
                               reason: DeliveryError.authentication("the token answer carries no access token").description)
        case .reauthenticate(let error), .rejected(let error):
            throw TokenFailure(status: answer.status, retryable: false, reason: DeliveryError.authentication(error).description)
        }
    }
}

/// Why no token could be had.
public struct TokenFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The token endpoint's HTTP status; nil when it never answered or no request could be rendered.
    public let status: Int?
    /// Whether asking again later may help (a timeout, a 5xx, throttling).
    public let retryable: Bool
    /// How long the platform asked to wait before asking again, when it said.
    public let retryAfterSeconds: Int?
    public let reason: String

    public init(status: Int?, retryable: Bool, retryAfterSeconds: Int? = nil, reason: String) {
        self.status = status
        self.retryable = retryable
        self.retryAfterSeconds = retryAfterSeconds
        self.reason = reason
    }

    public var description: String { reason }
}
