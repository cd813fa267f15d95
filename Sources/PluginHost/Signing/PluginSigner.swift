/// Who vouches for a plugin: a trusted key that signed its manifest, or nobody.
public enum PluginSigner: Sendable, Equatable, CustomStringConvertible {
    /// No signature beside the manifest.
    case unsigned
    /// Signed by the key the policy trusts under `name` (whatever name the signature file gives).
    case trustedKey(name: String)

    /// The key's name, or `unsigned`, as `plugins list` shows it.
    public var description: String {
        switch self {
        case .unsigned: "unsigned"
        case .trustedKey(let name): name
        }
    }
}
