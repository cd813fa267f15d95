import Crypto
import Foundation

/// The detached Ed25519 signature of a manifest: `manifest.sig` beside a drop-in's
/// `manifest.json`, `<id>.json.sig` beside a bundled manifest. It signs the manifest file's exact
/// bytes; the manifest pins its library's sha256, so the signature vouches for the library too.
///
/// ```swift
/// let file = ManifestSignature.path(forManifest: "/opt/plugins/echo/manifest.json")   // .../manifest.sig
/// let signature = try ManifestSignature(data: Data(contentsOf: URL(fileURLWithPath: file)), file: file)
/// signature.isValid(for: manifestBytes)
/// ```
public struct ManifestSignature: Sendable, Equatable {
    /// The name the signer gave its key. Only informational: a plugin is listed under the name the
    /// policy gives the trusted key.
    public let signer: String
    /// The raw 32-byte Ed25519 public key of the signer.
    public let publicKey: Data
    /// The 64-byte Ed25519 signature of the manifest's bytes.
    public let signature: Data

    static let publicKeyLength = 32
    static let signatureLength = 64
    /// The largest signature file read: its JSON is a few hundred bytes.
    static let maximumSize = 4096

    init(signer: String, publicKey: Data, signature: Data) {
        self.signer = signer
        self.publicKey = publicKey
        self.signature = signature
    }

    /// The signature file of the manifest at `manifest`.
    public static func path(forManifest manifest: String) -> String {
        (manifest as NSString).lastPathComponent == "manifest.json" ? String(manifest.dropLast("json".count)) + "sig" : manifest + ".sig"
    }

    /// Parses a signature file's content; errors name `file` and the field.
    public init(data: Data, file: String) throws(PluginLoadError) {
        let json: JSONValue
        do { json = try JSONValue.parse(data) } catch { throw PluginLoadError(file: file, subject: "", problem: .malformedJSON(error.reason)) }
        let reader = FieldReader(file: file, documentSubject: "")
        let fields = try reader.object(json, at: "")
        try reader.rejectUnknownFields(fields, allowed: ["signer", "publicKey", "signature"], at: "")
        signer = try reader.string(fields, "signer")
        publicKey = try reader.base64(fields, "publicKey", length: Self.publicKeyLength, what: "Ed25519 public key")
        signature = try reader.base64(fields, "signature", length: Self.signatureLength, what: "Ed25519 signature")
    }

    /// The signature file's content.
    public var json: JSONValue {
        .object(["signer": .string(signer), "publicKey": .string(publicKey.base64EncodedString()),
                 "signature": .string(signature.base64EncodedString())])
    }

    /// Whether the signature is `publicKey`'s over exactly `manifest`.
    public func isValid(for manifest: Data) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else { return false }
        return key.isValidSignature(signature, for: manifest)
    }
}

extension FieldReader {
    /// A base64 string field holding exactly `length` bytes (`what`: an Ed25519 key or signature).
    func base64(_ object: [String: JSONValue], _ key: String, at path: String = "", length: Int, what: String) throws(PluginLoadError) -> Data {
        let text = try string(object, key, at: path)
        guard let bytes = Data(base64Encoded: text) else { throw error(join(path, key), .notBase64) }
        guard bytes.count == length else {
            throw error(join(path, key), .wrongLength(what: what, expected: length, actual: bytes.count))
        }
        return bytes
    }
}
