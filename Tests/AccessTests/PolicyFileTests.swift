import Access
import Foundation
import SwitchboardStore
import TestSupport
import Testing

/// The access policy file: YAML and JSON, every mistake named, reloaded on change, failing closed.
@Suite struct PolicyFileTests {
    static let yaml = """
        principals:
          - {name: alice, kind: technician, displayName: Alice}
          - {name: ops-bot, kind: api-client}
        roles:
          - name: helpdesk
            permissions: [tickets:read, action:remote-connection]
        rules:
          - {principal: alice, tenants: [acme, globex], grant: [technician]}
          - {principal: alice, tenants: [globex], deny: [action:run-script]}
          - {principal: ops-bot, tenants: [], grant: [administrator]}
        """

    func store(_ folder: TemporaryFolder) throws -> SQLiteStore {
        let store = try SQLiteStore(path: folder.root + "/switchboard.sqlite")
        _ = try store.addTenant(id: "acme", name: "Acme")
        _ = try store.addTenant(id: "globex", name: "Globex")
        return store
    }

    @Test func yamlPolicyDecides() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write(Self.yaml, to: "access.yaml")
        let access = AccessControl(store: try store(folder), policyFile: path, permissions: [])
        #expect(access.decide(principal: "alice", permission: "action:run-script", tenant: "acme").allowed)
        let denied = access.decide(principal: "alice", permission: "action:run-script", tenant: "globex")
        #expect(denied.reason == "explicitly denied by 'action:run-script' for alice in tenant globex (\(path), rules[1].deny[0])")
        // An empty scope is no tenant, never all.
        #expect(!access.decide(principal: "ops-bot", permission: "tickets:read", tenant: "acme").allowed)
        #expect(try access.policy().roles["helpdesk"]?.permissions == ["tickets:read", "action:remote-connection"])
    }

    @Test func jsonPolicyReadsTheSame() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("""
            {"principals": [{"name": "alice"}], "rules": [{"principal": "alice", "tenants": ["acme"], "grant": ["action:reboot"]}]}
            """, to: "access.json")
        let access = AccessControl(store: try store(folder), policyFile: path, permissions: [])
        #expect(access.decide(principal: "alice", permission: "action:reboot", tenant: "acme").allowed)
    }

    @Test(arguments: [
        ("rules: [{principal: alice, tenants: [acme], grant: [action:rebot]}]", "rules[0].grant[0]: unknown role or permission 'action:rebot'"),
        ("rules: [{principal: alice, tenants: [initech], grant: [viewer]}]", "rules[0].tenants[0]: unknown tenant 'initech'"),
        ("rules: [{principal: alice, grant: [viewer]}]", "rules[0].tenants: missing (list the tenants the rule applies to; an empty list applies to none)"),
        ("rules: [{principal: alice, tenants: [acme], grant: [viewer], deny: [viewer]}]", "rules[0]: give exactly one of 'grant' and 'deny'"),
        ("rules: [{principal: Alice, tenants: [acme], grant: [viewer]}]", "rules[0].principal: 'Alice' is not a principal name"),
        ("roles: [{name: technician, permissions: [tickets:read]}]", "roles[0].name: role 'technician' is built in and cannot be redefined"),
        ("roles: [{name: x, permissions: [reboot]}]", "roles[0].permissions[0]: 'reboot' is not a permission ('area:name' or 'area:*')"),
        ("principals: [{name: alice, kind: robot}]", "principals[0].kind: expected technician or api-client, got 'robot'"),
        ("principals: [{name: alice}, {name: alice}]", "principals[1].name: principal 'alice' is declared twice"),
        ("grants: []", "grants: unknown member (expected principals, roles, rules)"),
        ("rules: {principal: alice}", "rules: expected a list, got object"),
    ])
    func mistakesAreNamed(yaml: String, problem: String) throws {
        let folder = try TemporaryFolder()
        let path = try folder.write(yaml, to: "access.yaml")
        let access = AccessControl(store: try store(folder), policyFile: path, permissions: [])
        #expect(throws: AccessError.policyFile(path: path, field: String(problem.prefix { $0 != ":" }),
                                               problem: String(problem.drop { $0 != ":" }.dropFirst(2)))) { try access.policy() }
    }

    @Test func aBrokenFileDeniesEverythingUntilFixed() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write(Self.yaml, to: "access.yaml")
        let access = AccessControl(store: try store(folder), policyFile: path, permissions: [])
        #expect(access.decide(principal: "alice", permission: "action:reboot", tenant: "acme").allowed)

        try folder.write("rules: [", to: "access.yaml")
        let broken = access.decide(principal: "alice", permission: "action:reboot", tenant: "acme")
        #expect(!broken.allowed)
        #expect(broken.reason.hasPrefix("the access policy cannot be read, so nothing is allowed: \(path): malformed YAML"))

        try folder.write(Self.yaml.replacingOccurrences(of: "grant: [technician]", with: "grant: [viewer]"), to: "access.yaml")
        #expect(!access.decide(principal: "alice", permission: "action:reboot", tenant: "acme").allowed)
        #expect(access.decide(principal: "alice", permission: "tickets:read", tenant: "acme").allowed)
    }

    @Test func aMissingConfiguredFileFailsClosedAndAMissingDefaultIsNoFile() throws {
        let folder = try TemporaryFolder()
        let store = try store(folder)
        try store.addPrincipal(Principal(name: "alice", kind: .technician))
        _ = try store.addRule(StoredAccessRule(principal: "alice", tenant: "acme", effect: .grant, subject: "viewer"))
        let required = AccessControl(store: store, policyFile: folder.root + "/nope.yaml", permissions: [])
        #expect(required.decide(principal: "alice", permission: "tickets:read", tenant: "acme").reason
                == "the access policy cannot be read, so nothing is allowed: \(folder.root)/nope.yaml: cannot be read")
        let optional = AccessControl(store: store, policyFile: folder.root + "/nope.yaml", fileRequired: false, permissions: [])
        #expect(optional.decide(principal: "alice", permission: "tickets:read", tenant: "acme").allowed)
    }

    @Test func storeChangesAreSeenAtOnce() throws {
        let folder = try TemporaryFolder()
        let store = try store(folder)
        let access = AccessControl(store: store, policyFile: nil, permissions: [])
        try store.addPrincipal(Principal(name: "alice", kind: .technician))
        let rule = StoredAccessRule(principal: "alice", tenant: "acme", effect: .grant, subject: "action:reboot")
        #expect(!access.decide(principal: "alice", permission: "action:reboot", tenant: "acme").allowed)
        #expect(try store.addRule(rule))
        #expect(access.decide(principal: "alice", permission: "action:reboot", tenant: "acme").allowed)
        #expect(try store.removeRule(rule))
        #expect(!access.decide(principal: "alice", permission: "action:reboot", tenant: "acme").allowed)
    }
}
