import Foundation
import Glibc
import PluginHost
import Synchronization
import SwitchboardStore

/// The live access policy: the store's tenants, principals and rules together with the policy
/// file's, reloaded whenever either changes (the store's access generation, the file's inode,
/// size or modification time). While the policy file is invalid, every request is denied with
/// the file's error: a broken policy never opens access.
///
/// ```swift
/// let access = AccessControl(store: store, policyFile: home + "/access.yaml", permissions: Permission.builtIn)
/// let decision = try access.decide(principal: "alice", permission: "action:reboot", tenant: "acme")
/// ```
public final class AccessControl: Sendable {
    public let store: any TenancyStore
    /// The policy file; nil when there is none. A configured file that does not exist is an error.
    public let policyFile: String?
    /// Whether the file must exist (given explicitly) or may be absent (the default location).
    let fileRequired: Bool
    /// The permissions grants may name: Switchboard's own and those action plugins require.
    public let permissions: Set<String>
    private let cache = Mutex<Cached?>(nil)

    private struct Cached {
        let generation: Int64
        let stamp: FileStamp?
        let result: Result<AccessPolicy, AccessError>
    }

    public init(store: any TenancyStore, policyFile: String?, fileRequired: Bool = true, permissions: [String]) {
        self.store = store
        self.policyFile = policyFile
        self.fileRequired = fileRequired
        self.permissions = Set(Permission.builtIn + permissions)
    }

    /// The current policy, reloaded if the store or the file changed since the last call.
    public func policy() throws(AccessError) -> AccessPolicy {
        let generation: Int64
        do { generation = try store.accessGeneration() } catch { throw .store(error) }
        let stamp = policyFile.flatMap(FileStamp.init(path:))
        if let cached = cache.withLock({ $0 }), cached.generation == generation, cached.stamp == stamp {
            return try cached.result.get()
        }
        let result = Result { () throws(AccessError) -> AccessPolicy in try load() }
        cache.withLock { $0 = Cached(generation: generation, stamp: stamp, result: result) }
        return try result.get()
    }

    /// Decides with the current policy; an invalid policy file denies.
    public func decide(principal: String, permission: String, tenant: String?) -> AccessDecision {
        do {
            return try policy().decide(principal: principal, permission: permission, tenant: tenant)
        } catch {
            return AccessDecision(allowed: false, principal: principal, permission: permission, tenant: tenant,
                                  reason: "the access policy cannot be read, so nothing is allowed: \(error)", rule: nil)
        }
    }

    private func load() throws(AccessError) -> AccessPolicy {
        let tenants: [Tenant], principals: [Principal], stored: [StoredAccessRule]
        do {
            tenants = try store.tenants()
            principals = try store.principals()
            stored = try store.rules(principal: nil)
        } catch {
            throw .store(error)
        }
        let tenantIDs = Set(tenants.map(\.id))
        var file: PolicyFile?
        if let policyFile, fileRequired || FileManager.default.fileExists(atPath: policyFile) {
            file = try PolicyFile(path: policyFile, tenants: tenantIDs, permissions: permissions)
        }
        let filePrincipals = file?.principals ?? []
        let merged = principals + filePrincipals.filter { declared in !principals.contains { $0.name == declared.name } }
        return AccessPolicy(
            tenants: tenantIDs, principals: merged, roles: Role.builtIn + (file?.roles ?? []),
            rules: stored.map { AccessRule(principal: $0.principal, tenant: $0.tenant, effect: $0.effect, subject: $0.subject, source: .store) }
                + (file?.rules ?? []))
    }
}

/// Identifies one version of a file cheaply: a change of content, or its replacement, changes it.
struct FileStamp: Equatable {
    let device: UInt64, inode: UInt64, size: Int64, seconds: Int, nanoseconds: Int

    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        seconds = info.st_mtim.tv_sec
        nanoseconds = info.st_mtim.tv_nsec
    }
}
