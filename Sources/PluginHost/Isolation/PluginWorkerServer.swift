import Foundation
import Glibc

/// The worker's side: `switchboard plugin-worker` loads one plugin, in its own process, with the
/// same checks and the same libffi calling path as the host, then serves calls from the socket
/// on descriptor 0 until the host closes it.
///
/// ```swift
/// exit(PluginWorkerServer.run(candidate, logSink: logger.pluginLogSink))
/// ```
public enum PluginWorkerServer {
    /// Serves until the host goes away; returns the exit status.
    public static func run(_ candidate: PluginCandidate, logSink: @escaping PluginLogSink) -> Int32 {
        // No core files from a crashing plugin; the host reports the crash itself.
        var noCore = rlimit(rlim_cur: 0, rlim_max: 0)
        setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &noCore)
        // The socket moves off 0 and 1: a plugin that prints must not corrupt the frames.
        let descriptor = fcntl(0, F_DUPFD_CLOEXEC, 3)
        guard descriptor >= 0 else { return 70 }
        let null = open("/dev/null", O_RDONLY)
        dup2(null, 0)
        dup2(2, 1)
        if null > 1 { close(null) }
        watchForHangUp(descriptor)
        let channel = WorkerChannel(descriptor: descriptor)

        let plugin: LoadedPlugin
        do throws(PluginLoadError) {
            // The host checked the signature before it started this worker.
            let loader = PluginLoader(logSink: logSink, policy: PluginPolicy())
            plugin = try loader.load(loader.readManifest(candidate).manifest, from: candidate)
        } catch {
            let reason = JSONValue.object(["subject": .string(error.subject), "problem": .string(error.problem.description)])
            answer(channel, status: WorkerChannel.loadFailed, Array(reason.text().utf8))
            return 1
        }
        answer(channel, status: 0, [])
        let roles = EntryPointRole.allCases
        while true {
            let request: (word: UInt32, payload: [UInt8])
            do {
                // Calls often come in runs: wait awake a little before sleeping.
                request = try channel.receive(deadline: nil, spin: .microseconds(100))
            } catch {
                return error == .closed ? 0 : 1
            }
            guard Int(request.word) < roles.count else {
                answer(channel, status: 2, Array("unknown role index \(request.word)".utf8))
                continue
            }
            do {
                let output = try plugin.call(roles[Int(request.word)], input: Data(request.payload))
                answer(channel, status: 0, [UInt8](output))
            } catch .failed(_, _, let status, let message) {
                answer(channel, status: status, Array(message.utf8))
            } catch {
                answer(channel, status: 2, Array(error.description.utf8))
            }
        }
    }

    private static func answer(_ channel: WorkerChannel, status: Int32, _ payload: [UInt8]) {
        // A host that went away ends the worker through the hang-up watch.
        _ = payload.withUnsafeBytes { bytes in
            Result { () throws(WorkerChannel.Failure) in
                try channel.send(header: WorkerChannel.header(length: bytes.count, word: UInt32(bitPattern: status)), payload: bytes)
            }
        }
    }

    /// Ends the process as soon as the host's end of the socket closes, even while a plugin call
    /// is stuck: a worker never outlives its host, also when the host is killed with SIGKILL.
    private static func watchForHangUp(_ descriptor: Int32) {
        let thread = Thread {
            // POLLRDHUP (0x2000) needs _GNU_SOURCE, so Glibc does not name it.
            let peerClosed: Int16 = 0x2000
            var poller = pollfd(fd: descriptor, events: peerClosed, revents: 0)
            while true {
                if poll(&poller, 1, -1) > 0, poller.revents & (peerClosed | Int16(POLLHUP | POLLERR)) != 0 { _exit(0) }
            }
        }
        thread.start()
    }
}
