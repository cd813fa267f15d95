import Foundation
import Glibc
import SwitchboardABI

/// Loads one plugin, all or nothing: manifest, signature, library checks, dlopen, symbols, call
/// interfaces, self-description, init. Any failure rejects the plugin with the precise reason.
struct PluginLoader {
    let logSink: PluginLogSink
    let policy: PluginPolicy

    /// A valid manifest and the exact bytes it was read from (what a signature signs).
    struct ManifestFile {
        let manifest: Manifest
        let bytes: Data
    }

    /// Reads and validates the manifest of `candidate`.
    func readManifest(_ candidate: PluginCandidate) throws(PluginLoadError) -> ManifestFile {
        let file = candidate.manifestPath
        let data = try Self.readBounded(file, limit: Manifest.maximumSize, what: "manifest", subject: "manifest")
        let json: JSONValue
        do {
            json = try JSONValue.parse(data)
        } catch {
            throw PluginLoadError(file: file, subject: "manifest", problem: .malformedJSON(error.reason))
        }
        let manifest = try Manifest(json: json, file: file)
        guard manifest.abi == Int64(SB_ABI_MAJOR) else {
            throw PluginLoadError(file: file, subject: "abi", problem: .abiMismatch(declared: manifest.abi, host: Int64(SB_ABI_MAJOR)))
        }
        return ManifestFile(manifest: manifest, bytes: data)
    }

    /// Checks the manifest's signature against the policy, before anything of the library is
    /// touched. A signature that is present must be valid and by a trusted key, even when the
    /// policy does not require one; bundled plugins need none.
    func verifySignature(_ manifest: ManifestFile, of candidate: PluginCandidate) throws(PluginLoadError) -> PluginSigner {
        let bundled = candidate.origin == .bundled
        if !bundled, let problem = policy.problem {
            throw PluginLoadError(file: candidate.manifestPath, subject: "policy", problem: .policyUnusable(problem))
        }
        let file = ManifestSignature.path(forManifest: candidate.manifestPath)
        var status = stat()
        if lstat(file, &status) != 0, errno == ENOENT {
            guard bundled || !policy.requireSignedPlugins else {
                throw PluginLoadError(file: candidate.manifestPath, subject: "signature", problem: .unsignedPlugin)
            }
            return .unsigned
        }
        let data = try Self.readBounded(file, limit: ManifestSignature.maximumSize, what: "signature file", subject: "")
        let signature = try ManifestSignature(data: data, file: file)
        guard let key = policy.trustedKey(signature.publicKey) else {
            throw PluginLoadError(file: file, subject: "publicKey", problem: .untrustedKey)
        }
        guard signature.isValid(for: manifest.bytes) else {
            throw PluginLoadError(file: file, subject: "signature", problem: .signatureMismatch)
        }
        return .trustedKey(name: key.name)
    }

    /// Verifies, opens and initializes the library a valid manifest describes, in this process.
    func load(_ manifest: Manifest, from candidate: PluginCandidate) throws(PluginLoadError) -> LoadedPlugin {
        let libraryFile = try verify(manifest, from: candidate)
        let (library, interfaces) = try open(manifest, libraryFile: libraryFile, file: candidate.manifestPath)
        return LoadedPlugin(manifest: manifest, file: libraryFile, backend: .inProcess(library: library, interfaces: interfaces))
    }

    /// The checks that run no plugin code: where the library is, what kind of file it is, and
    /// that its bytes are the ones the manifest pins.
    func verify(_ manifest: Manifest, from candidate: PluginCandidate) throws(PluginLoadError) -> LibraryFile {
        let file = candidate.manifestPath
        let libraryFile = try LibraryFile.verify(library: manifest.library, folder: candidate.libraryFolder, manifestFile: file)
        guard libraryFile.sha256 == manifest.sha256 else {
            throw PluginLoadError(file: file, subject: "sha256",
                                  problem: .sha256Mismatch(declared: manifest.sha256, actual: libraryFile.sha256))
        }
        return libraryFile
    }

    /// dlopen, every symbol, a call interface per entry point, the self-description and init.
    private func open(_ manifest: Manifest, libraryFile: LibraryFile,
                      file: String) throws(PluginLoadError) -> (DynamicLibrary, [EntryPointRole: CallInterface]) {
        let library: DynamicLibrary
        do {
            library = try DynamicLibrary(path: libraryFile.path)
        } catch {
            throw PluginLoadError(file: file, subject: "library", problem: .dlopenFailed(error.message))
        }
        var interfaces: [EntryPointRole: CallInterface] = [:]
        for entry in manifest.entryPoints {
            do {
                let address = try library.address(of: entry.symbol)
                interfaces[entry.role] = try CallInterface(signature: entry.signature, code: address, symbol: entry.symbol)
            } catch let error as DynamicLibraryError {
                throw PluginLoadError(file: file, subject: entry.symbol, problem: .symbolMissing(error.message))
            } catch {
                throw PluginLoadError(file: file, subject: entry.symbol, problem: .invalidValue("\(error)"))
            }
        }
        // Both roles are required by manifest validation, so both interfaces exist here.
        if let describe = interfaces[.describe] {
            try checkSelfDescription(describe, manifest: manifest, file: file)
        }
        if let initialize = interfaces[.initialize] {
            let table = HostAPITable.make(pluginID: manifest.id, sink: logSink)
            let status = initialize.callReturningStatus(UnsafeRawPointer(table))
            guard status == SB_OK.rawValue else {
                throw PluginLoadError(file: file, subject: initialize.symbol, problem: .initFailed(status: status))
            }
        }
        return (library, interfaces)
    }

    /// Compares the plugin's `sb_plugin_info` with its manifest, reading only the fields the
    /// plugin says it has.
    private func checkSelfDescription(_ describe: CallInterface, manifest: Manifest, file: String) throws(PluginLoadError) {
        func mismatch(_ field: String, _ expected: String, _ actual: String) -> PluginLoadError {
            PluginLoadError(file: file, subject: describe.symbol,
                            problem: .selfDescriptionMismatch(field: field, manifest: expected, library: actual))
        }
        guard let raw = describe.callReturningPointer() else {
            throw PluginLoadError(file: file, subject: describe.symbol, problem: .invalidValue("describe returned NULL"))
        }
        let info = raw.assumingMemoryBound(to: sb_plugin_info.self).pointee
        guard info.struct_size >= UInt32(MemoryLayout<sb_plugin_info>.size) else {
            throw mismatch("struct_size", "\(MemoryLayout<sb_plugin_info>.size)", "\(info.struct_size)")
        }
        guard Int64(info.abi_major) == manifest.abi else {
            throw mismatch("abi_major", "\(manifest.abi)", "\(info.abi_major)")
        }
        let id = info.id.map { String(cString: $0) } ?? ""
        guard id == manifest.id else { throw mismatch("id", manifest.id, id) }
        let version = info.version.map { String(cString: $0) } ?? ""
        guard version == manifest.version else { throw mismatch("version", manifest.version, version) }
    }

    /// Reads at most `limit` bytes of a regular file, refusing anything larger without reading it.
    /// Errors name `subject` and say `what` the file is.
    static func readBounded(_ path: String, limit: Int, what: String, subject: String) throws(PluginLoadError) -> Data {
        func fail(_ problem: PluginLoadError.Problem) -> PluginLoadError {
            PluginLoadError(file: path, subject: subject, problem: problem)
        }
        var status = stat()
        guard stat(path, &status) == 0 else { throw fail(.unreadable(String(cString: strerror(errno)))) }
        guard status.st_mode & S_IFMT == S_IFREG else { throw fail(.unreadable("not a regular file")) }
        guard Int(status.st_size) <= limit else {
            throw fail(.tooLarge(what: what, bytes: Int(status.st_size), limit: limit))
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw fail(.unreadable(String(cString: strerror(errno))))
        }
        defer { try? handle.close() }
        do {
            let data = try handle.read(upToCount: limit + 1) ?? Data()
            guard data.count <= limit else {
                throw fail(.tooLarge(what: what, bytes: data.count, limit: limit))
            }
            return data
        } catch let error as PluginLoadError {
            throw error
        } catch {
            throw fail(.unreadable("\(error)"))
        }
    }
}
