import Foundation
import Glibc

/// Runs the `local` steps of a plan on the machine Switchboard runs on: the reboot command, and
/// scripts from the allowed folder. Nothing goes through a shell: a script is started directly,
/// with its arguments as given, a clean environment (`PATH=/usr/local/bin:/usr/bin:/bin`,
/// `LANG=C.UTF-8`, `HOME` the data directory, `SWITCHBOARD_CORRELATION_ID`), standard input
/// from /dev/null, the script folder as working directory, in a process group of its own, with
/// a timeout and capped output.
///
/// ```swift
/// let runner = LocalStepRunner(settings: LocalActionSettings(environment: ProcessInfo.processInfo.environment, home: home))
/// let result = try await runner.run(.localScript(script: "cleanup.sh", arguments: ["--dry-run"], timeoutSeconds: 60),
///                                   correlationID: "c0a1")
/// ```
public struct LocalStepRunner: StepRunner {
    public let platform = "local"
    public let settings: LocalActionSettings

    /// Where a script's bare command names are looked up (its `PATH`).
    static let scriptPath = "/usr/local/bin:/usr/bin:/bin"
    /// Where the reboot command is looked up: the sbin folders hold `shutdown` and `reboot`.
    static let rebootPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    public init(settings: LocalActionSettings) {
        self.settings = settings
    }

    public func run(_ step: PlanStep, correlationID: String) async throws(ActionFailure) -> StepResult {
        switch step {
        case .localReboot(let delaySeconds, let force):
            return try await reboot(delaySeconds: delaySeconds, force: force, correlationID: correlationID)
        case .localScript(let script, let arguments, let timeoutSeconds):
            return try await runScript(script, arguments: arguments, timeoutSeconds: timeoutSeconds, correlationID: correlationID)
        case .platformJob, .remoteSession:
            throw .unsupported(step: step.platform, reason: "the local runner runs local steps only")
        }
    }

    private func reboot(delaySeconds: Int, force: Bool, correlationID: String) async throws(ActionFailure) -> StepResult {
        let step = "local-reboot"
        guard delaySeconds >= 0 else { throw .execution(step: step, reason: "refused: delaySeconds must not be negative, got \(delaySeconds)") }
        let command = try settings.rebootCommand(delaySeconds: delaySeconds, force: force)
        guard let name = command.first, let executable = Self.locate(name, in: Self.rebootPath) else {
            throw .execution(step: step, reason: "command '\(command.first ?? "")' not found in \(Self.rebootPath)")
        }
        let process = ChildProcess(executable: executable, arguments: Array(command.dropFirst()),
                                   environment: environment(path: Self.rebootPath, correlationID: correlationID),
                                   workingDirectory: "/", timeout: settings.rebootCommandTimeout,
                                   grace: settings.terminationGrace, outputLimit: settings.outputLimit)
        return try await result(of: process, step: step, name: command.joined(separator: " "),
                                details: ["command": command.joined(separator: " ")])
    }

    private func runScript(_ script: String, arguments: [String], timeoutSeconds: Int,
                           correlationID: String) async throws(ActionFailure) -> StepResult {
        let step = "local-script \(script)"
        guard timeoutSeconds >= 1 else { throw .execution(step: step, reason: "refused: timeoutSeconds must be at least 1, got \(timeoutSeconds)") }
        if let index = arguments.firstIndex(where: { $0.utf8.contains(0) }) {
            throw .execution(step: step, reason: "refused: argument \(index + 1) contains a NUL character")
        }
        let (folder, executable) = try resolve(script, step: step)
        let process = ChildProcess(executable: executable, arguments: arguments,
                                   environment: environment(path: Self.scriptPath, correlationID: correlationID),
                                   workingDirectory: folder, timeout: Double(timeoutSeconds),
                                   grace: settings.terminationGrace, outputLimit: settings.outputLimit)
        return try await result(of: process, step: step, name: script, details: ["script": executable])
    }

    /// The script's real path, checked: relative, no `..`, inside the script folder once symlinks
    /// are resolved, a regular file, executable, and not writable by group or others.
    private func resolve(_ script: String, step: String) throws(ActionFailure) -> (folder: String, script: String) {
        func refuse(_ reason: String) -> ActionFailure { .execution(step: step, reason: "refused: \(reason)") }
        guard let folder = Self.realPath(settings.scriptFolder) else {
            throw .unsupported(step: step, reason: "the script folder \(settings.scriptFolder) does not exist")
        }
        guard !script.isEmpty, !script.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw refuse("the script path is empty or contains control characters")
        }
        guard !script.hasPrefix("/") else { throw refuse("the script must be a path relative to the script folder \(folder)") }
        guard !script.split(separator: "/").contains("..") else { throw refuse("'..' is not allowed in a script path") }
        guard let path = Self.realPath(folder + "/" + script) else {
            throw .execution(step: step, reason: "no such script in the script folder \(folder)")
        }
        guard path.hasPrefix(folder + "/") else { throw refuse("\(script) resolves to \(path), outside the script folder \(folder)") }
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { throw refuse("\(path) is not a regular file") }
        guard access(path, X_OK) == 0 else { throw refuse("\(path) is not executable") }
        guard info.st_mode & 0o022 == 0 else {
            throw refuse("\(path) is writable by group or others (mode \(String(info.st_mode & 0o7777, radix: 8)))")
        }
        return (folder, path)
    }

    /// Runs `process` and turns its outcome into a result, or into the failure it amounts to.
    private func result(of process: ChildProcess, step: String, name: String,
                        details: [String: String]) async throws(ActionFailure) -> StepResult {
        let outcome: ChildProcess.Outcome
        do {
            outcome = try await process.run()
        } catch {
            throw .execution(step: step, reason: error.reason)
        }
        if outcome.timedOut { throw .timeout(step: step, seconds: process.timeout) }
        let standardError = String(decoding: outcome.standardError, as: UTF8.self)
        let ending: String
        switch outcome.termination {
        case .exited(0):
            return StepResult(summary: "\(name): exit 0 after \(String(format: "%.1f", outcome.duration)) s", exitCode: 0,
                              standardOutput: String(decoding: outcome.standardOutput, as: UTF8.self), standardError: standardError,
                              outputTruncated: outcome.outputTruncated, details: details)
        case .exited(let status): ending = "exited with status \(status)"
        case .signaled(let signal): ending = "killed by signal \(signal) (\(String(cString: strsignal(signal))))"
        }
        throw .execution(step: step, reason: ending + Self.tail(of: standardError))
    }

    /// `: ` and the last three non-empty lines of standard error joined by ` | `, at most 400
    /// characters; empty when there was no error output.
    static func tail(of standardError: String) -> String {
        let lines = standardError.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !lines.isEmpty else { return "" }
        let tail = lines.suffix(3).joined(separator: " | ")
        return ": " + (tail.count > 400 ? "..." + tail.suffix(400) : tail)
    }

    private func environment(path: String, correlationID: String) -> [String: String] {
        ["PATH": path, "LANG": "C.UTF-8", "HOME": settings.home, "SWITCHBOARD_CORRELATION_ID": correlationID]
    }

    /// `name` itself when it holds a '/', else the first executable file of that name in `path`.
    private static func locate(_ name: String, in path: String) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { access($0, X_OK) == 0 }
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
