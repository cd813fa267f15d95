import Glibc

/// A loopback port that is bound but not listening: connections to it are refused (a platform
/// that is down), and no other test can take the port until `release()`.
///
/// ```swift
/// let down = try ClosedPort()
/// // ... requests to 127.0.0.1:\(down.port) are refused ...
/// down.release()   // then start a server on down.port
/// ```
public final class ClosedPort {
    public let port: Int
    private var descriptor: Int32

    public init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClosedPortError.socket(errno) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else {
            close(fd)
            throw ClosedPortError.bind(errno)
        }
        descriptor = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// Frees the port for a server to bind.
    public func release() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
    }

    deinit { release() }
}

public enum ClosedPortError: Error {
    case socket(Int32)
    case bind(Int32)
}
