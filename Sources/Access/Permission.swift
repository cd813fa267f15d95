import PluginHost

/// The permissions Switchboard itself checks. Action plugins may require others; their manifests
/// name them (`permission`), and a grant must name a permission some part of the installation knows.
public enum Permission {
    public static let builtIn: [String] = [
        "action:reboot", "action:run-script", "action:remote-connection",
        "tickets:read", "tickets:write", "audit:read", "plugins:manage",
    ]

    /// Whether `pattern` (a permission, or `area:*`) covers `permission`.
    public static func pattern(_ pattern: String, covers permission: String) -> Bool {
        if pattern == permission { return true }
        guard pattern.hasSuffix(":*") else { return false }
        return permission.hasPrefix(pattern.dropLast())
    }

    /// `area:name` or `area:*`.
    public static func isWellFormed(_ text: String) -> Bool {
        if text.hasSuffix(":*") { return Grammar.isLowercaseName(String(text.dropLast(2)), separators: [0x2d]) }
        return Grammar.isPermission(text)
    }
}

/// A named set of permissions. Grants may name a role instead of a permission.
public struct Role: Sendable, Equatable {
    public let name: String
    public let permissions: [String]

    public init(name: String, permissions: [String]) {
        self.name = name
        self.permissions = permissions
    }

    /// Whether the role grants (or, in a deny rule, denies) `permission`.
    public func covers(_ permission: String) -> Bool {
        permissions.contains { Permission.pattern($0, covers: permission) }
    }

    /// The roles every installation has. A policy file may add roles, not redefine these.
    public static let builtIn: [Role] = [
        Role(name: "viewer", permissions: ["tickets:read"]),
        Role(name: "technician", permissions: ["tickets:read", "tickets:write", "action:reboot", "action:run-script", "action:remote-connection"]),
        Role(name: "auditor", permissions: ["audit:read", "tickets:read"]),
        Role(name: "administrator", permissions: ["action:*", "tickets:*", "audit:*", "plugins:*"]),
    ]
}

/// Names of tenants and principals.
public enum AccessNames {
    /// A tenant id: lowercase letters and digits in dash-separated groups (`acme`, `globex-eu`), at most 64.
    public static func isTenant(_ text: String) -> Bool {
        text.utf8.count <= 64 && Grammar.isLowercaseName(text, separators: [0x2d])
    }

    /// A principal: lowercase letters and digits separated by `.`, `-`, `_` or `@` (`alice`, `ops-bot`,
    /// `j.doe@msp.example`), at most 128.
    public static func isPrincipal(_ text: String) -> Bool {
        text.utf8.count <= 128 && Grammar.isLowercaseName(text, separators: [0x2e, 0x2d, 0x5f, 0x40])
    }
}
