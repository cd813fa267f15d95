/// Why one plugin was rejected, or why the plugin policy is unusable: the file it concerns, the
/// field, symbol or part of it, and the problem. Its description is the line users see, e.g.
/// `Manifests/atera.json: entryPoints[1].signature: unknown C type 'int128' (known: ...)`.
public struct PluginLoadError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file the problem was found in: a manifest, its signature, a signing key or a policy.
    public let file: String
    /// The field path (`entryPoints[1].signature`), symbol name, or `library`; empty when the
    /// problem concerns the whole file.
    public let subject: String
    public let problem: Problem

    public init(file: String, subject: String, problem: Problem) {
        self.file = file
        self.subject = subject
        self.problem = problem
    }

    public var description: String { subject.isEmpty ? "\(file): \(problem)" : "\(file): \(subject): \(problem)" }

    /// The problems a plugin can be rejected for.
    public enum Problem: Equatable, Sendable, CustomStringConvertible {
        case unreadable(String)
        case tooLarge(what: String, bytes: Int, limit: Int)
        case malformedJSON(String)
        case missing
        case wrongType(expected: String, actual: String)
        case unknownField
        case invalidValue(String)
        case badSignature(CSignatureError)
        case contractViolation(role: EntryPointRole, declared: CSignature)
        case missingRole(EntryPointRole)
        case libraryNotFound(path: String)
        case libraryOutsideFolder(path: String, folder: String)
        case notRegularFile(path: String)
        case writableByOthers(path: String, mode: UInt32)
        case notSharedObject(path: String, reason: String)
        case sha256Mismatch(declared: String, actual: String)
        case abiMismatch(declared: Int64, host: Int64)
        case dlopenFailed(String)
        case symbolMissing(String)
        case selfDescriptionMismatch(field: String, manifest: String, library: String)
        case initFailed(status: Int32)
        case duplicateID(firstManifest: String)
        /// The worker process of a process-isolated plugin rejected it; the loader's own words.
        case rejectedInWorker(String)
        /// The worker process of a process-isolated plugin could not be started.
        case workerUnavailable(String)
        case notBase64
        case wrongLength(what: String, expected: Int, actual: Int)
        case untrustedKey
        case signatureMismatch
        case unsignedPlugin
        case policyUnusable(String)
        /// The manifest's capabilities declare more than the policy entry `entry` allows.
        case exceedsPolicy(declared: [String], allowed: [String], entry: String)

        public var description: String {
            switch self {
            case .unreadable(let reason): "cannot read: \(reason)"
            case .tooLarge(let what, let bytes, let limit): "\(what) is \(bytes) bytes, over the limit of \(limit) bytes"
            case .malformedJSON(let reason): "malformed JSON: \(reason)"
            case .missing: "missing required field"
            case .wrongType(let expected, let actual): "expected \(expected), got \(actual)"
            case .unknownField: "unknown field"
            case .invalidValue(let reason): reason
            case .badSignature(let error): error.description
            case .contractViolation(let role, let declared):
                "role '\(role.rawValue)' requires \(role.contract), declared \(declared)"
            case .missingRole(let role): "no entry point for required role '\(role.rawValue)'"
            case .libraryNotFound(let path): "library not found at \(path)"
            case .libraryOutsideFolder(let path, let folder): "library \(path) resolves outside the plugin folder \(folder)"
            case .notRegularFile(let path): "\(path) is not a regular file"
            case .writableByOthers(let path, let mode):
                "\(path) is writable by group or others (mode \(String(mode & 0o7777, radix: 8))); refusing to load it"
            case .notSharedObject(let path, let reason): "\(path) is not an ELF shared object: \(reason)"
            case .sha256Mismatch(let declared, let actual): "sha256 mismatch: manifest declares \(declared), library is \(actual)"
            case .abiMismatch(let declared, let host): "ABI major \(declared) does not match the host's ABI major \(host)"
            case .dlopenFailed(let reason): "dlopen failed: \(reason)"
            case .symbolMissing(let reason): "declared symbol not found: \(reason)"
            case .selfDescriptionMismatch(let field, let manifest, let library):
                "self-description \(field) '\(library)' does not match the manifest's '\(manifest)'"
            case .initFailed(let status): "init returned \(PluginStatus.name(status))"
            case .duplicateID(let first): "duplicate plugin id, already provided by \(first)"
            case .rejectedInWorker(let problem): problem
            case .workerUnavailable(let reason): reason
            case .notBase64: "not valid base64"
            case .wrongLength(let what, let expected, let actual): "expected a \(expected)-byte \(what), got \(actual) bytes"
            case .untrustedKey: "not a trusted key"
            case .signatureMismatch: "does not verify against the manifest"
            case .unsignedPlugin: "unsigned plugin: the policy requires signed plugins (requireSignedPlugins)"
            case .policyUnusable(let reason): "only bundled plugins load while the plugin policy is invalid (\(reason))"
            case .exceedsPolicy(let declared, let allowed, let entry):
                "declares \(declared.map { "'\($0)'" }.joined(separator: ", ")) but the policy allows "
                    + (allowed.isEmpty ? "none" : "only \(allowed.joined(separator: ", "))") + " (\(entry))"
            }
        }
    }
}

/// Names for the `sb_status` codes of switchboard_plugin.h.
public enum PluginStatus {
    public static func name(_ status: Int32) -> String {
        switch status {
        case 0: "SB_OK (0)"
        case 1: "SB_ERR_INVALID_INPUT (1)"
        case 2: "SB_ERR_UNSUPPORTED (2)"
        case 3: "SB_ERR_INTERNAL (3)"
        case 4: "SB_ERR_NO_MEMORY (4)"
        case 5: "SB_ERR_NOT_INITIALIZED (5)"
        default: "unknown status \(status)"
        }
    }
}
