import Foundation
import PluginHost

/// One request to a platform and its answer, through the platform's plugin: the plugin renders the
/// request (a render role) and reads the answer (a parse role); the exchange adds the target's
/// token (renewed once on 401), sends through the transport, and retries 5xx, throttling and lost
/// answers with the delivery policy's backoff or the platform's Retry-After. Actions (quick jobs)
/// and inbound reads (Datto sites, devices, alerts) go through it.
///
/// ```swift
/// let exchange = PlatformExchange(target: target, plugin: plugin, transport: AsyncHTTPTransport())
/// let page = try await exchange.send(render: .renderInbound, parse: .parseInbound, input: ["resource": "devices"])
/// ```
public struct PlatformExchange: Sendable {
    public let target: DeliveryTarget
    public let adapter: PlatformAdapter
    public let redactor: Redactor
    let policy: DeliveryPolicy
    let transport: any HTTPTransport
    let tokens: TokenCache
    /// Attempts at one request before a retryable failure (5xx, throttling, no answer) is final.
    public var attempts = 4
    /// The longest wait a Retry-After is honoured with.
    public var longestRetryAfter = 60.0
    /// Awaited before every request is sent, the token request included (a rate limiter waits there).
    public var pace: (@Sendable () async -> Void)?

    /// Why an exchange failed: the platform's words (redacted), the HTTP status when there was one.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public enum Kind: Sendable, Equatable {
            /// The platform refused, or answered what the plugin could not read, or gave up.
            case platform
            /// The credentials were refused (also after renewing the token once).
            case authentication
            /// The task was cancelled while waiting.
            case cancelled
        }

        public let kind: Kind
        public let status: Int?
        public let reason: String

        public var description: String { (status.map { "HTTP \($0): " } ?? "") + reason }
    }

    public init(target: DeliveryTarget, plugin: LoadedPlugin, policy: DeliveryPolicy = DeliveryPolicy(), transport: any HTTPTransport,
                tokens: TokenCache? = nil) {
        self.target = target
        adapter = PlatformAdapter(plugin: plugin)
        self.policy = policy
        self.transport = transport
        redactor = Redactor(target.secrets)
        self.tokens = tokens ?? TokenCache(transport: transport, redactor: redactor)
    }

    /// Sends one request and returns what the parse role read from a successful answer.
    /// - Parameters:
    ///   - input: the render role's input; `target` and `token` are added.
    ///   - reading: members added to the parse role's input (`status`, `headers`, `body`, `target`).
    ///   - notResent: for a failure with this status (nil: no answer), why the request must not be
    ///     sent again (it may have taken effect), or nil when it may.
    public func send(render: EntryPointRole, parse: EntryPointRole, input: [String: JSONValue], reading: [String: JSONValue] = [:],
                     notResent: @Sendable (Int?) -> String? = { _ in nil }) async throws(Failure) -> JSONValue {
        let timeout = Duration.seconds(policy.timeoutSeconds)
        var token: String?
        var renew = false, renewed = false
        var attempt = 0
        while true {
            attempt += 1
            if adapter.needsToken {
                await pace?()
                do { token = try await tokens.token(for: target, adapter: adapter, timeout: timeout, fresh: renew) } catch {
                    guard error.retryable else {
                        throw failure(error.status == 401 || error.status == 400 ? .authentication : .platform, error.status, error.reason)
                    }
                    try await backOff(after: attempt, wait: error.retryAfterSeconds, status: error.status, error: error.reason)
                    continue
                }
                renew = false
            }
            var rendering = input
            rendering["target"] = .object(target.settings)
            rendering["token"] = token.map(JSONValue.string)
            let request: PlannedRequest
            do { request = try adapter.request(adapter.call(render, .object(rendering), for: target), target: target) } catch {
                throw failure(.platform, nil, error.description)
            }
            await pace?()
            let answer: HTTPAnswer
            do { answer = try await transport.send(request, timeout: timeout) } catch {
                if let reason = notResent(nil) { throw failure(.platform, nil, "\(error.reason); \(reason)") }
                try await backOff(after: attempt, wait: nil, status: nil, error: error.reason)
                continue
            }
            let parseInput = PlatformAdapter.answerInput(answer, target: target).merging(reading) { _, extra in extra }
            let result: JSONValue, verdict: PlatformAdapter.Verdict
            do {
                result = try adapter.call(parse, .object(parseInput), for: target)
                verdict = try adapter.verdict(result, role: parse, status: answer.status)
            } catch {
                throw failure(.platform, answer.status, error.description)
            }
            switch verdict {
            case .delivered, .token:
                return result
            case .rejected(let error):
                throw failure(.platform, answer.status, error)
            case .reauthenticate(let error):
                // A cached token may have expired early: renew it once, then give up.
                guard adapter.needsToken, !renewed else {
                    throw failure(.authentication, answer.status, DeliveryError.authentication(error).description)
                }
                renew = true
                renewed = true
            case .retry(let after, let error):
                if let reason = notResent(answer.status) { throw failure(.platform, answer.status, "\(error); \(reason)") }
                try await backOff(after: attempt, wait: after, status: answer.status, error: error)
            }
        }
    }

    /// Waits before the next attempt, or gives up after the last one.
    private func backOff(after attempt: Int, wait: Int?, status: Int?, error: String) async throws(Failure) {
        guard attempt < attempts else { throw failure(.platform, status, "gave up after \(attempt) attempts: \(error)") }
        let seconds = wait.map { min(Double($0), longestRetryAfter) } ?? policy.backoff(afterAttempt: attempt)
        do { try await Task.sleep(for: .seconds(seconds)) } catch { throw Failure(kind: .cancelled, status: nil, reason: "cancelled") }
    }

    /// The platform's error, without secrets and without the status the failure already carries.
    private func failure(_ kind: Failure.Kind, _ status: Int?, _ error: String) -> Failure {
        let prefix = status.map { "HTTP \($0): " } ?? ""
        let text = !prefix.isEmpty && error.hasPrefix(prefix) ? String(error.dropFirst(prefix.count)) : error
        return Failure(kind: kind, status: status, reason: redactor.redact(text))
    }
}
