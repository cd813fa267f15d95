import CLocalProcess
import Foundation
import Glibc

/// A program run without a shell, in a process group of its own, supervised on a dedicated thread
/// so the caller's thread pool never waits on a pipe. Its standard output and error are read as
/// they come, each kept up to `outputLimit` bytes (the rest is read and dropped, so the program
/// never blocks on a full pipe). When it outlives `timeout` its whole group gets SIGTERM, then
/// SIGKILL after `grace`. When it ends, whatever it left running in its group is killed.
///
/// ```swift
/// let outcome = try await ChildProcess(executable: "/bin/echo", arguments: ["hi"], environment: [:],
///                                      workingDirectory: "/", timeout: 5, grace: 1, outputLimit: 1024).run()
/// ```
struct ChildProcess: Sendable {
    var executable: String
    var arguments: [String]
    var environment: [String: String]
    var workingDirectory: String
    /// Seconds.
    var timeout: Double
    /// Seconds between SIGTERM and SIGKILL; also how long output is still read after the program
    /// ended, from processes that left its group but kept its pipes open.
    var grace: Double
    /// Bytes kept of each stream.
    var outputLimit: Int

    enum Termination: Equatable, Sendable {
        case exited(Int32)
        case signaled(Int32)
    }

    struct Outcome: Sendable {
        var termination: Termination
        var standardOutput: [UInt8]
        var standardError: [UInt8]
        var outputTruncated: Bool
        var timedOut: Bool
        /// Seconds from start to end.
        var duration: Double
    }

    /// The program could not be started or followed; `reason` is the system's word for it.
    struct Failure: Error {
        let reason: String

        init(_ call: String, _ code: Int32) {
            reason = "\(call): \(String(cString: strerror(code)))"
        }
    }

    /// Runs the program to its end on a thread of its own.
    func run() async throws(Failure) -> Outcome {
        let result: Result<Outcome, Failure> = await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: Result { () throws(Failure) in try runToEnd() }) }.start()
        }
        return try result.get()
    }

    private func runToEnd() throws(Failure) -> Outcome {
        let output = try Self.pipe(), errors = try Self.pipe()
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        guard null >= 0 else {
            let code = errno
            [output.read, output.write, errors.read, errors.write].forEach { _ = close($0) }
            throw Failure("/dev/null", code)
        }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        let started = Self.monotonic()
        var pid: pid_t = 0
        var spawned = sb_spawn(executable, argv, envp, workingDirectory, null, output.write, errors.write, &pid)
        // ETXTBSY is transient when the file was just written: a process another thread forks at
        // that moment holds the writer's descriptor until it execs. Wait for that to pass.
        for attempt in 0..<5 where spawned == ETXTBSY {
            usleep(UInt32(10_000 << attempt))
            spawned = sb_spawn(executable, argv, envp, workingDirectory, null, output.write, errors.write, &pid)
        }
        [null, output.write, errors.write].forEach { _ = close($0) }
        guard spawned == 0 else {
            [output.read, errors.read].forEach { _ = close($0) }
            throw Failure("cannot start \(executable)", spawned)
        }
        return try supervise(pid, streams: [Stream(output.read, limit: outputLimit), Stream(errors.read, limit: outputLimit)],
                             started: started)
    }

    private func supervise(_ pid: pid_t, streams: [Stream], started: Double) throws(Failure) -> Outcome {
        let deadline = started + timeout
        var killAt = Double.infinity
        var timedOut = false
        var endedAt: Double?
        while true {
            let now = Self.monotonic()
            if endedAt == nil, sb_has_exited(pid) != 0 {
                endedAt = now
                // Leftovers of the program's group; the program itself is a zombie holding the
                // group's id, so the id cannot belong to anyone else yet.
                kill(-pid, SIGKILL)
            }
            if endedAt == nil, !timedOut, now >= deadline {
                timedOut = true
                kill(-pid, SIGTERM)
                killAt = now + grace
            }
            if endedAt == nil, now >= killAt {
                kill(-pid, SIGKILL)
                killAt = .infinity
            }
            let open = streams.filter(\.isOpen)
            if let endedAt, open.isEmpty || now >= endedAt + grace { break }
            // Wake for output, or every 10 ms to notice an end that closes no pipe.
            let wait = endedAt.map { $0 + grace - now } ?? min(0.01, max(0, min(deadline, killAt) - now))
            var descriptors = open.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN), revents: 0) }
            _ = poll(&descriptors, nfds_t(descriptors.count), Int32((wait * 1000).rounded(.up)))
            open.forEach { $0.drain() }
        }
        streams.forEach { $0.close() }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw Failure("waitpid", errno) }
        }
        // <sys/wait.h>'s macros, which Swift does not import: the low 7 bits hold the signal.
        let termination: Termination = status & 0x7f == 0 ? .exited((status >> 8) & 0xff) : .signaled(status & 0x7f)
        return Outcome(termination: termination, standardOutput: streams[0].bytes, standardError: streams[1].bytes,
                       outputTruncated: streams.contains(where: \.truncated), timedOut: timedOut, duration: Self.monotonic() - started)
    }

    private static func pipe() throws(Failure) -> (read: Int32, write: Int32) {
        var descriptors: [Int32] = [-1, -1]
        guard sb_pipe_cloexec(&descriptors) == 0 else { throw Failure("pipe", errno) }
        _ = fcntl(descriptors[0], F_SETFL, O_NONBLOCK)
        return (descriptors[0], descriptors[1])
    }

    private static func monotonic() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    /// The read end of one output pipe and what was kept of it. Used by the supervising thread only.
    private final class Stream {
        let descriptor: Int32
        let limit: Int
        private(set) var bytes: [UInt8] = []
        private(set) var truncated = false
        private(set) var isOpen = true

        init(_ descriptor: Int32, limit: Int) {
            self.descriptor = descriptor
            self.limit = limit
        }

        /// Reads what is there without blocking; a bounded number of reads, so a program that
        /// writes without pause cannot keep the supervisor from its deadlines.
        func drain() {
            var chunk = [UInt8](repeating: 0, count: 16384)
            for _ in 0..<16 {
                let count = read(descriptor, &chunk, chunk.count)
                if count > 0 {
                    let kept = min(count, limit - bytes.count)
                    bytes += chunk[..<kept]
                    truncated = truncated || kept < count
                } else if count < 0, errno == EINTR {
                    continue
                } else {
                    if count == 0 || errno != EAGAIN { close() }
                    return
                }
            }
        }

        func close() {
            guard isOpen else { return }
            isOpen = false
            _ = Glibc.close(descriptor)
        }
    }
}
