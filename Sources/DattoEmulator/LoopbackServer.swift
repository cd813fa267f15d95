import Hummingbird
import Logging

/// Starts a Hummingbird responder on 127.0.0.1 for an emulator, quietly, and waits until it
/// listens: the emulated Datto API here, the scripted platform emulator of the tests.
public enum LoopbackServer {
    /// The bound port (`port` 0: any free one) and the task serving until cancelled.
    public static func start<Responder: HTTPResponder>(_ responder: Responder, port: Int = 0, label: String) async -> (port: Int, task: Task<Void, any Error>)
    where Responder.Context: RequestContext, Responder.Context.Source == ApplicationRequestContextSource {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: label)
        logger.logLevel = .critical
        let app = Application(responder: responder, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: port)),
                              onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        let task = Task { try await app.run() }
        var bound = 0
        for await value in ports { bound = value; break }
        return (bound, task)
    }
}
