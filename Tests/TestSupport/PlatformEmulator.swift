import DattoEmulator
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// An emulated platform API on loopback: records every request and answers from a script, so
/// tests can drive real HTTP through timeouts, throttling and errors.
public final class PlatformEmulator: Sendable {
    public struct Recorded: Sendable {
        public let method: String
        /// Path and query.
        public let path: String
        /// Names in lowercase.
        public let headers: [String: String]
        public let body: String
        public let time: Date

        public var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] }
    }

    public struct Reply: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: String
        /// Answer only after this long (to make the client time out).
        public var delay: Duration?

        public init(status: Int, headers: [String: String] = [:], body: String = "", delay: Duration? = nil) {
            self.status = status
            self.headers = headers
            self.body = body
            self.delay = delay
        }
    }

    public let port: Int
    public var url: String { "http://127.0.0.1:\(port)" }
    private let box: Box
    private let task: Task<Void, any Error>

    private init(port: Int, box: Box, task: Task<Void, any Error>) {
        self.port = port
        self.box = box
        self.task = task
    }

    deinit { task.cancel() }

    /// Starts an emulator on `port` (0: any free port) and waits until it listens.
    public static func start(port: Int = 0) async throws -> PlatformEmulator {
        let box = Box()
        let (bound, task) = await LoopbackServer.start(Responder(box: box), port: port, label: "platform-emulator")
        return PlatformEmulator(port: bound, box: box, task: task)
    }

    public func stop() async {
        task.cancel()
        _ = try? await task.value
    }

    /// Queues replies for requests whose path starts with `prefix`.
    public func reply(_ prefix: String, _ replies: Reply...) { reply(prefix, replies) }

    /// Queues replies for requests whose path starts with `prefix`, from an array.
    public func reply(_ prefix: String, _ replies: [Reply]) {
        box.script.withLock { script in
            script.removeAll { $0.prefix == prefix }
            script.append((prefix, replies))
        }
    }

    public var requests: [Recorded] { box.recorded.withLock { $0 } }

    public func requests(to prefix: String) -> [Recorded] { requests.filter { $0.path.hasPrefix(prefix) } }

    /// State shared between the emulator and its responder (created before the port is known):
    /// the requests received, and replies by path prefix, each queue's first reply used up unless
    /// it is the last.
    final class Box: Sendable {
        let recorded = Mutex<[Recorded]>([])
        let script = Mutex<[(prefix: String, replies: [Reply])]>([])
    }

    struct Responder: HTTPResponder {
        typealias Context = BasicRequestContext
        let box: Box

        func respond(to request: Request, context: Context) async throws -> Response {
            var request = request
            let body = try await request.collectBody(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            box.recorded.withLock {
                $0.append(Recorded(method: request.method.rawValue, path: request.uri.description, headers: headers,
                                   body: String(buffer: body), time: Date()))
            }
            let reply = box.script.withLock { script -> Reply in
                guard let index = script.lastIndex(where: { request.uri.path.hasPrefix($0.prefix) }) else {
                    return Reply(status: 404, body: "no script for \(request.uri.path)")
                }
                let next = script[index].replies.first ?? Reply(status: 500)
                if script[index].replies.count > 1 { script[index].replies.removeFirst() }
                return next
            }
            if let delay = reply.delay { try await Task.sleep(for: delay) }
            var fields = HTTPFields()
            for (name, value) in reply.headers { if let field = HTTPField.Name(name) { fields[field] = value } }
            return Response(status: .init(code: reply.status), headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: reply.body)))
        }
    }
}
