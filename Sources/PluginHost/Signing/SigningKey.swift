import Crypto
import Foundation
import Glibc

/// An Ed25519 private key that signs plugin manifests, kept in a JSON file that only its owner may
/// read: `{"name": "acme-msp", "privateKey": "<base64 of the 32-byte key>"}`.
///
/// ```swift
/// try SigningKey.generate(name: "acme-msp").write(to: "acme-msp.key")
/// let key = try SigningKey.read(from: "acme-msp.key")
/// let signed = try key.sign(PluginCandidate(manifestPath: "echo/manifest.json", libraryFolder: "echo", origin: .pluginPath))
/// ```
public struct SigningKey: Sendable {
    /// The name written into each signature (the policy lists the plugins under its own name for the key).
    public let name: String
    private let key: Curve25519.Signing.PrivateKey
    private static let privateKeyLength = 32

    private init(name: String, key: Curve25519.Signing.PrivateKey) {
        self.name = name
        self.key = key
    }

    /// A new random key.
    public static func generate(name: String) -> SigningKey {
        SigningKey(name: name, key: Curve25519.Signing.PrivateKey())
    }

    /// The same key, writing `name` into the signatures it makes.
    public func named(_ name: String) -> SigningKey {
        SigningKey(name: name, key: key)
    }

    /// The raw 32-byte Ed25519 public key, as the policy's `trustedKeys` holds it (in base64).
    public var publicKey: Data { key.publicKey.rawRepresentation }

    /// Writes the key to a new file with mode 0600; an existing file is never overwritten.
    public func write(to path: String) throws(PluginLoadError) {
        func fail(_ reason: String) -> PluginLoadError { PluginLoadError(file: path, subject: "", problem: .invalidValue(reason)) }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw fail(errno == EEXIST ? "already exists; refusing to overwrite it" : "cannot create: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let content = JSONValue.object(["name": .string(name), "privateKey": .string(key.rawRepresentation.base64EncodedString())])
        let bytes = Array(content.serialized(pretty: true)) + [0x0A]
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(descriptor) == 0 else { throw fail("cannot write: \(String(cString: strerror(errno)))") }
    }

    /// Reads a key file, refusing one that group or others may read.
    public static func read(from path: String) throws(PluginLoadError) -> SigningKey {
        var status = stat()
        if stat(path, &status) == 0, status.st_mode & 0o077 != 0 {
            throw PluginLoadError(file: path, subject: "", problem: .invalidValue(
                "the private key is readable by group or others (mode \(String(status.st_mode & 0o777, radix: 8))); run chmod 600 \(path)"))
        }
        let data = try PluginLoader.readBounded(path, limit: ManifestSignature.maximumSize, what: "key file", subject: "")
        let json: JSONValue
        do { json = try JSONValue.parse(data) } catch { throw PluginLoadError(file: path, subject: "", problem: .malformedJSON(error.reason)) }
        let reader = FieldReader(file: path, documentSubject: "")
        let fields = try reader.object(json, at: "")
        try reader.rejectUnknownFields(fields, allowed: ["name", "privateKey"], at: "")
        let name = try reader.string(fields, "name", matching: PluginPolicy.TrustedKey.isValidName, maxLength: 64,
                                     rule: PluginPolicy.TrustedKey.nameRule)
        let raw = try reader.base64(fields, "privateKey", length: Self.privateKeyLength, what: "Ed25519 private key")
        // Any 32 bytes are a valid Ed25519 private key (a seed), so this cannot fail after the length check.
        guard let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) else {
            throw reader.error("privateKey", .invalidValue("not an Ed25519 private key"))
        }
        return SigningKey(name: name, key: key)
    }

    /// Signs the plugin `candidate` describes and writes the signature beside its manifest. The
    /// manifest must be valid and pin the library's current sha256: a signature vouches for both.
    /// Returns the manifest and the signature file.
    public func sign(_ candidate: PluginCandidate) throws(PluginLoadError) -> (manifest: Manifest, signatureFile: String) {
        let document = try PluginLoader(logSink: { _ in }, policy: PluginPolicy()).readManifest(candidate)
        let manifest = document.manifest
        let library = try LibraryFile.verify(library: manifest.library, folder: candidate.libraryFolder, manifestFile: candidate.manifestPath)
        guard library.sha256 == manifest.sha256 else {
            throw PluginLoadError(file: candidate.manifestPath, subject: "sha256",
                                  problem: .sha256Mismatch(declared: manifest.sha256, actual: library.sha256))
        }
        let file = ManifestSignature.path(forManifest: candidate.manifestPath)
        do {
            let signature = ManifestSignature(signer: name, publicKey: publicKey, signature: try key.signature(for: document.bytes))
            try (signature.json.serialized(pretty: true) + Data([0x0A])).write(to: URL(fileURLWithPath: file), options: .atomic)
        } catch {
            throw PluginLoadError(file: file, subject: "", problem: .invalidValue("cannot write: \(error.localizedDescription)"))
        }
        return (manifest, file)
    }
}
