import CLocalProcess
import Foundation
import Glibc
import Synchronization

/// The host's side of one process-isolated plugin: starts its worker on first use, sends it one
/// call at a time, and when the worker crashes or hangs, reports the fault, restarts it (after a
/// backoff that grows with consecutive faults) and quarantines the plugin after
/// `IsolationSettings.faultLimit` faults within `faultWindow`.
final class PluginWorker: Sendable {
    let manifest: Manifest
    let candidate: PluginCandidate
    let sha256: String
    let settings: IsolationSettings
    private let state = Mutex(State())
    /// Apart from `state`, so reading it never waits for a call in progress.
    private let quarantined: Mutex<QuarantineRecord?>

    private struct State {
        var process: WorkerProcess?
        var faults: [ContinuousClock.Instant] = []
        var consecutiveFaults = 0
        var restartAfter: ContinuousClock.Instant?
    }

    /// `quarantine`: the plugin's record in the quarantine file when the catalog was loaded.
    init(manifest: Manifest, candidate: PluginCandidate, sha256: String, settings: IsolationSettings, quarantine: QuarantineRecord?) {
        self.manifest = manifest
        self.candidate = candidate
        self.sha256 = sha256
        self.settings = settings
        quarantined = Mutex(quarantine)
    }

    deinit {
        state.withLock { $0.process?.stop() }
    }

    /// Why calls are refused, if they are. A quarantine lifted in the file (by `plugins release`
    /// in another process) is noticed here.
    var quarantine: QuarantineRecord? {
        quarantined.withLock { record in
            if record != nil, let file = settings.quarantine, file.record(for: manifest.id) == nil { record = nil }
            return record
        }
    }

    /// Spawns a worker without waiting for it (the catalog starts all its workers at once).
    func spawn() throws(WorkerProcess.StartFailure) -> WorkerProcess {
        guard let executable = settings.workerExecutable else {
            throw .unavailable("no switchboard executable beside the host to run the worker")
        }
        return try WorkerProcess.spawn(executable: executable, candidate: candidate, environment: settings.workerEnvironment)
    }

    /// Makes a worker that has answered ready the one calls go to.
    func adopt(_ process: WorkerProcess) {
        state.withLock { $0.process = process }
    }

    /// One call in the worker, bounded by the entry point's timeout.
    func call(_ entry: EntryPoint, input: Data) throws(PluginCallError) -> Data {
        if let record = quarantine { throw .quarantined(plugin: manifest.id, reason: record.reason) }
        guard input.count <= WorkerChannel.maximumPayload else {
            throw .failed(plugin: manifest.id, role: entry.role, status: 1,
                          message: "input of \(input.count) bytes is over the \(WorkerChannel.maximumPayload) bytes a worker accepts")
        }
        return try state.withLock { state throws(PluginCallError) -> Data in
            var process = try running(&state, role: entry.role)
            // A worker that died while idle, before any of this call reached it, costs a restart,
            // not the call.
            var unsent: WorkerChannel.Failure?
            if let cause = process.exited() {
                idleDeath(cause, &state)
                process = try running(&state, role: entry.role)
            }
            do throws(WorkerChannel.Failure) { try process.send(role: entry.role, input: input) } catch { unsent = error }
            if unsent == .closed {
                idleDeath(process.reap(), &state)
                process = try running(&state, role: entry.role)
            }
            let answer: (word: UInt32, payload: [UInt8])
            do throws(WorkerChannel.Failure) {
                switch unsent {
                case nil: break
                case .closed?: try process.send(role: entry.role, input: input)
                case let failure?: throw failure
                }
                answer = try process.channel.receive(deadline: .now + .milliseconds(entry.timeoutMilliseconds), spin: .microseconds(30))
            } catch .timedOut {
                process.stop()
                state.process = nil
                let error = PluginCallError.timedOut(plugin: manifest.id, role: entry.role, milliseconds: entry.timeoutMilliseconds)
                fault(.timedOut(milliseconds: entry.timeoutMilliseconds), role: entry.role, message: error.description, cause: "a hang", &state)
                throw error
            } catch {
                let cause: String
                if error == .closed {
                    cause = process.reap()
                } else {
                    cause = "broken worker channel: \(error)"
                    process.stop()
                }
                state.process = nil
                let failure = PluginCallError.crashed(plugin: manifest.id, role: entry.role, cause: cause)
                fault(.crashed(cause: cause), role: entry.role, message: failure.description, cause: cause, &state)
                throw failure
            }
            state.consecutiveFaults = 0
            let status = Int32(bitPattern: answer.word)
            guard status == 0 else {
                throw .failed(plugin: manifest.id, role: entry.role, status: status, message: String(decoding: answer.payload, as: UTF8.self))
            }
            return Data(answer.payload)
        }
    }

    /// Reports a worker that ended between calls, and forgets it.
    private func idleDeath(_ cause: String, _ state: inout State) {
        state.process = nil
        fault(.crashed(cause: cause), role: nil, message: "\(manifest.id): the plugin's worker process ended while idle (\(cause))", cause: cause, &state)
    }

    /// The running worker, started (after any backoff) if there is none.
    private func running(_ state: inout State, role: EntryPointRole?) throws(PluginCallError) -> WorkerProcess {
        if let process = state.process { return process }
        if let after = state.restartAfter, after > .now {
            Thread.sleep(forTimeInterval: Double((after - .now).components.attoseconds) / 1e18 + Double((after - .now).components.seconds))
        }
        do {
            let process = try spawn()
            try process.ready(within: settings.startTimeout)
            state.process = process
            return process
        } catch {
            let failure = PluginCallError.workerUnavailable(plugin: manifest.id, reason: error.description)
            fault(.unavailable(reason: error.description), role: role, message: failure.description, cause: error.description, &state)
            throw failure
        }
    }

    /// Reports a fault, schedules the restart and quarantines the plugin past the limit.
    private func fault(_ kind: PluginFault.Kind, role: EntryPointRole?, message: String, cause: String, _ state: inout State) {
        let now = ContinuousClock.now
        state.faults = state.faults.filter { now - $0 < settings.faultWindow } + [now]
        state.consecutiveFaults += 1
        // The first restart is immediate; then 50 ms, 100 ms, ... up to 2 s.
        let backoff = state.consecutiveFaults == 1 ? 0 : min(2_000, 50 << min(state.consecutiveFaults - 2, 6))
        state.restartAfter = now + .milliseconds(backoff)
        report(kind, role: role, message: message)
        guard state.faults.count >= settings.faultLimit else { return }
        let window = Int(settings.faultWindow.components.seconds)
        let reason = "\(state.faults.count) faults within \(window) s, the last: \(cause)"
        let record = (try? settings.quarantine?.add(manifest.id, reason: reason)) ?? QuarantineRecord(since: Date().formatted(.iso8601), reason: reason)
        quarantined.withLock { $0 = record }
        state.faults = []
        report(.quarantined(faults: settings.faultLimit, windowSeconds: window), role: nil, message: reason)
    }

    private func report(_ kind: PluginFault.Kind, role: EntryPointRole?, message: String) {
        settings.faultSink(PluginFault(pluginID: manifest.id, version: manifest.version, sha256: sha256, role: role, kind: kind, message: message))
    }
}

/// A running worker process and the host's end of its socket.
struct WorkerProcess: Sendable {
    let pid: pid_t
    let channel: WorkerChannel

    /// Why a worker could not be started.
    enum StartFailure: Error, CustomStringConvertible {
        /// The worker ran but rejected the plugin, as the host's loader would have: the manifest
        /// field or symbol, and the problem.
        case rejected(subject: String, problem: String)
        case unavailable(String)

        var description: String {
            switch self {
            case .rejected(let subject, let problem): "\(subject): \(problem)"
            case .unavailable(let reason): reason
            }
        }
    }

    /// Spawns `executable plugin-worker ...` on a socket pair.
    static func spawn(executable: String, candidate: PluginCandidate, environment: [String: String]) throws(StartFailure) -> WorkerProcess {
        var sockets: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &sockets) == 0 else {
            throw .unavailable("socketpair: \(String(cString: strerror(errno)))")
        }
        let arguments = [executable, "plugin-worker", "--manifest", candidate.manifestPath, "--library-folder", candidate.libraryFolder,
                         "--origin", candidate.origin.rawValue]
        let argv = arguments.map { strdup($0) } + [nil]
        // No Swift backtrace on a crash: the host reports it, and the restart is not delayed.
        var variables = environment
        variables["SWIFT_BACKTRACE"] = "enable=no"
        let envp = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        // The host's working directory, so the candidate's relative paths mean the same there.
        let spawned = sb_spawn(executable, argv, envp, FileManager.default.currentDirectoryPath, sockets[1], sockets[1], 2, &pid)
        close(sockets[1])
        guard spawned == 0 else {
            close(sockets[0])
            throw .unavailable("cannot start \(executable): \(String(cString: strerror(spawned)))")
        }
        return WorkerProcess(pid: pid, channel: WorkerChannel(descriptor: sockets[0]))
    }

    /// Waits for the worker's first frame: ready, or why it rejected the plugin. On failure the
    /// worker is gone.
    func ready(within timeout: Duration) throws(StartFailure) {
        let hello: (word: UInt32, payload: [UInt8])
        do throws(WorkerChannel.Failure) {
            hello = try channel.receive(deadline: .now + timeout)
        } catch .timedOut {
            stop()
            throw .unavailable("the worker did not start within \(timeout.components.seconds) s")
        } catch {
            throw .unavailable("the worker ended while starting (\(reap()))")
        }
        guard Int32(bitPattern: hello.word) == 0 else {
            stop()
            guard case .object(let fields)? = try? JSONValue.parse(Data(hello.payload)), case .string(let subject)? = fields["subject"],
                  case .string(let problem)? = fields["problem"] else {
                throw .unavailable(String(decoding: hello.payload, as: UTF8.self))
            }
            throw .rejected(subject: subject, problem: problem)
        }
    }

    /// Sends one call's request.
    func send(role: EntryPointRole, input: Data) throws(WorkerChannel.Failure) {
        let index = UInt32(EntryPointRole.allCases.firstIndex(of: role) ?? 0)
        let sent = input.withUnsafeBytes { bytes in
            Result { () throws(WorkerChannel.Failure) in
                try channel.send(header: WorkerChannel.header(length: bytes.count, word: index), payload: bytes)
            }
        }
        try sent.get()
    }

    /// How the worker ended, if it has (then it is reaped and its socket closed); nil while it runs.
    func exited() -> String? {
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
        close(channel.descriptor)
        return Self.describe(status)
    }

    /// Waits (up to a second) for a worker whose socket closed to end, reaps it, closes the
    /// socket, and says how it ended: the signal's name (`SIGSEGV`) or `exit status N`.
    func reap() -> String {
        defer { close(channel.descriptor) }
        var status: Int32 = 0
        for _ in 0..<1_000 {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { return Self.describe(status) }
            // Reaped by someone else: the pid may already be another process's, so no kill.
            if reaped < 0, errno == ECHILD { return "ended" }
            usleep(1_000)
        }
        kill(pid, SIGKILL)
        return waitpid(pid, &status, 0) == pid ? Self.describe(status) : "ended"
    }

    /// Kills the worker (if it still runs), reaps it and closes the socket.
    func stop() {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
        close(channel.descriptor)
    }

    /// A wait status in words.
    static func describe(_ status: Int32) -> String {
        let signal = status & 0x7f
        guard signal != 0 else { return "exit status \((status >> 8) & 0xff)" }
        let names: [Int32: String] = [SIGSEGV: "SIGSEGV", SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGILL: "SIGILL", SIGFPE: "SIGFPE",
                                      SIGKILL: "SIGKILL", SIGTERM: "SIGTERM", SIGTRAP: "SIGTRAP", SIGSYS: "SIGSYS", SIGPIPE: "SIGPIPE",
                                      SIGXCPU: "SIGXCPU", SIGINT: "SIGINT"]
        return names[signal] ?? "signal \(signal)"
    }
}
