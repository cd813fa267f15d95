import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import Server
import Synchronization

/// A `SwitchboardServer` on a free loopback port, with a receiver and a rejection callback that record
/// what they were given, and a client speaking real HTTP to it.
final class RunningServer: Sendable {
    static let secret = "topsecret"
    static let webhookPath = "/v1/webhooks/datto"

    let port: Int
    let receiver: RecordingReceiver
    private let rejectionLog: RejectionLog
    private let task: Task<Void, any Error>

    private init(port: Int, receiver: RecordingReceiver, rejectionLog: RejectionLog, task: Task<Void, any Error>) {
        self.port = port
        self.receiver = receiver
        self.rejectionLog = rejectionLog
        self.task = task
    }

    deinit { task.cancel() }

    /// The refusals reported to the app so far.
    var rejections: [WebhookRejection] { rejectionLog.entries.withLock { $0 } }

    static func start(configuration: ServerConfiguration = ServerConfiguration(port: 0), secret: String? = RunningServer.secret,
                      receiver: RecordingReceiver = RecordingReceiver(), metrics: @escaping @Sendable () async -> [MetricFamily] = { [] },
                      dashboard: @escaping @Sendable () async -> DashboardPage = { DashboardPage(title: "Switchboard") }) async throws -> RunningServer {
        let log = RejectionLog()
        var logger = Logger(label: "switchboard.server.test")
        logger.logLevel = .critical
        let server = SwitchboardServer(configuration: configuration, receiver: receiver, secret: { secret }, metrics: metrics,
                                       dashboard: dashboard, onRejection: { rejection in log.entries.withLock { $0.append(rejection) } },
                                       logger: logger)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let task = Task { try await server.run { port in continuation.yield(port) } }
        var bound = 0
        for await port in ports {
            bound = port
            break
        }
        return RunningServer(port: bound, receiver: receiver, rejectionLog: log, task: task)
    }

    /// Starts a graceful shutdown.
    func beginShutdown() { task.cancel() }

    /// Waits until `run` has returned.
    func stopped() async throws { try await task.value }

    /// A signed webhook with a timestamp `skew` seconds from now.
    func postSigned(_ body: String, skew: Int64 = 0) async throws -> Answer {
        let header = WebhookSignature.header(secret: Self.secret, timestamp: Int64(Date().timeIntervalSince1970) + skew, body: Array(body.utf8))
        return try await post(body: body, headers: ["X-Switchboard-Signature": header])
    }

    /// A webhook with exactly these headers (plus `Content-Type: application/json`).
    func post(body: String, headers: [String: String]) async throws -> Answer {
        try await send("POST", Self.webhookPath, headers: headers, body: .bytes(ByteBuffer(string: body)))
    }

    func send(_ method: String, _ path: String, headers: [String: String] = [:], body: HTTPClientRequest.Body? = nil) async throws -> Answer {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = .init(rawValue: method)
        request.headers.add(name: "Content-Type", value: "application/json")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = body
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        var fields: [String: String] = [:]
        for (name, value) in response.headers { fields[name.lowercased()] = value }
        return Answer(status: Int(response.status.code), headers: fields, body: String(buffer: bytes))
    }

    struct Answer: Equatable {
        let status: Int
        /// Names in lowercase.
        let headers: [String: String]
        let body: String
    }
}

final class RejectionLog: Sendable {
    let entries = Mutex<[WebhookRejection]>([])
}

/// Records the bodies it receives and answers 202 `{"ticket":"T-1"}`, after `work` has run.
final class RecordingReceiver: WebhookReceiver {
    private let received = Mutex<[[UInt8]]>([])
    private let work: @Sendable () async -> Void

    init(work: @escaping @Sendable () async -> Void = {}) {
        self.work = work
    }

    var bodies: [String] { received.withLock { $0.map { String(decoding: $0, as: UTF8.self) } } }

    func receiveDattoWebhook(body: [UInt8]) async -> WebhookAnswer {
        received.withLock { $0.append(body) }
        await work()
        return WebhookAnswer(status: 202, json: #"{"ticket":"T-1"}"#)
    }
}
