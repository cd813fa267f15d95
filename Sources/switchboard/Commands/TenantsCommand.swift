import Access
import ArgumentParser
import Foundation
import PluginHost
import SwitchboardStore

/// `switchboard tenants add|list`.
struct TenantsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tenants", abstract: "Manage tenants (the MSP's customers).",
                                                    subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a tenant.")
        @Argument(help: "The tenant id: lowercase letters and digits joined by '-' (acme, globex-eu).") var id: String
        @Option(help: "A display name (default: the id).") var name: String?

        func validate() throws {
            guard AccessNames.isTenant(id) else { throw ValidationError("'\(id)' is not a tenant id (lowercase letters and digits joined by '-', at most 64)") }
        }

        func run() async throws {
            let store = try SQLiteStore.openInDataDirectory()
            let tenant = try storing { () throws(StoreError) in try store.addTenant(id: id, name: name ?? id) }
            try storing { () throws(StoreError) in
                try store.append([AuditEntry(event: "tenant.created", tenant: tenant.id, actor: Operator.actor, outcome: "ok")])
            }
            print("added tenant \(tenant.id)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tenants.")
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let store = try SQLiteStore.openInDataDirectory()
            let tenants = try storing { () throws(StoreError) in try store.tenants() }
            if json {
                print(JSONValue.array(tenants.map { .object(["id": .string($0.id), "name": .string($0.name)]) }).text(pretty: true))
            } else {
                tenants.forEach { print("\($0.id)\t\($0.name)") }
            }
        }
    }
}

/// `switchboard principals add|list`.
struct PrincipalsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "principals", abstract: "Manage principals (technicians and API clients).",
                                                    subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a principal.")
        @Argument(help: "The name: lowercase letters and digits separated by '.', '-', '_' or '@'.") var name: String
        @Option(help: "technician or api-client.") var kind: String = "technician"
        @Option(name: .customLong("display-name"), help: "A display name.") var displayName: String?

        func validate() throws {
            guard AccessNames.isPrincipal(name) else { throw ValidationError("'\(name)' is not a principal name (lowercase letters and digits separated by '.', '-', '_' or '@')") }
            guard Principal.Kind(rawValue: kind) != nil else { throw ValidationError("--kind: expected technician or api-client, got '\(kind)'") }
        }

        func run() async throws {
            let store = try SQLiteStore.openInDataDirectory()
            let principal = Principal(name: name, kind: Principal.Kind(rawValue: kind) ?? .technician, displayName: displayName)
            try storing { () throws(StoreError) in
                try store.addPrincipal(principal)
                try store.append([AuditEntry(event: "principal.created", actor: Operator.actor, subject: "principal:\(name)", outcome: "ok",
                                             details: ["kind": kind])])
            }
            print("added \(kind) \(name)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List principals, from the store and the access policy file.")
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var options: AccessOptions

        func run() async throws {
            let policy = try options.context().policy()
            let principals = policy.principals.values.sorted { $0.name < $1.name }
            if json {
                print(JSONValue.array(principals.map {
                    .object(["name": .string($0.name), "kind": .string($0.kind.rawValue), "displayName": $0.displayName.map(JSONValue.string) ?? .null])
                }).text(pretty: true))
            } else {
                principals.forEach { print("\($0.name)\t\($0.kind.rawValue)" + ($0.displayName.map { "\t\($0)" } ?? "")) }
            }
        }
    }
}

/// `switchboard devices list|register-local`.
struct DevicesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "devices", abstract: "The CMDB's devices.",
                                                    subcommands: [List.self, RegisterLocal.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List devices (those of the caller's tenants with --as).")
        @Option(help: "Only this tenant's devices.") var tenant: String?
        @Option(name: .customLong("as"), help: ArgumentHelp("The principal asking (needs tickets:read); default: the operator.", valueName: "principal")) var principal: String?
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var options: AccessOptions

        func run() async throws {
            let context = try options.context()
            var scope = try context.scope(principal, "tickets:read")
            if let tenant { scope = (scope ?? [tenant]).intersection([tenant]) }
            let devices = try storing { () throws(StoreError) in try context.store.devices(tenants: scope) }
            if json {
                print(JSONValue.array(devices.map(DeviceFormat.json)).text(pretty: true))
            } else {
                devices.forEach { print("\($0.id)\t\($0.tenant)\t\($0.platform ?? "-")\t\($0.name)") }
            }
        }
    }

    struct RegisterLocal: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "register-local",
            abstract: "Register the machine Switchboard runs on as the device 'local' of a tenant (the self-healing agent case).")
        @Option(help: "The tenant the machine belongs to.") var tenant: String
        @Option(help: "Its name (default: the host name).") var name: String?

        func run() async throws {
            let store = try SQLiteStore.openInDataDirectory()
            let device = Device(id: Device.localID, tenant: tenant, platform: "local", externalID: Device.localID,
                                name: name ?? ProcessInfo.processInfo.hostName, ciType: "server", status: "online")
            try storing { () throws(StoreError) in
                try store.saveDevice(device, audit: [AuditEntry(event: "device.registered", tenant: tenant, actor: Operator.actor,
                                                                subject: "device:local", outcome: "ok")])
            }
            print("registered the local device in tenant \(tenant)")
        }
    }
}

enum DeviceFormat {
    static func json(_ device: Device) -> JSONValue {
        func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        return .object([
            "id": .string(device.id), "tenant": .string(device.tenant), "platform": text(device.platform), "externalId": text(device.externalID),
            "name": .string(device.name), "location": text(device.location), "ciType": .string(device.ciType), "os": text(device.operatingSystem),
            "status": text(device.status), "lastSync": text(device.lastSync.map { $0.formatted(.iso8601) }),
        ])
    }
}
