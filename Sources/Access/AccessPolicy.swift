import SwitchboardStore

/// One grant or deny of a permission or role to a principal in a tenant, with where it comes from.
public struct AccessRule: Sendable, Equatable {
    public let principal: String
    public let tenant: String
    public let effect: StoredAccessRule.Effect
    /// A permission (`action:reboot`, `action:*`) or a role name.
    public let subject: String
    public let source: RuleSource

    public init(principal: String, tenant: String, effect: StoredAccessRule.Effect, subject: String, source: RuleSource) {
        self.principal = principal
        self.tenant = tenant
        self.effect = effect
        self.subject = subject
        self.source = source
    }
}

/// Where a rule was written: by `switchboard access grant|deny` (the store), or in the policy file.
public enum RuleSource: Sendable, Equatable, CustomStringConvertible {
    case store
    case policyFile(path: String, field: String)

    public var description: String {
        switch self {
        case .store: "switchboard access"
        case .policyFile(let path, let field): "\(path), \(field)"
        }
    }
}

/// Whether a principal may do something in a tenant, and why.
public struct AccessDecision: Sendable, Equatable, CustomStringConvertible {
    public let allowed: Bool
    public let principal: String
    public let permission: String
    public let tenant: String?
    /// The explanation, e.g. `granted by role 'technician' (switchboard access)`.
    public let reason: String
    /// The rule that decided, when one did.
    public let rule: AccessRule?

    public var description: String { "\(allowed ? "allowed" : "denied"): \(reason)" }
}

/// Everything that decides access: the principals, the roles and the rules of the store and of
/// the policy file together. Deny by default; an explicit deny wins over every grant; a rule
/// applies to its one tenant only, so an empty scope grants nothing.
///
/// ```swift
/// let decision = policy.decide(principal: "alice", permission: "action:reboot", tenant: "acme")
/// decision.allowed   // true when a grant covers it and no deny does
/// ```
public struct AccessPolicy: Sendable {
    public let tenants: Set<String>
    public let principals: [String: Principal]
    public let roles: [String: Role]
    public let rules: [AccessRule]
    private let rulesByPrincipal: [String: [AccessRule]]

    public init(tenants: Set<String>, principals: [Principal], roles: [Role], rules: [AccessRule]) {
        self.tenants = tenants
        self.principals = principals.reduce(into: [:]) { $0[$1.name] = $1 }
        self.roles = roles.reduce(into: [:]) { $0[$1.name] = $1 }
        self.rules = rules
        rulesByPrincipal = Dictionary(grouping: rules, by: \.principal)
    }

    /// Decides whether `principal` holds `permission` in `tenant`, with the reason.
    public func decide(principal: String, permission: String, tenant: String?) -> AccessDecision {
        func decision(_ allowed: Bool, _ reason: String, _ rule: AccessRule? = nil) -> AccessDecision {
            AccessDecision(allowed: allowed, principal: principal, permission: permission, tenant: tenant, reason: reason, rule: rule)
        }
        guard principals[principal] != nil else { return decision(false, "unknown principal '\(principal)'") }
        guard let tenant, !tenant.isEmpty else { return decision(false, "no tenant given: nothing is allowed outside a tenant") }
        guard tenants.contains(tenant) else { return decision(false, "unknown tenant '\(tenant)'") }
        let applicable = (rulesByPrincipal[principal] ?? []).filter { $0.tenant == tenant && covers($0.subject, permission) }
        if let deny = applicable.first(where: { $0.effect == .deny }) {
            return decision(false, "explicitly denied by \(describe(deny)) for \(principal) in tenant \(tenant) (\(deny.source))", deny)
        }
        if let grant = applicable.first(where: { $0.effect == .grant }) {
            return decision(true, "granted by \(describe(grant)) to \(principal) in tenant \(tenant) (\(grant.source))", grant)
        }
        return decision(false, "\(principal) has no grant of \(permission) in tenant \(tenant) (deny by default)")
    }

    /// The tenants in which `principal` holds `permission`.
    public func tenants(of principal: String, holding permission: String) -> Set<String> {
        Set(tenants.filter { decide(principal: principal, permission: permission, tenant: $0).allowed })
    }

    /// Whether a rule's subject (a permission pattern or a role) covers `permission`.
    func covers(_ subject: String, _ permission: String) -> Bool {
        if let role = roles[subject] { return role.covers(permission) }
        return Permission.pattern(subject, covers: permission)
    }

    private func describe(_ rule: AccessRule) -> String {
        roles[rule.subject] != nil ? "role '\(rule.subject)'" : "'\(rule.subject)'"
    }
}
