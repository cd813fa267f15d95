import Foundation

/// A temporary folder for one test, removed when the test ends.
public final class TemporaryFolder: Sendable {
    public let root: String

    public init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// Creates `relative` (and its parents) and returns its path.
    @discardableResult
    public func folder(_ relative: String) throws -> String {
        let path = root + "/" + relative
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Writes `text` to `relative` (creating its folder) with `mode`, and returns its path.
    @discardableResult
    public func write(_ text: String, to relative: String, mode: mode_t = 0o600) throws -> String {
        let path = root + "/" + relative
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, mode)
        return path
    }

    /// Runs the real `switchboard` binary with `home` (default `<root>/home`) as its data
    /// directory and no inherited `SWITCHBOARD_*` setting.
    public func switchboard(_ arguments: [String], home: String? = nil, environment extra: [String: String] = [:],
                            stdin: String? = nil) async throws -> ProcessResult {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SWITCHBOARD_") }
        environment["SWITCHBOARD_HOME"] = home ?? root + "/home"
        environment.merge(extra) { $1 }
        return try await runProcess(Paths.switchboard, arguments, environment: environment, stdin: stdin)
    }
}

/// How a program ended and what it printed.
public struct ProcessResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

/// Runs a program to completion, capturing its output.
///
/// The wait happens on a thread of its own: the concurrency pool has only as many threads as the
/// machine has cores, and a test blocked there would stall every other test's HTTP exchanges.
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                       stdin: String? = nil) async throws -> ProcessResult {
    try await withCheckedThrowingContinuation { continuation in
        Thread {
            continuation.resume(with: Result { try runProcessBlocking(executable, arguments, environment: environment, stdin: stdin) })
        }.start()
    }
}

private func runProcessBlocking(_ executable: String, _ arguments: [String], environment: [String: String]?,
                                stdin: String?) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = environment ?? ProcessInfo.processInfo.environment
    let out = Pipe(), err = Pipe(), input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    // Read both pipes before waiting, so a chatty child cannot block on a full pipe.
    let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
    let stderrData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
                         stderr: String(decoding: stderrData, as: UTF8.self))
}

/// The SHA-256 of a file, as `sha256sum` prints it.
public func sha256(of path: String) async throws -> String {
    String(try await runProcess("/usr/bin/env", ["sha256sum", path]).stdout.prefix(64))
}
