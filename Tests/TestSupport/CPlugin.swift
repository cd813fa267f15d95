import Foundation

extension TemporaryFolder {
    /// The header as a plugin author would have it: copied into an include folder of their own.
    public func installHeader() throws -> String {
        let include = try folder("include")
        if !FileManager.default.fileExists(atPath: include + "/switchboard_plugin.h") {
            try FileManager.default.copyItem(atPath: Paths.header, toPath: include + "/switchboard_plugin.h")
        }
        return include
    }

    /// Compiles a C fixture into a shared object with `cc -shared -fPIC`, as an author would.
    public func compileC(_ source: String, to output: String, defines: [String] = []) async throws {
        let include = try installHeader()
        let result = try await runProcess("/usr/bin/env", ["cc", "-shared", "-fPIC", "-O2", "-fvisibility=hidden", "-I", include]
                             + defines.map { "-D" + $0 } + ["-o", output, source])
        guard result.status == 0 else { throw CompileError(output: result.stderr) }
        chmod(output, 0o755)
    }
}

/// A C fixture did not compile; `output` is what the compiler said.
public struct CompileError: Error {
    public let output: String
}
