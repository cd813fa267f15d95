import Hummingbird
import NIOCore

/// The request context: Hummingbird's core storage plus the peer's address (for rejection reports).
struct ServerRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    private let peer: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        peer = source.channel.remoteAddress
    }

    /// `ip:port` (`[ip]:port` for IPv6), or the socket path.
    var remoteAddress: String? {
        guard let peer else { return nil }
        if let path = peer.pathname { return path }
        guard let ip = peer.ipAddress, let port = peer.port else { return nil }
        if case .v6 = peer { return "[\(ip)]:\(port)" }
        return "\(ip):\(port)"
    }
}
