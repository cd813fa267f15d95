import Access
import ArgumentParser
import Foundation
import PluginHost
import SwitchboardStore

/// `switchboard access grant|revoke|deny|list|check`.
struct AccessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "access", abstract: "Grant, deny and explain permissions per tenant (deny by default; a deny wins over every grant).",
        subcommands: [Grant.self, Deny.self, Revoke.self, List.self, Check.self])

    /// The arguments of a rule change: who, what, where.
    struct RuleArguments: ParsableArguments {
        @Argument(help: "The principal.") var principal: String
        @Argument(help: "A permission (action:reboot, action:*) or a role (viewer, technician, auditor, administrator, or one from the policy file).")
        var subject: String
        @Option(help: "A tenant the rule applies to (repeatable; at least one: an empty scope is no tenant, never all).")
        var tenant: [String] = []

        func validate() throws {
            guard !tenant.isEmpty else { throw ValidationError("give at least one --tenant: a rule without a tenant applies nowhere") }
        }

        /// Checks the names against the current policy and makes the rules.
        func rules(_ effect: StoredAccessRule.Effect, in context: AccessContext) throws -> [StoredAccessRule] {
            let policy = try context.policy()
            var problems: [String] = []
            if policy.principals[principal] == nil { problems.append("unknown principal '\(principal)' (add it with `switchboard principals add`)") }
            for name in tenant where !policy.tenants.contains(name) { problems.append("unknown tenant '\(name)'") }
            if policy.roles[subject] == nil {
                if !Permission.isWellFormed(subject) {
                    problems.append("'\(subject)' is neither a role (\(policy.roles.keys.sorted().joined(separator: ", "))) nor a permission ('area:name' or 'area:*')")
                } else if !context.access.permissions.contains(where: { Permission.pattern(subject, covers: $0) }) {
                    problems.append("unknown permission '\(subject)' (known: \(context.access.permissions.sorted().joined(separator: ", ")))")
                }
            }
            guard problems.isEmpty else {
                problems.forEach { printError($0) }
                throw ExitCode.failure
            }
            return tenant.map { StoredAccessRule(principal: principal, tenant: $0, effect: effect, subject: subject) }
        }
    }

    /// Adds or removes rules, auditing each change as `event`.
    static func change(_ rules: [StoredAccessRule], adding: Bool, event: String, context: AccessContext) throws {
        for rule in rules {
            let changed = try storing { () throws(StoreError) in
                adding ? try context.store.addRule(rule) : try context.store.removeRule(rule)
            }
            let what = "\(rule.effect.rawValue) \(rule.subject) to \(rule.principal) in tenant \(rule.tenant)"
            if changed {
                try context.audit([AuditEntry(event: event, tenant: rule.tenant, actor: Operator.actor, subject: "principal:\(rule.principal)",
                                              outcome: "ok", details: ["effect": rule.effect.rawValue, "subject": rule.subject])])
                print((adding ? "added: " : "removed: ") + what)
            } else {
                print((adding ? "already there: " : "no such rule: ") + what)
            }
        }
    }

    struct Grant: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Grant a permission or role to a principal in tenants.")
        @OptionGroup var rule: RuleArguments
        @OptionGroup var options: AccessOptions

        func run() async throws {
            let context = try options.context()
            try AccessCommand.change(rule.rules(.grant, in: context), adding: true, event: "access.granted", context: context)
        }
    }

    struct Deny: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Explicitly deny a permission or role to a principal in tenants (wins over grants).")
        @OptionGroup var rule: RuleArguments
        @OptionGroup var options: AccessOptions

        func run() async throws {
            let context = try options.context()
            try AccessCommand.change(rule.rules(.deny, in: context), adding: true, event: "access.deny.added", context: context)
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a grant (or, with --deny, a deny rule) made with this CLI.")
        @OptionGroup var rule: RuleArguments
        @Flag(help: "Remove a deny rule instead of a grant.") var deny = false
        @OptionGroup var options: AccessOptions

        func run() async throws {
            let context = try options.context()
            try AccessCommand.change(rule.rules(deny ? .deny : .grant, in: context), adding: false,
                                     event: deny ? "access.deny.removed" : "access.revoked", context: context)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the rules (from the store and the policy file) and the roles.")
        @Argument(help: "Only this principal's rules.") var principal: String?
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var options: AccessOptions

        func run() async throws {
            let policy = try options.context().policy()
            let rules = policy.rules.filter { principal == nil || $0.principal == principal }
                .sorted { ($0.principal, $0.tenant, $0.effect.rawValue, $0.subject) < ($1.principal, $1.tenant, $1.effect.rawValue, $1.subject) }
            let roles = policy.roles.values.sorted { $0.name < $1.name }
            if json {
                print(JSONValue.object([
                    "rules": .array(rules.map {
                        .object(["principal": .string($0.principal), "tenant": .string($0.tenant), "effect": .string($0.effect.rawValue),
                                 "subject": .string($0.subject), "source": .string($0.source.description)])
                    }),
                    "roles": .object(roles.reduce(into: [:]) { $0[$1.name] = .array($1.permissions.map(JSONValue.string)) }),
                ]).text(pretty: true))
                return
            }
            for rule in rules {
                print("\(rule.principal)\t\(rule.tenant)\t\(rule.effect.rawValue)\t\(rule.subject)\t(\(rule.source))")
            }
            if principal == nil {
                print("")
                roles.forEach { print("role \($0.name): \($0.permissions.joined(separator: ", "))") }
            }
        }
    }
}
