import Foundation
import PluginHost
import SwitchboardStore

/// The administrator's access policy file (YAML or JSON): principals, roles and rules.
///
/// ```yaml
/// principals:
///   - {name: alice, kind: technician}
/// roles:
///   - {name: helpdesk, permissions: [tickets:read, action:remote-connection]}
/// rules:
///   - {principal: alice, tenants: [acme], grant: [technician]}
///   - {principal: alice, tenants: [acme], deny: [action:run-script]}
/// ```
public struct PolicyFile: Sendable, Equatable {
    public let path: String
    public let principals: [Principal]
    public let roles: [Role]
    public let rules: [AccessRule]

    /// The largest policy file read.
    static let maximumSize = 4 << 20

    /// Reads and checks the file. `.yaml`/`.yml` files are read as YAML, others as JSON.
    /// `tenants` and `permissions` are the names a rule may use.
    public init(path: String, tenants: Set<String>, permissions: Set<String>) throws(AccessError) {
        func fail(_ field: String, _ problem: String) -> AccessError { .policyFile(path: path, field: field, problem: problem) }
        guard let data = FileManager.default.contents(atPath: path) else { throw fail("", "cannot be read") }
        guard data.count <= Self.maximumSize else { throw fail("", "larger than \(Self.maximumSize) bytes") }
        let document: JSONValue
        do { document = try JSONValue.parseDocument(data, path: path) } catch { throw fail("", "malformed \(JSONValue.documentFormat(of: path)): \(error.reason)") }
        let reader = Reader(path: path)
        let root = try reader.object(document, "")
        try reader.only(["principals", "roles", "rules"], in: root, "")

        var principals: [Principal] = []
        for (index, item) in try reader.array(root["principals"], "principals").enumerated() {
            let field = "principals[\(index)]"
            let object = try reader.object(item, field)
            try reader.only(["name", "kind", "displayName"], in: object, field)
            let name = try reader.string(object["name"], "\(field).name")
            guard AccessNames.isPrincipal(name) else { throw fail("\(field).name", "'\(name)' is not a principal name (lowercase letters and digits separated by '.', '-', '_' or '@')") }
            guard !principals.contains(where: { $0.name == name }) else { throw fail("\(field).name", "principal '\(name)' is declared twice") }
            let kindName = try object["kind"].map { (value: JSONValue) throws(AccessError) in try reader.string(value, "\(field).kind") } ?? "technician"
            guard let kind = Principal.Kind(rawValue: kindName) else { throw fail("\(field).kind", "expected technician or api-client, got '\(kindName)'") }
            let display = try object["displayName"].map { (value: JSONValue) throws(AccessError) in try reader.string(value, "\(field).displayName") }
            principals.append(Principal(name: name, kind: kind, displayName: display))
        }

        var roles: [Role] = []
        for (index, item) in try reader.array(root["roles"], "roles").enumerated() {
            let field = "roles[\(index)]"
            let object = try reader.object(item, field)
            try reader.only(["name", "permissions"], in: object, field)
            let name = try reader.string(object["name"], "\(field).name")
            guard Grammar.isLowercaseName(name, separators: [0x2d]) else { throw fail("\(field).name", "'\(name)' is not a role name (lowercase words joined by '-')") }
            guard !Role.builtIn.contains(where: { $0.name == name }) else { throw fail("\(field).name", "role '\(name)' is built in and cannot be redefined") }
            guard !roles.contains(where: { $0.name == name }) else { throw fail("\(field).name", "role '\(name)' is declared twice") }
            var granted: [String] = []
            for (position, value) in try reader.array(object["permissions"], "\(field).permissions").enumerated() {
                let permission = try reader.string(value, "\(field).permissions[\(position)]")
                try Self.check(permission: permission, known: permissions, field: "\(field).permissions[\(position)]", path: path)
                granted.append(permission)
            }
            roles.append(Role(name: name, permissions: granted))
        }
        let roleNames = Set((Role.builtIn + roles).map(\.name))

        var rules: [AccessRule] = []
        for (index, item) in try reader.array(root["rules"], "rules").enumerated() {
            let field = "rules[\(index)]"
            let object = try reader.object(item, field)
            try reader.only(["principal", "tenants", "grant", "deny"], in: object, field)
            let principal = try reader.string(object["principal"], "\(field).principal")
            // The principal may also be one added with `switchboard principals add`: whether it
            // exists is checked when a decision is made.
            guard AccessNames.isPrincipal(principal) else { throw fail("\(field).principal", "'\(principal)' is not a principal name") }
            guard object["tenants"] != nil else { throw fail("\(field).tenants", "missing (list the tenants the rule applies to; an empty list applies to none)") }
            var scope: [String] = []
            for (position, value) in try reader.array(object["tenants"], "\(field).tenants").enumerated() {
                let tenant = try reader.string(value, "\(field).tenants[\(position)]")
                guard tenants.contains(tenant) else { throw fail("\(field).tenants[\(position)]", "unknown tenant '\(tenant)'") }
                scope.append(tenant)
            }
            let effect: StoredAccessRule.Effect
            switch (object["grant"], object["deny"]) {
            case (_?, nil): effect = .grant
            case (nil, _?): effect = .deny
            default: throw fail(field, "give exactly one of 'grant' and 'deny'")
            }
            let key = effect == .grant ? "grant" : "deny"
            for (position, value) in try reader.array(object[key], "\(field).\(key)").enumerated() {
                let subject = try reader.string(value, "\(field).\(key)[\(position)]")
                if !roleNames.contains(subject) {
                    try Self.check(permission: subject, known: permissions, field: "\(field).\(key)[\(position)]", path: path, orRole: true)
                }
                for tenant in scope {
                    rules.append(AccessRule(principal: principal, tenant: tenant, effect: effect, subject: subject,
                                            source: .policyFile(path: path, field: "\(field).\(key)[\(position)]")))
                }
            }
        }
        self.path = path
        self.principals = principals
        self.roles = roles
        self.rules = rules
    }

    /// Checks that `permission` is well formed and known (or an `area:*` of a known area).
    static func check(permission: String, known: Set<String>, field: String, path: String, orRole: Bool = false) throws(AccessError) {
        let what = orRole ? "a role or permission" : "a permission"
        guard Permission.isWellFormed(permission) else {
            throw .policyFile(path: path, field: field, problem: "'\(permission)' is not \(what) ('area:name' or 'area:*')")
        }
        guard Permission.isKnown(permission, among: known) else {
            throw .policyFile(path: path, field: field, problem: "unknown \(orRole ? "role or permission" : "permission") '\(permission)'")
        }
    }

    /// Reads typed members, naming the field on every mismatch.
    private struct Reader {
        let path: String

        func object(_ value: JSONValue?, _ field: String) throws(AccessError) -> [String: JSONValue] {
            guard case .object(let members)? = value else { throw mismatch(value, "an object", field) }
            return members
        }

        /// An absent member reads as an empty list.
        func array(_ value: JSONValue?, _ field: String) throws(AccessError) -> [JSONValue] {
            guard let value else { return [] }
            guard case .array(let items) = value else { throw mismatch(value, "a list", field) }
            return items
        }

        func string(_ value: JSONValue?, _ field: String) throws(AccessError) -> String {
            guard case .string(let text)? = value, !text.isEmpty else { throw mismatch(value, "a non-empty string", field) }
            return text
        }

        func only(_ allowed: Set<String>, in object: [String: JSONValue], _ field: String) throws(AccessError) {
            if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
                throw .policyFile(path: path, field: field.isEmpty ? unknown : "\(field).\(unknown)",
                                  problem: "unknown member (expected \(allowed.sorted().joined(separator: ", ")))")
            }
        }

        private func mismatch(_ value: JSONValue?, _ expected: String, _ field: String) -> AccessError {
            .policyFile(path: path, field: field, problem: value.map { "expected \(expected), got \($0.typeName)" } ?? "missing")
        }
    }
}

extension Permission {
    /// Whether `permission` is one of `known`, or `area:*` for an area some known permission has.
    static func isKnown(_ permission: String, among known: Set<String>) -> Bool {
        permission.hasSuffix(":*") ? known.contains { pattern(permission, covers: $0) } : known.contains(permission)
    }
}

/// Why access could not be decided or managed. Every case names what it concerns.
public enum AccessError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The policy file is invalid; while it is, every request is denied.
    case policyFile(path: String, field: String, problem: String)
    case store(StoreError)

    public var description: String {
        switch self {
        case .policyFile(let path, let field, let problem): field.isEmpty ? "\(path): \(problem)" : "\(path): \(field): \(problem)"
        case .store(let error): error.description
        }
    }
}
