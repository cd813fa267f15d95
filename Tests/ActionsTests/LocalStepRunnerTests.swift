import Actions
import Foundation
import TestSupport
import Testing

/// Local steps run for real: the reboot command (made harmless through
/// SWITCHBOARD_LOCAL_REBOOT_COMMAND) and scripts from a temporary script folder.
@Suite struct LocalStepRunnerTests {
    let folder: TemporaryFolder
    /// The script folder with symlinks resolved, as errors name it.
    let scripts: String

    init() throws {
        folder = try TemporaryFolder()
        scripts = URL(fileURLWithPath: try folder.folder("scripts")).resolvingSymlinksInPath().path
    }

    func runner(_ environment: [String: String] = [:], outputLimit: Int? = nil) -> LocalStepRunner {
        var settings = LocalActionSettings(environment: environment, home: folder.root)
        settings.terminationGrace = 0.2
        if let outputLimit { settings.outputLimit = outputLimit }
        return LocalStepRunner(settings: settings)
    }

    @discardableResult
    func script(_ name: String, _ body: String, mode: mode_t = 0o755) throws -> String {
        try folder.write("#!/bin/sh\n" + body + "\n", to: "scripts/" + name, mode: mode)
    }

    func run(_ script: String, _ arguments: [String] = [], timeout: Int = 10, runner: LocalStepRunner? = nil) async throws -> StepResult {
        try await (runner ?? self.runner()).run(.localScript(script: script, arguments: arguments, timeoutSeconds: timeout), correlationID: "c0a1")
    }

    func failure(_ step: PlanStep, runner: LocalStepRunner? = nil) async -> ActionFailure? {
        do {
            _ = try await (runner ?? self.runner()).run(step, correlationID: "c0a1")
            return nil
        } catch {
            return error
        }
    }

    func failure(_ script: String) async -> ActionFailure? {
        await failure(.localScript(script: script, arguments: [], timeoutSeconds: 10))
    }

    // MARK: Settings

    @Test func settingsComeFromTheDataDirectoryAndTheEnvironment() throws {
        let defaults = LocalActionSettings(environment: ["SWITCHBOARD_LOCAL_REBOOT_COMMAND": " ", "SWITCHBOARD_SCRIPT_FOLDER": ""],
                                           home: "/var/lib/switchboard")
        #expect(defaults == LocalActionSettings(scriptFolder: "/var/lib/switchboard/scripts", home: "/var/lib/switchboard"))
        #expect(defaults.outputLimit == 65536)
        let overridden = LocalActionSettings(
            environment: ["SWITCHBOARD_LOCAL_REBOOT_COMMAND": "/opt/bin/reboot-later  --in\t{delayMinutes}", "SWITCHBOARD_SCRIPT_FOLDER": "/srv/scripts"],
            home: "/var/lib/switchboard")
        #expect(overridden.rebootCommand == ["/opt/bin/reboot-later", "--in", "{delayMinutes}"])
        #expect(overridden.scriptFolder == "/srv/scripts")
    }

    @Test func builtInRebootCommands() throws {
        let settings = LocalActionSettings(scriptFolder: "/s", home: "/h")
        #expect(try settings.rebootCommand(delaySeconds: 0, force: false) == ["systemctl", "reboot"])
        #expect(try settings.rebootCommand(delaySeconds: 0, force: true) == ["systemctl", "reboot", "--ignore-inhibitors"])
        #expect(try settings.rebootCommand(delaySeconds: 60, force: true) == ["shutdown", "-r", "+1"])
        #expect(try settings.rebootCommand(delaySeconds: 61, force: false) == ["shutdown", "-r", "+2"])
    }

    @Test func configuredRebootCommandsGetTheValuesThroughPlaceholders() throws {
        let settings = LocalActionSettings(rebootCommand: ["reboot-at", "--seconds={delaySeconds}", "{delayMinutes}m", "--force={force}"],
                                           scriptFolder: "/s", home: "/h")
        #expect(try settings.rebootCommand(delaySeconds: 90, force: true) == ["reboot-at", "--seconds=90", "2m", "--force=true"])
        let fixed = LocalActionSettings(rebootCommand: ["/sbin/reboot"], scriptFolder: "/s", home: "/h")
        #expect(try fixed.rebootCommand(delaySeconds: 0, force: true) == ["/sbin/reboot"])
        #expect(throws: ActionFailure.unsupported(step: "local-reboot", reason:
            "the configured reboot command '/sbin/reboot' takes no delay (no {delaySeconds} or {delayMinutes}); ask for delaySeconds 0")) {
            try fixed.rebootCommand(delaySeconds: 30, force: false)
        }
    }

    // MARK: Reboot

    @Test func rebootRunsTheConfiguredCommand() async throws {
        let recorder = try folder.write("""
            #!/bin/sh
            printf '%s\\n' "$@" > "$HOME/argv.txt"
            printf '%s\\n' "$SWITCHBOARD_CORRELATION_ID" "$(pwd)" >> "$HOME/argv.txt"
            echo "reboot scheduled"
            """, to: "bin/record-reboot", mode: 0o755)
        let rebooter = runner(["SWITCHBOARD_LOCAL_REBOOT_COMMAND": "\(recorder) {delayMinutes} --seconds={delaySeconds} {force}"])
        let result = try await rebooter.run(.localReboot(delaySeconds: 90, force: true), correlationID: "c0a1")
        #expect(try String(contentsOfFile: folder.root + "/argv.txt", encoding: .utf8) == "2\n--seconds=90\ntrue\nc0a1\n/\n")
        #expect(result.exitCode == 0)
        #expect(result.standardOutput == "reboot scheduled\n")
        #expect(result.summary.hasPrefix("\(recorder) 2 --seconds=90 true: exit 0 after "))
        #expect(result.details == ["command": "\(recorder) 2 --seconds=90 true"])
    }

    @Test func rebootFailuresNameTheCommand() async throws {
        let failing = try folder.write("#!/bin/sh\necho 'Failed to reboot: access denied' >&2\nexit 1\n", to: "bin/deny", mode: 0o755)
        #expect(await failure(.localReboot(delaySeconds: 0, force: false), runner: runner(["SWITCHBOARD_LOCAL_REBOOT_COMMAND": failing]))
                == .execution(step: "local-reboot", reason: "exited with status 1: Failed to reboot: access denied"))
        #expect(await failure(.localReboot(delaySeconds: 0, force: false),
                              runner: runner(["SWITCHBOARD_LOCAL_REBOOT_COMMAND": "no-such-reboot-command now"]))
                == .execution(step: "local-reboot", reason: "command 'no-such-reboot-command' not found in /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"))
        #expect(await failure(.localReboot(delaySeconds: 60, force: false), runner: runner(["SWITCHBOARD_LOCAL_REBOOT_COMMAND": failing]))
                == .unsupported(step: "local-reboot", reason:
                    "the configured reboot command '\(failing)' takes no delay (no {delaySeconds} or {delayMinutes}); ask for delaySeconds 0"))
        #expect(await failure(.localReboot(delaySeconds: -5, force: false), runner: runner(["SWITCHBOARD_LOCAL_REBOOT_COMMAND": failing]))
                == .execution(step: "local-reboot", reason: "refused: delaySeconds must not be negative, got -5"))
    }

    // MARK: Scripts

    @Test func scriptRunsWithoutAShellAndItsOutputIsCaptured() async throws {
        try script("tools/show.sh", """
            for argument in "$@"; do echo "[$argument]"; done
            echo "cwd $(pwd)"
            echo "warning: nothing to clean" >&2
            """)
        let result = try await run("tools/show.sh", ["$HOME", "*", "a b", "'q'", ""])
        #expect(result.exitCode == 0)
        #expect(result.standardOutput == "[$HOME]\n[*]\n[a b]\n['q']\n[]\ncwd \(scripts)\n")
        #expect(result.standardError == "warning: nothing to clean\n")
        #expect(!result.outputTruncated)
        #expect(result.summary.hasPrefix("tools/show.sh: exit 0 after "))
        #expect(result.details == ["script": scripts + "/tools/show.sh"])
    }

    @Test func scriptFailureNamesTheStatusAndTheTailOfItsErrors() async throws {
        try script("fail.sh", "echo one >&2\necho two >&2\necho >&2\necho '  three  ' >&2\necho four >&2\nexit 3")
        #expect(await failure("fail.sh") == .execution(step: "local-script fail.sh", reason: "exited with status 3: two | three | four"))
        try script("quiet.sh", "exit 1")
        #expect(await failure("quiet.sh") == .execution(step: "local-script quiet.sh", reason: "exited with status 1"))
        try script("killed.sh", "echo dying >&2\nkill -9 $$")
        #expect(await failure("killed.sh") == .execution(step: "local-script killed.sh", reason: "killed by signal 9 (Killed): dying"))
    }

    @Test func timeoutStopsTheScriptAndWhatItStarted() async throws {
        // The script and its child ignore SIGTERM, so only the SIGKILL that follows stops them.
        try script("hang.sh", "trap '' TERM\nsleep 30 &\necho $! > \"$HOME/child.pid\"\nwait")
        let started = ContinuousClock.now
        #expect(await failure(.localScript(script: "hang.sh", arguments: [], timeoutSeconds: 1))
                == .timeout(step: "local-script hang.sh", seconds: 1))
        #expect(ContinuousClock.now - started < .seconds(20), "waited for the 30 s child")
        let child = try #require(Int32(String(contentsOfFile: folder.root + "/child.pid", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        let deadline = ContinuousClock.now + .seconds(2)
        while Self.isRunning(child), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(!Self.isRunning(child))
    }

    @Test func whatAScriptLeavesRunningIsStoppedWhenItEnds() async throws {
        try script("leave.sh", "sleep 30 &\necho $! > \"$HOME/left.pid\"\necho started")
        let started = ContinuousClock.now
        let result = try await run("leave.sh")
        #expect(result.standardOutput == "started\n")
        #expect(ContinuousClock.now - started < .seconds(20), "waited for the 30 s child")
        let child = try #require(Int32(String(contentsOfFile: folder.root + "/left.pid", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        let deadline = ContinuousClock.now + .seconds(2)
        while Self.isRunning(child), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(!Self.isRunning(child))
    }

    @Test func outputIsCappedWhileTheScriptRunsOn() async throws {
        // 1 MiB, far beyond a pipe's buffer: the script must never block on a full pipe.
        try script("chatty.sh", "head -c 1048576 /dev/zero | tr '\\0' x\nhead -c 3000 /dev/zero | tr '\\0' y >&2\necho done >&2")
        let result = try await run("chatty.sh")
        #expect(result.standardOutput == String(repeating: "x", count: 65536))
        #expect(result.standardError == String(repeating: "y", count: 3000) + "done\n")
        #expect(result.outputTruncated)
        let small = try await run("chatty.sh", runner: runner(outputLimit: 1000))
        #expect(small.standardOutput == String(repeating: "x", count: 1000))
        #expect(small.standardError == String(repeating: "y", count: 1000))
        #expect(small.outputTruncated)
    }

    @Test func scriptGetsACleanEnvironmentAndNoInput() async throws {
        // /usr/bin/env itself, copied into the folder, prints exactly the environment it was given.
        try FileManager.default.copyItem(atPath: "/usr/bin/env", toPath: scripts + "/printenv")
        let result = try await run("printenv")
        #expect(result.standardOutput == """
            HOME=\(folder.root)
            LANG=C.UTF-8
            PATH=/usr/local/bin:/usr/bin:/bin
            SWITCHBOARD_CORRELATION_ID=c0a1

            """)
        try script("read.sh", "cat\necho \"stdin closed\"")
        #expect(try await run("read.sh").standardOutput == "stdin closed\n")
    }

    @Test func scriptsOutsideTheFolderOrNotExecutableAreRefused() async throws {
        let marker = folder.root + "/ran"
        try script("notes.txt", "touch \(marker)", mode: 0o644)
        try script("shared.sh", "touch \(marker)", mode: 0o777)
        try folder.folder("scripts/subdir")
        try folder.write("#!/bin/sh\ntouch \(marker)\n", to: "elsewhere/x.sh", mode: 0o755)
        try FileManager.default.createSymbolicLink(atPath: scripts + "/link.sh", withDestinationPath: "/etc/passwd")
        try FileManager.default.createSymbolicLink(atPath: scripts + "/out", withDestinationPath: folder.root + "/elsewhere")
        let elsewhere = URL(fileURLWithPath: folder.root + "/elsewhere").resolvingSymlinksInPath().path

        func refused(_ script: String, _ reason: String) -> ActionFailure {
            .execution(step: "local-script \(script)", reason: "refused: \(reason)")
        }
        #expect(await failure("../x") == refused("../x", "'..' is not allowed in a script path"))
        #expect(await failure("tools/../../elsewhere/x.sh") == refused("tools/../../elsewhere/x.sh", "'..' is not allowed in a script path"))
        #expect(await failure("/etc/passwd") == refused("/etc/passwd", "the script must be a path relative to the script folder \(scripts)"))
        #expect(await failure("link.sh") == refused("link.sh", "link.sh resolves to /etc/passwd, outside the script folder \(scripts)"))
        #expect(await failure("out/x.sh") == refused("out/x.sh", "out/x.sh resolves to \(elsewhere)/x.sh, outside the script folder \(scripts)"))
        #expect(await failure("notes.txt") == refused("notes.txt", "\(scripts)/notes.txt is not executable"))
        #expect(await failure("shared.sh") == refused("shared.sh", "\(scripts)/shared.sh is writable by group or others (mode 777)"))
        #expect(await failure("subdir") == refused("subdir", "\(scripts)/subdir is not a regular file"))
        #expect(await failure("a\u{1b}b.sh") == refused("a\u{1b}b.sh", "the script path is empty or contains control characters"))
        #expect(await failure("nope.sh") == .execution(step: "local-script nope.sh", reason: "no such script in the script folder \(scripts)"))
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test func stepsTheLocalRunnerCannotRun() async throws {
        try script("ok.sh", "true")
        #expect(await failure(.localScript(script: "ok.sh", arguments: [], timeoutSeconds: 0))
                == .execution(step: "local-script ok.sh", reason: "refused: timeoutSeconds must be at least 1, got 0"))
        #expect(await failure(.localScript(script: "ok.sh", arguments: ["a", "b\u{0}c"], timeoutSeconds: 5))
                == .execution(step: "local-script ok.sh", reason: "refused: argument 2 contains a NUL character"))
        let missing = folder.root + "/no-scripts"
        #expect(await failure(.localScript(script: "ok.sh", arguments: [], timeoutSeconds: 5),
                              runner: runner(["SWITCHBOARD_SCRIPT_FOLDER": missing]))
                == .unsupported(step: "local-script ok.sh", reason: "the script folder \(missing) does not exist"))
        #expect(await failure(.remoteSession(platform: "datto", device: "7f3c"))
                == .unsupported(step: "datto", reason: "the local runner runs local steps only"))
    }

    /// Whether `pid` is a live process (a zombie counts as gone).
    static func isRunning(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).prefix(1)
        return state != "Z" && state != "X"
    }
}
