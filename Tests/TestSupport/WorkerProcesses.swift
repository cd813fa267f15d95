import Foundation
import Glibc

/// Pids of the live (not yet exited) `switchboard plugin-worker` processes serving `manifest`,
/// children of `parent` when given.
public func pluginWorkers(serving manifest: String, childrenOf parent: pid_t? = nil) -> [pid_t] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { name in
        guard let pid = pid_t(name), let data = FileManager.default.contents(atPath: "/proc/\(name)/cmdline"),
              let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8) else { return nil }
        let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ')'.
        let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
        guard fields.count > 1, !fields[0].hasPrefix("Z"), parent.map({ pid_t(fields[1]) == $0 }) ?? true else { return nil }
        return arguments.contains("plugin-worker") && arguments.contains(manifest) ? pid : nil
    }
}
