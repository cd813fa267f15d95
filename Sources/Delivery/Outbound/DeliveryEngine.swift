import Crypto
import Foundation
import Logging
import PluginHost
import SwitchboardStore

/// Delivers outbox messages through their targets' platform plugins: renders each request at send
/// time (so no secret is stored), fetches and caches tokens, sends, reads the answer, and records
/// the outcome and its audit entry in one transaction. Retries with exponential backoff and jitter
/// on 5xx, timeouts and connection errors; honours Retry-After on 429; dead-letters other 4xx with
/// the platform's error text. Every attempt carries the message's `Idempotency-Key`.
///
/// ```swift
/// let engine = DeliveryEngine(configuration: configuration, plugins: catalog.loaded, store: store)
/// let queued = try engine.enqueue(alert: AlertEvent(severity: .error, module: "Disk", message: "C: full"))
/// let final = try await engine.deliver(among: queued.map(\.id), patience: .seconds(30))
/// ```
public final class DeliveryEngine: Sendable {
    public let configuration: DeliveryConfiguration
    public let redactor: Redactor
    let adapters: [String: PlatformAdapter]
    let store: SQLiteStore
    let transport: any HTTPTransport
    let logger: Logger
    private let tokens: TokenCache

    public init(configuration: DeliveryConfiguration, plugins: [LoadedPlugin], store: SQLiteStore,
                transport: any HTTPTransport = AsyncHTTPTransport(), logger: Logger = Logger(label: "switchboard.delivery")) {
        self.configuration = configuration
        self.store = store
        self.transport = transport
        self.logger = logger
        redactor = Redactor(configuration.targets.flatMap(\.secrets))
        tokens = TokenCache(transport: transport, redactor: redactor)
        var adapters: [String: PlatformAdapter] = [:]
        for plugin in plugins where plugin.manifest.kind == .platform {
            if let platform = plugin.manifest.platform, adapters[platform] == nil { adapters[platform] = PlatformAdapter(plugin: plugin) }
        }
        self.adapters = adapters
    }

    // MARK: Enqueueing

    /// Writes the alert to the outbox once for every enabled target whose settings let it through.
    public func enqueue(alert: AlertEvent) throws(StoreError) -> [OutboxMessage] {
        try enqueue(alerts: [alert])
    }

    /// Writes a stream of alerts in one transaction (one durable commit for all of them).
    public func enqueue(alerts: [AlertEvent]) throws(StoreError) -> [OutboxMessage] {
        let messages = alerts.flatMap { alert in
            let correlation = UUID().uuidString.lowercased()
            let text = alert.payload.text()
            return configuration.targets.filter { $0.accepts(alert.severity, phase: alert.phase) }.map {
                NewOutboxMessage(correlationID: correlation, target: $0.name, platform: $0.platform, kind: "alert", payload: text)
            }
        }
        return try store.enqueue(messages, now: Date())
    }

    /// Writes the run summary to the outbox for every enabled target with SendDailySummary.
    public func enqueue(report: RunSummary) throws(StoreError) -> [OutboxMessage] {
        try enqueue(kind: "report", payload: report.payload, to: configuration.targets.filter { $0.enabled && $0.sendsDailySummary })
    }

    /// Writes a test alert for each of `targets`, whatever their filters; test messages are not retried.
    public func enqueueTest(to targets: [DeliveryTarget]) throws(StoreError) -> [OutboxMessage] {
        let alert = AlertEvent(severity: .info, module: "Switchboard", message: "Test alert from Switchboard: this target is reachable.")
        return try enqueue(kind: "test", payload: alert.payload, to: targets)
    }

    private func enqueue(kind: String, payload: JSONValue, to targets: [DeliveryTarget]) throws(StoreError) -> [OutboxMessage] {
        let correlation = UUID().uuidString.lowercased()
        let text = payload.text()
        return try store.enqueue(targets.map {
            NewOutboxMessage(correlationID: correlation, target: $0.name, platform: $0.platform, kind: kind, payload: text)
        }, now: Date())
    }

    // MARK: Delivering

    /// Delivers due messages (only those with ids from the lowest to the highest of `ids`, when
    /// given: messages queued together have neighbouring ids) until none is left that falls due
    /// within `patience`, and returns the final state of `ids` (or of everything attempted).
    public func deliver(among ids: [Int64]?, patience: Duration) async throws(StoreError) -> [OutboxMessage] {
        let deadline = Date().addingTimeInterval(Double(patience.components.seconds))
        var attempted = Set<Int64>()
        var range: ClosedRange<Int64>?
        if let ids {
            guard let lowest = ids.min(), let highest = ids.max() else { return [] }
            range = lowest...highest
        }
        while true {
            let lease = configuration.policy.timeoutSeconds * 3 + 30
            // Due by now and by the deadline: a retry that falls due after the deadline waits for a
            // later call, even when this round was slow enough for it to be due already.
            let batch = try store.claimDue(now: min(Date(), deadline), lease: lease, limit: 32, among: range)
            if batch.isEmpty {
                guard let next = try store.nextDue(among: range), next <= deadline else { break }
                try? await Task.sleep(for: .milliseconds(max(5, Int(next.timeIntervalSinceNow * 1000))))
                continue
            }
            attempted.formUnion(batch.map(\.id))
            let outcomes = await withTaskGroup(of: (DeliveryOutcome, AuditEntry).self) { group in
                for message in batch { group.addTask { await self.attempt(message) } }
                return await group.reduce(into: []) { $0.append($1) }
            }
            try store.record(outcomes.map { ($0.0, $0.1) }, now: Date())
        }
        return try store.messages(ids: ids ?? Array(attempted).sorted())
    }

    /// One attempt at one message: never throws, always an outcome.
    func attempt(_ message: OutboxMessage) async -> (DeliveryOutcome, AuditEntry) {
        let started = ContinuousClock.now
        var audit = AuditEntry(event: "delivery.attempted", subject: "target:\(message.target)", correlationID: message.correlationID,
                               details: ["target": message.target, "platform": message.platform, "kind": message.kind,
                                         "attempt": String(message.attempts + 1), "message": String(message.id)])
        let outcome: DeliveryOutcome
        do {
            let (status, remoteID) = try await send(message, audit: &audit)
            outcome = .delivered(id: message.id, httpStatus: status, remoteID: remoteID)
        } catch {
            outcome = resolve(error, for: message)
        }
        let elapsed = ContinuousClock.now - started
        audit.durationMilliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        switch outcome {
        case .delivered(_, let status, _):
            audit.outcome = "delivered"
            audit.details["httpStatus"] = status.map(String.init)
        case .retry(_, let at, let status, let error):
            audit.outcome = "retry"
            audit.error = error
            audit.details["httpStatus"] = status.map(String.init)
            audit.details["nextAttempt"] = at.formatted(.iso8601)
        case .dead(_, let status, let error):
            audit.outcome = "dead"
            audit.error = error
            audit.details["httpStatus"] = status.map(String.init)
        }
        logger.log(level: audit.outcome == "dead" ? .warning : .debug, "delivery \(audit.outcome ?? "?")", metadata: ["target": "\(message.target)", "message": "\(message.id)",
                                                                 "error": "\(audit.error ?? "")"])
        return (outcome, audit)
    }

    /// Renders, sends and reads the answer; throws an AttemptFailure for anything but delivery.
    private func send(_ message: OutboxMessage, audit: inout AuditEntry) async throws(AttemptFailure) -> (Int?, String?) {
        guard let target = configuration.target(named: message.target) else { throw .dead(nil, DeliveryError.unknownTarget(message.target).description) }
        guard let adapter = adapters[target.platform] else { throw .dead(nil, DeliveryError.noPlugin(platform: target.platform).description) }
        audit.plugin = adapter.label
        audit.pluginSHA256 = adapter.plugin.sha256
        var token = adapter.needsToken ? try await self.token(for: target, adapter: adapter, fresh: false) : nil
        var renewed = false
        while true {
            let request = try render(message, target: target, adapter: adapter, token: token)
            let answer: HTTPAnswer
            do {
                answer = try await transport.send(request, timeout: .seconds(configuration.policy.timeoutSeconds))
            } catch {
                throw .retry(nil, nil, error.reason)
            }
            let verdict: PlatformAdapter.Verdict
            do { verdict = try adapter.interpret(answer, kind: message.kind, target: target) } catch { throw .dead(answer.status, error.description) }
            switch verdict {
            case .delivered(let createdID): return (answer.status, createdID)
            case .token: throw .dead(answer.status, "\(adapter.label) answered a delivery with a token")
            case .retry(let after, let error): throw .retry(after, answer.status, error)
            case .rejected(let error): throw .dead(answer.status, error)
            case .reauthenticate(let error):
                // A cached token may have expired early: renew it once, then give up.
                guard adapter.needsToken, !renewed else { throw .dead(answer.status, DeliveryError.authentication(error).description) }
                renewed = true
                token = try await self.token(for: target, adapter: adapter, fresh: true)
            }
        }
    }

    private func render(_ message: OutboxMessage, target: DeliveryTarget, adapter: PlatformAdapter, token: String?) throws(AttemptFailure) -> PlannedRequest {
        var request: PlannedRequest
        do {
            request = try adapter.render(kind: message.kind, payload: message.payload, idempotencyKey: message.idempotencyKey, target: target, token: token)
        } catch {
            throw .dead(nil, error.description)
        }
        request.headers.append(("Idempotency-Key", message.idempotencyKey))
        request.headers.append(("User-Agent", "Switchboard/1.0"))
        if let signature = request.signature {
            guard case .string(let secret)? = target.settings["Secret"], !secret.isEmpty else {
                throw .dead(nil, "\(adapter.label) asked for a signed request but target '\(target.name)' has no Secret")
            }
            let mac = HMAC<SHA256>.authenticationCode(for: request.body, using: SymmetricKey(data: Data(secret.utf8)))
            request.headers.append((signature.header, signature.prefix + mac.hexString))
        }
        return request
    }

    /// The target's token from the shared cache (`fresh`: a new one), its failure as an attempt's.
    private func token(for target: DeliveryTarget, adapter: PlatformAdapter, fresh: Bool) async throws(AttemptFailure) -> String {
        do {
            return try await tokens.token(for: target, adapter: adapter, timeout: .seconds(configuration.policy.timeoutSeconds), fresh: fresh)
        } catch {
            throw error.retryable ? .retry(error.retryAfterSeconds, error.status, error.reason) : .dead(error.status, error.reason)
        }
    }

    /// Turns a failed attempt into the message's next state, with secrets removed from its error.
    private func resolve(_ failure: AttemptFailure, for message: OutboxMessage) -> DeliveryOutcome {
        switch failure {
        case .dead(let status, let error):
            return .dead(id: message.id, httpStatus: status, error: redactor.redact(error))
        case .retry(let after, let status, let error):
            let attempt = message.attempts + 1
            guard message.kind != "test", attempt < configuration.policy.maxAttempts else {
                let reason = message.kind == "test" ? error : "gave up after \(attempt) attempts: \(error)"
                return .dead(id: message.id, httpStatus: status, error: redactor.redact(reason))
            }
            let delay = after.map(Double.init) ?? configuration.policy.backoff(afterAttempt: attempt)
            return .retry(id: message.id, at: Date().addingTimeInterval(delay), httpStatus: status, error: redactor.redact(error))
        }
    }

    /// Why an attempt did not deliver.
    enum AttemptFailure: Error {
        case retry(Int?, Int?, String)
        case dead(Int?, String)
    }
}

extension DeliveryEngine {
    /// Renders a sample alert for `target` without sending it; the problem, if any (for example a
    /// setting the platform needs that is missing).
    public func dryRun(_ target: DeliveryTarget) -> String? {
        guard let adapter = adapters[target.platform] else { return DeliveryError.noPlugin(platform: target.platform).description }
        let sample = AlertEvent(severity: .warning, module: "Switchboard", message: "configuration check",
                                data: ["deviceUid": .string("00000000-0000-0000-0000-000000000000")])
        do {
            if adapter.needsToken { _ = try adapter.tokenRequest(target: target) }
            _ = try adapter.render(kind: "alert", payload: sample.payload.text(), idempotencyKey: UUID().uuidString.lowercased(),
                                   target: target, token: adapter.needsToken ? "config-check-token" : nil)
            return nil
        } catch {
            return redactor.redact(error.description)
        }
    }
}
