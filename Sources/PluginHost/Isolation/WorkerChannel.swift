import Glibc

/// One end of the socket between the host and a plugin's worker process, carrying
/// length-prefixed frames.
///
/// A request is an 8-byte header (payload length as UInt32 little-endian, the role's index in
/// `EntryPointRole.allCases`, three zero bytes) and the JSON input. An answer is an 8-byte header
/// (payload length, then the plugin's status as Int32 little-endian) and the plugin's output or
/// message. A worker's first frame is an answer: status 0 when it loaded the plugin, or
/// `WorkerChannel.loadFailed` with `{"subject", "problem"}`, why its loader rejected the plugin.
///
/// ```swift
/// let channel = WorkerChannel(descriptor: fd)
/// try channel.send(header: WorkerChannel.header(length: input.count, word: role), payload: input)
/// let answer = try channel.receive(deadline: .now + .seconds(5))
/// ```
struct WorkerChannel {
    let descriptor: Int32

    /// The status of a worker's first frame when it could not load the plugin.
    static let loadFailed = Int32.min
    /// The largest payload either side accepts (64 MiB).
    static let maximumPayload = 64 << 20

    enum Failure: Error, Equatable {
        /// The other end closed the socket (the worker died, or the host went away).
        case closed
        /// Nothing arrived before the deadline.
        case timedOut
        /// A header announced more than `maximumPayload` bytes.
        case oversized(Int)
        case system(Int32)
    }

    /// A frame's header: the payload length and a second 32-bit word (role index or status).
    static func header(length: Int, word: UInt32) -> [UInt8] {
        let count = UInt32(truncatingIfNeeded: length)
        return [UInt8(count & 0xff), UInt8(count >> 8 & 0xff), UInt8(count >> 16 & 0xff), UInt8(count >> 24),
                UInt8(word & 0xff), UInt8(word >> 8 & 0xff), UInt8(word >> 16 & 0xff), UInt8(word >> 24)]
    }

    /// Sends a header and its payload, with no SIGPIPE if the other end is gone.
    func send(header: [UInt8], payload: UnsafeRawBufferPointer) throws(Failure) {
        guard payload.count <= Self.maximumPayload else { throw .oversized(payload.count) }
        let failure: Int32?
        if payload.count <= 65_536 {
            // One write for the common case: one wake-up on the other side.
            var frame = header
            frame.append(contentsOf: payload)
            failure = frame.withUnsafeBytes { sendAll($0) }
        } else {
            failure = header.withUnsafeBytes { sendAll($0) } ?? sendAll(payload)
        }
        if let failure { throw failure == EPIPE || failure == ECONNRESET ? .closed : .system(failure) }
    }

    /// Sends every byte; the errno that stopped it, if any.
    private func sendAll(_ bytes: UnsafeRawBufferPointer) -> Int32? {
        guard let base = bytes.baseAddress else { return nil }
        var offset = 0
        while offset < bytes.count {
            let sent = Glibc.send(descriptor, base + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if sent < 0 {
                if errno == EINTR { continue }
                return errno
            }
            offset += sent
        }
        return nil
    }

    /// Reads one frame: its second header word and its payload. Without a deadline it waits as
    /// long as it takes (the worker waiting for the next request). For `spin` it polls without
    /// sleeping: an answer that is microseconds away then costs no wake-up of a sleeping process,
    /// which on a virtual machine is most of a round trip.
    func receive(deadline: ContinuousClock.Instant?, spin: Duration = .zero) throws(Failure) -> (word: UInt32, payload: [UInt8]) {
        let spinUntil = ContinuousClock.now + spin
        let header = try read(8, deadline: deadline, spinUntil: spinUntil)
        let length = Int(UInt32(header[0]) | UInt32(header[1]) << 8 | UInt32(header[2]) << 16 | UInt32(header[3]) << 24)
        let word = UInt32(header[4]) | UInt32(header[5]) << 8 | UInt32(header[6]) << 16 | UInt32(header[7]) << 24
        guard length <= Self.maximumPayload else { throw .oversized(length) }
        return (word, length == 0 ? [] : try read(length, deadline: deadline, spinUntil: spinUntil))
    }

    private func read(_ count: Int, deadline: ContinuousClock.Instant?, spinUntil: ContinuousClock.Instant) throws(Failure) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset < count {
            let received = buffer.withUnsafeMutableBytes { bytes in
                bytes.baseAddress.map { recv(descriptor, $0 + offset, count - offset, Int32(MSG_DONTWAIT)) } ?? 0
            }
            if received > 0 {
                offset += received
                continue
            }
            if received == 0 { throw .closed }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK:
                if ContinuousClock.now < spinUntil { continue }
                try waitReadable(until: deadline)
            case ECONNRESET: throw .closed
            default: throw .system(errno)
            }
        }
        return buffer
    }

    /// Sleeps until something arrives, or throws `timedOut` at the deadline (none: no limit).
    private func waitReadable(until deadline: ContinuousClock.Instant?) throws(Failure) {
        while true {
            var milliseconds: Int32 = -1
            if let deadline {
                let remaining = deadline - .now
                guard remaining > .zero else { throw .timedOut }
                milliseconds = Int32(clamping: remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000 + 1)
            }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, milliseconds)
            if ready > 0 { return }
            if ready < 0, errno != EINTR { throw .system(errno) }
        }
    }
}
