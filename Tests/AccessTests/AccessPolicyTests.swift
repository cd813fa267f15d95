import Access
import Foundation
import SwitchboardStore
import TestSupport
import Testing

/// Decisions of the policy: deny by default, deny wins, one tenant per rule, reasons.
@Suite struct AccessPolicyTests {
    static func policy(_ rules: [(String, String, StoredAccessRule.Effect, String)], roles: [Role] = []) -> AccessPolicy {
        AccessPolicy(tenants: ["acme", "globex"], principals: [Principal(name: "alice", kind: .technician), Principal(name: "bot", kind: .apiClient)],
                     roles: Role.builtIn + roles,
                     rules: rules.map { AccessRule(principal: $0.0, tenant: $0.1, effect: $0.2, subject: $0.3, source: .store) })
    }

    @Test func denyByDefault() {
        let decision = Self.policy([]).decide(principal: "alice", permission: "action:reboot", tenant: "acme")
        #expect(!decision.allowed)
        #expect(decision.description == "denied: alice has no grant of action:reboot in tenant acme (deny by default)")
    }

    @Test func aRoleGrantsItsPermissionsInItsTenantOnly() {
        let policy = Self.policy([("alice", "acme", .grant, "technician")])
        let allowed = policy.decide(principal: "alice", permission: "action:reboot", tenant: "acme")
        #expect(allowed.allowed)
        #expect(allowed.reason == "granted by role 'technician' to alice in tenant acme (switchboard access)")
        #expect(!policy.decide(principal: "alice", permission: "action:reboot", tenant: "globex").allowed)
        #expect(!policy.decide(principal: "alice", permission: "audit:read", tenant: "acme").allowed)
        #expect(policy.tenants(of: "alice", holding: "tickets:read") == ["acme"])
    }

    @Test func anExplicitDenyWinsOverEveryGrant() {
        let policy = Self.policy([("alice", "acme", .grant, "administrator"), ("alice", "acme", .grant, "action:run-script"),
                                  ("alice", "acme", .deny, "action:*")])
        let decision = policy.decide(principal: "alice", permission: "action:run-script", tenant: "acme")
        #expect(decision.description == "denied: explicitly denied by 'action:*' for alice in tenant acme (switchboard access)")
        #expect(policy.decide(principal: "alice", permission: "tickets:read", tenant: "acme").allowed)
    }

    @Test func wildcardsCoverOneArea() {
        let policy = Self.policy([("bot", "globex", .grant, "tickets:*")])
        #expect(policy.decide(principal: "bot", permission: "tickets:write", tenant: "globex").allowed)
        #expect(!policy.decide(principal: "bot", permission: "action:reboot", tenant: "globex").allowed)
    }

    @Test func unknownPrincipalsTenantsAndNoTenantAreDenied() {
        let policy = Self.policy([("alice", "acme", .grant, "administrator")])
        #expect(policy.decide(principal: "mallory", permission: "tickets:read", tenant: "acme").description == "denied: unknown principal 'mallory'")
        #expect(policy.decide(principal: "alice", permission: "tickets:read", tenant: "initech").description == "denied: unknown tenant 'initech'")
        #expect(policy.decide(principal: "alice", permission: "tickets:read", tenant: nil).description
                == "denied: no tenant given: nothing is allowed outside a tenant")
        #expect(policy.decide(principal: "alice", permission: "tickets:read", tenant: "").allowed == false)
    }

    /// Thousands of random policies and questions, each checked against a plain restatement of
    /// the rules: allowed exactly when a grant covers it in that tenant and no deny does.
    @Test func randomPoliciesAllowExactlyWhatTheRulesSay() {
        var generator = SplitMix(seed: 0x5eed)
        let principals = ["alice", "bot", "mallory"]
        let tenants = ["acme", "globex", "initech"]
        let permissions = Permission.builtIn
        let subjects = permissions + ["action:*", "tickets:*", "viewer", "technician", "auditor", "administrator"]
        var allowedCount = 0
        for _ in 0..<3000 {
            var rules: [(String, String, StoredAccessRule.Effect, String)] = []
            for _ in 0..<Int(generator.next() % 12) {
                rules.append((principals.randomElement(using: &generator) ?? "alice", tenants.randomElement(using: &generator) ?? "acme",
                              generator.next() % 3 == 0 ? .deny : .grant, subjects.randomElement(using: &generator) ?? "viewer"))
            }
            let policy = Self.policy(rules)
            let principal = principals.randomElement(using: &generator) ?? "alice"
            let tenant = tenants.randomElement(using: &generator)
            let permission = permissions.randomElement(using: &generator) ?? "action:reboot"
            func covers(_ subject: String) -> Bool {
                if let role = Role.builtIn.first(where: { $0.name == subject }) { return role.covers(permission) }
                return subject == permission || (subject.hasSuffix(":*") && permission.hasPrefix(subject.dropLast()))
            }
            let applicable = rules.filter { $0.0 == principal && $0.1 == tenant && covers($0.3) }
            let expected = ["alice", "bot"].contains(principal) && ["acme", "globex"].contains(tenant ?? "")
                && applicable.contains { $0.2 == .grant } && !applicable.contains { $0.2 == .deny }
            let decision = policy.decide(principal: principal, permission: permission, tenant: tenant)
            #expect(decision.allowed == expected, "\(rules) \(principal) \(permission) \(tenant ?? "-")")
            if decision.allowed { allowedCount += 1 }
        }
        #expect(allowedCount > 100)
    }
}
