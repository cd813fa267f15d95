/// Where and how `SwitchboardServer` listens, and its limits.
///
/// ```swift
/// var configuration = ServerConfiguration()
/// configuration.port = 9000
/// ```
public struct ServerConfiguration: Sendable, Equatable {
    /// The address to bind: `127.0.0.1` serves this machine only; `0.0.0.0` every interface.
    public var bind: String
    /// The port; 0 picks a free one (reported by `run`'s `onRunning`).
    public var port: Int
    /// The largest webhook body accepted, in bytes; larger ones are answered 413.
    public var bodyLimit: Int
    /// How far (in seconds, either way) a signature's timestamp may be from now.
    public var signatureWindowSeconds: Int64
    /// How long a graceful shutdown waits for requests in flight before cancelling them.
    public var shutdownGracePeriod: Duration

    public init(bind: String = "127.0.0.1", port: Int = 8080, bodyLimit: Int = 65_536, signatureWindowSeconds: Int64 = 300,
                shutdownGracePeriod: Duration = .seconds(10)) {
        self.bind = bind
        self.port = port
        self.bodyLimit = bodyLimit
        self.signatureWindowSeconds = signatureWindowSeconds
        self.shutdownGracePeriod = shutdownGracePeriod
    }
}
