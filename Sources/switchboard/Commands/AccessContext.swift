import Access
import ArgumentParser
import Foundation
import PluginHost
import SwitchboardStore

/// Where the store and the access policy come from, and who is asking.
struct AccessOptions: ParsableArguments {
    @Option(name: .customLong("access-policy"), help: ArgumentHelp(
        "The access policy file, YAML or JSON (default: SWITCHBOARD_ACCESS_POLICY, else access.yaml, access.yml or access.json in the data directory).",
        valueName: "file"))
    var accessPolicy: String?
    @OptionGroup var paths: PluginPathOptions

    /// Opens the store and the live policy, or prints what is wrong and fails.
    func context() throws -> AccessContext {
        let environment = HostEnvironment.current
        let store = try SQLiteStore.openInDataDirectory()
        let catalog = paths.loadCatalog()
        let (file, required) = Self.policyFile(option: accessPolicy, variables: ProcessInfo.processInfo.environment,
                                               dataDirectory: environment.dataDirectory)
        let access = AccessControl(store: store, policyFile: file, fileRequired: required,
                                   permissions: catalog.entries.compactMap { $0.manifest?.permission })
        return AccessContext(store: store, access: access, catalog: catalog)
    }

    /// The option, then SWITCHBOARD_ACCESS_POLICY (both required to exist), then the first of the
    /// default names that exists in the data directory (optional).
    static func policyFile(option: String?, variables: [String: String], dataDirectory: String) -> (String?, required: Bool) {
        if let explicit = option ?? variables["SWITCHBOARD_ACCESS_POLICY"].flatMap({ $0.isEmpty ? nil : $0 }) { return (explicit, true) }
        let defaults = ["access.yaml", "access.yml", "access.json"].map { dataDirectory + "/" + $0 }
        return (defaults.first { FileManager.default.fileExists(atPath: $0) } ?? defaults[0], false)
    }
}

/// The store, the live access policy and the plugins, as the ticket, access and action commands use them.
struct AccessContext {
    let store: SQLiteStore
    let access: AccessControl
    let catalog: PluginCatalog

    /// The current policy, or the file's error and a failure exit.
    func policy() throws -> AccessPolicy {
        do { return try access.policy() } catch {
            printError(error.description)
            throw ExitCode.failure
        }
    }

    /// The tenants `principal` may see with `permission`; nil (every tenant) for the operator.
    func scope(_ principal: String?, _ permission: String) throws -> Set<String>? {
        guard let principal else { return nil }
        let policy = try policy()
        guard policy.principals[principal] != nil else {
            printError("unknown principal '\(principal)'")
            throw ExitCode.failure
        }
        return policy.tenants(of: principal, holding: permission)
    }

    /// Checks that `principal` (nil: the operator) holds `permission` in `tenant`; a denial is
    /// audited as `event` and fails the command with the reason.
    func require(_ principal: String?, _ permission: String, in tenant: String, event: String, subject: String?) throws {
        guard let principal else { return }
        let decision = access.decide(principal: principal, permission: permission, tenant: tenant)
        guard decision.allowed else {
            try audit([AuditEntry(event: event, tenant: tenant, actor: principal, subject: subject, outcome: "denied", error: decision.reason)])
            printError("denied: \(decision.reason)")
            throw ExitCode.failure
        }
    }

    func audit(_ entries: [AuditEntry]) throws {
        do { try store.append(entries) } catch {
            printError(error.description)
            throw ExitCode.failure
        }
    }
}

/// Who runs a command without `--as`: the account that owns the installation's data directory,
/// which can read the store anyway. Recorded as `operator:<user>`.
enum Operator {
    static var actor: String {
        guard let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name else { return "operator:\(geteuid())" }
        return "operator:" + String(cString: name)
    }
}

/// Runs a store operation, printing its error and failing the command.
@discardableResult
func storing<T>(_ body: () throws(StoreError) -> T) throws -> T {
    do { return try body() } catch {
        printError(error.reason)
        throw ExitCode.failure
    }
}
