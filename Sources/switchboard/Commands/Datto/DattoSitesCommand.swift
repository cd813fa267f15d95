import ArgumentParser
import Datto
import Foundation
import PluginHost
import SwitchboardStore

extension DattoCommand {
    /// `switchboard datto sites [map SITE TENANT | ignore SITE]`.
    struct Sites: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List Datto sites with their mapping (mapped to a tenant, ignored, or unmapped); map or ignore one.",
            discussion: "Devices and alerts of unmapped or ignored sites are not imported.",
            subcommands: [List.self, Map.self, Ignore.self], defaultSubcommand: List.self)

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List the sites: read from Datto when connected (--offline: the ones known).")
            @Flag(help: "List the sites known from the last read, without asking Datto.") var offline = false
            @Flag(help: "Print JSON.") var json = false
            @OptionGroup var options: DeliveryOptions

            func run() async throws {
                let context = try DattoContext(options: options)
                var sites = try storing { () throws(StoreError) in try context.store.dattoSites() }
                if !offline && context.settings.isConnected {
                    do {
                        let listed = try await context.client().sites()
                        sites = try storing { () throws(StoreError) in try context.store.recordSites(listed, at: Date()) }
                        await context.deliver(try storing { () throws(StoreError) in
                            try context.failures(actor: Operator.actor).unmappedSites(sites, at: Date())
                        })
                    } catch let error as DattoError {
                        printError("\(error) (showing the sites known from the last read)")
                    }
                }
                if json {
                    print(JSONValue.array(sites.map { site in
                        .object(["uid": .string(site.uid), "name": .string(site.name), "mapping": .string(site.mapping.rawValue),
                                 "tenant": site.tenant.map(JSONValue.string) ?? .null,
                                 "devices": site.devices.map { .integer(Int64($0)) } ?? .null])
                    }).text(pretty: true))
                } else {
                    Sites.printTable(sites)
                }
            }
        }

        struct Map: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Map a site to a tenant: its devices and alerts go there from now on.")
            @Argument(help: "The Datto site uid.") var site: String
            @Argument(help: "The tenant id.") var tenant: String

            func run() async throws { try Sites.set(site, tenant: tenant) }
        }

        struct Ignore: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Ignore a site: its devices and alerts are not imported.")
            @Argument(help: "The Datto site uid.") var site: String

            func run() async throws { try Sites.set(site, tenant: nil) }
        }

        static func set(_ uid: String, tenant: String?) throws {
            let store = try SQLiteStore.openInDataDirectory()
            let event = tenant == nil ? "datto.site.ignored" : "datto.site.mapped"
            do {
                let site = try store.setSiteMapping(uid, tenant: tenant, audit: AuditEntry(event: event, actor: Operator.actor, outcome: "ok"))
                print(tenant.map { "mapped site \(site.name) (\(site.uid)) to tenant \($0)" } ?? "ignoring site \(site.name) (\(site.uid))")
            } catch {
                printError(error.description)
                throw ExitCode.failure
            }
        }

        static func printTable(_ sites: [DattoSite]) {
            print(TextTable.render(["SITE", "NAME", "DEVICES", "MAPPING", "TENANT"],
                                   sites.map { [$0.uid, $0.name, $0.devices.map(String.init) ?? "-", $0.mapping.rawValue, $0.tenant ?? "-"] }))
        }
    }
}
