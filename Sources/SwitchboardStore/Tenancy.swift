import Foundation
import GRDB

/// A customer of the MSP. Sites, devices, tickets and audit entries belong to one tenant, and
/// nothing crosses tenants.
public struct Tenant: Sendable, Equatable {
    /// A short lowercase id such as `acme`.
    public let id: String
    public let name: String
    public let createdAt: Date
}

/// Someone or something that asks for work: a technician, or an API client.
public struct Principal: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable { case technician, apiClient = "api-client" }
    public let name: String
    public let kind: Kind
    public let displayName: String?

    public init(name: String, kind: Kind, displayName: String? = nil) {
        self.name = name
        self.kind = kind
        self.displayName = displayName
    }
}

/// A grant or an explicit deny of a permission (`action:reboot`, `action:*`) or a role to one
/// principal in one tenant, as stored by `switchboard access grant|deny`.
public struct StoredAccessRule: Sendable, Equatable, Hashable {
    public enum Effect: String, Sendable, CaseIterable { case grant, deny }
    public let principal: String
    public let tenant: String
    public let effect: Effect
    /// A permission (`area:name` or `area:*`) or a role name.
    public let subject: String

    public init(principal: String, tenant: String, effect: Effect, subject: String) {
        self.principal = principal
        self.tenant = tenant
        self.effect = effect
        self.subject = subject
    }
}

/// Tenants, principals and the access rules managed from the CLI.
public protocol TenancyStore: Sendable {
    /// Adds a tenant; fails naming it when the id is taken.
    func addTenant(id: String, name: String) throws(StoreError) -> Tenant
    func tenants() throws(StoreError) -> [Tenant]
    func addPrincipal(_ principal: Principal) throws(StoreError)
    func principals() throws(StoreError) -> [Principal]
    /// Adds a rule; returns false when the same rule was already there.
    func addRule(_ rule: StoredAccessRule) throws(StoreError) -> Bool
    /// Removes a rule; returns false when there was no such rule.
    func removeRule(_ rule: StoredAccessRule) throws(StoreError) -> Bool
    /// The rules of one principal (all principals when nil).
    func rules(principal: String?) throws(StoreError) -> [StoredAccessRule]
    /// A number that changes whenever tenants, principals or rules change, so a cached policy
    /// knows when to reload.
    func accessGeneration() throws(StoreError) -> Int64
}

extension SQLiteStore: TenancyStore {
    public func addTenant(id: String, name: String) throws(StoreError) -> Tenant {
        let now = Date()
        return try write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM tenants WHERE id = ?", arguments: [id]) == true {
                throw StoreError(path: path, reason: "tenant '\(id)' already exists")
            }
            try db.execute(sql: "INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?)", arguments: [id, name, now.timeIntervalSince1970])
            return Tenant(id: id, name: name, createdAt: now)
        }
    }

    public func tenants() throws(StoreError) -> [Tenant] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM tenants ORDER BY id").map {
                Tenant(id: $0["id"], name: $0["name"], createdAt: Date(timeIntervalSince1970: $0["created_at"]))
            }
        }
    }

    public func addPrincipal(_ principal: Principal) throws(StoreError) {
        try write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM principals WHERE name = ?", arguments: [principal.name]) == true {
                throw StoreError(path: path, reason: "principal '\(principal.name)' already exists")
            }
            try db.execute(sql: "INSERT INTO principals (name, kind, display_name, created_at) VALUES (?, ?, ?, ?)",
                           arguments: [principal.name, principal.kind.rawValue, principal.displayName, Date().timeIntervalSince1970])
        }
    }

    public func principals() throws(StoreError) -> [Principal] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM principals ORDER BY name").map {
                Principal(name: $0["name"], kind: Principal.Kind(rawValue: $0["kind"]) ?? .technician, displayName: $0["display_name"])
            }
        }
    }

    public func addRule(_ rule: StoredAccessRule) throws(StoreError) -> Bool {
        try write { db in
            try db.execute(sql: """
                INSERT OR IGNORE INTO access_rules (principal, tenant, effect, subject, created_at) VALUES (?, ?, ?, ?, ?)
                """, arguments: [rule.principal, rule.tenant, rule.effect.rawValue, rule.subject, Date().timeIntervalSince1970])
            return db.changesCount > 0
        }
    }

    public func removeRule(_ rule: StoredAccessRule) throws(StoreError) -> Bool {
        try write { db in
            try db.execute(sql: "DELETE FROM access_rules WHERE principal = ? AND tenant = ? AND effect = ? AND subject = ?",
                           arguments: [rule.principal, rule.tenant, rule.effect.rawValue, rule.subject])
            return db.changesCount > 0
        }
    }

    public func rules(principal: String?) throws(StoreError) -> [StoredAccessRule] {
        try read { db in
            let rows = if let principal {
                try Row.fetchAll(db, sql: "SELECT * FROM access_rules WHERE principal = ? ORDER BY principal, tenant, effect, subject",
                                 arguments: [principal])
            } else {
                try Row.fetchAll(db, sql: "SELECT * FROM access_rules ORDER BY principal, tenant, effect, subject")
            }
            return rows.map {
                StoredAccessRule(principal: $0["principal"], tenant: $0["tenant"],
                                 effect: StoredAccessRule.Effect(rawValue: $0["effect"]) ?? .deny, subject: $0["subject"])
            }
        }
    }

    public func accessGeneration() throws(StoreError) -> Int64 {
        try read { db in try Int64.fetchOne(db.cachedStatement(sql: "SELECT generation FROM access_generation")) ?? 0 }
    }
}
