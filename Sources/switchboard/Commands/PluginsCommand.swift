import ArgumentParser
import Foundation
import Logging
import PluginHost
import SwitchboardStore

/// `switchboard plugins ...`: list, inspect, verify and call plugins.
struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins",
        abstract: "List, inspect, verify and call plugins.",
        subcommands: [List.self, Inspect.self, Verify.self, Call.self, Release.self, RefreshDigests.self]
    )
}

/// Where to look for drop-in plugins beyond the bundled ones.
struct PluginPathOptions: ParsableArguments {
    @Option(name: .customLong("plugin-path"), help: ArgumentHelp(
        "A drop-in folder of plugins (each a folder with manifest.json and its .so). Repeatable; searched after the bundled plugins and before SWITCHBOARD_PLUGIN_PATH.",
        valueName: "dir"))
    var pluginPaths: [String] = []

    /// Discovers and loads every plugin, printing discovery warnings to stderr.
    func loadCatalog() -> PluginCatalog {
        Switchboard.bootstrapLogging()
        let search = PluginSearchPath(environment: .current, pluginPaths: pluginPaths)
        let discovery = search.discover()
        discovery.warnings.forEach { printError("warning: \($0)") }
        return PluginCatalog.load(discovery.candidates, isolation: Self.isolation(), logSink: Logger(label: "switchboard.plugins").pluginLogSink)
    }

    /// Where plugins run: the defaults, overridden by `SWITCHBOARD_PLUGIN_ISOLATION`
    /// (`ID=MODE,...`, `*` for every plugin); faults go to the log and the audit trail.
    static func isolation() -> IsolationSettings {
        var settings = IsolationSettings(environment: .current)
        settings.faultSink = { PluginFaultRelay.shared.report($0) }
        for item in (ProcessInfo.processInfo.environment["SWITCHBOARD_PLUGIN_ISOLATION"] ?? "").split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let mode = Isolation(rawValue: parts[1]) else {
                printError("warning: SWITCHBOARD_PLUGIN_ISOLATION: '\(item)' is not ID=in-process or ID=process; ignored")
                continue
            }
            settings.overrides[parts[0]] = mode
        }
        return settings
    }
}

extension PluginsCommand {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every discovered plugin, loaded or rejected (with the reason).")

        @OptionGroup var paths: PluginPathOptions
        @Flag(help: "Print a JSON array (schema in the README) instead of a table.")
        var json = false

        func run() throws {
            let catalog = paths.loadCatalog()
            if json {
                print(JSONValue.array(catalog.entries.map(\.listing)).text(pretty: true))
                return
            }
            print(PluginTable.render(catalog.entries))
        }
    }

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one plugin: manifest, entry points, configuration fields and status.")

        @OptionGroup var paths: PluginPathOptions
        @Argument(help: "The plugin id, e.g. switchboard.webhook.") var id: String
        @Flag(help: "Print the plugin as JSON (same schema as one element of `plugins list --json`).")
        var json = false

        func run() throws {
            let catalog = paths.loadCatalog()
            guard let entry = catalog.entries.first(where: { $0.manifest?.id == id }) else {
                printError("no plugin with id '\(id)'")
                throw ExitCode.failure
            }
            print(json ? entry.listing.text(pretty: true) : PluginTable.details(entry))
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load plugins and report every problem, one line each: file, field or symbol, reason.",
            discussion: "Without DIR, verifies every discovered plugin. Exits 1 if any plugin is rejected.")

        @OptionGroup var paths: PluginPathOptions
        @Argument(help: "A plugin folder, or a folder of plugin folders, to verify on its own.")
        var dir: String?

        func run() throws {
            let catalog: PluginCatalog
            if let dir {
                guard FileManager.default.fileExists(atPath: dir) else {
                    printError("\(dir): no such folder")
                    throw ExitCode.failure
                }
                Switchboard.bootstrapLogging()
                let candidates = PluginSearchPath.pluginFolders(in: dir).map {
                    PluginCandidate(manifestPath: $0 + "/manifest.json", libraryFolder: $0, origin: .pluginPath)
                }
                guard !candidates.isEmpty else {
                    printError("\(dir): no manifest.json in the folder or its subfolders")
                    throw ExitCode.failure
                }
                catalog = PluginCatalog.load(candidates, isolation: PluginPathOptions.isolation(),
                                             logSink: Logger(label: "switchboard.plugins").pluginLogSink)
            } else {
                catalog = paths.loadCatalog()
            }
            catalog.rejected.compactMap(\.error).forEach { print($0) }
            let rejected = catalog.rejected.count
            print("\(catalog.entries.count - rejected) loaded, \(rejected) rejected")
            if rejected > 0 { throw ExitCode.failure }
        }
    }

    struct Release: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lift a plugin's quarantine, so calls reach it again.")

        @Argument(help: "The plugin id.") var id: String

        func run() throws {
            let quarantine = PluginQuarantine(file: HostEnvironment.current.dataDirectory + "/plugin-quarantine.json")
            do {
                guard try quarantine.release(id) else {
                    printError("plugin '\(id)' is not quarantined")
                    throw ExitCode.failure
                }
            } catch let error as PluginQuarantineError {
                printError(error.description)
                throw ExitCode.failure
            }
            let store = try SQLiteStore.openInDataDirectory()
            try? store.append([AuditEntry(event: "plugin.released", actor: Operator.actor, subject: "plugin:\(id)", outcome: "released")])
            print("released \(id)")
        }
    }

    struct Call: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Call a plugin's data entry point with JSON input and print its JSON output.")

        @OptionGroup var paths: PluginPathOptions
        @Argument(help: "The plugin id.") var id: String
        @Argument(help: "A data role, e.g. render_alert or plan_action.") var role: String
        @Option(help: ArgumentHelp("The JSON input: a file, or - for stdin.", valueName: "file|-"))
        var input: String

        func run() throws {
            guard let role = EntryPointRole(rawValue: role), role.isDataRole else {
                let known = EntryPointRole.allCases.filter(\.isDataRole).map(\.rawValue).joined(separator: ", ")
                printError("'\(self.role)' is not a data role (data roles: \(known))")
                throw ExitCode.failure
            }
            let data = try readInput()
            do {
                _ = try JSONValue.parse(data)
            } catch {
                printError("\(input == "-" ? "stdin" : input): not valid JSON: \(error)")
                throw ExitCode.failure
            }
            let plugin: LoadedPlugin
            do {
                plugin = try paths.loadCatalog().plugin(id: id)
            } catch {
                printError(error.description)
                throw ExitCode.failure
            }
            let output: Data
            do {
                output = try plugin.call(role, input: data)
            } catch {
                printError(error.description)
                throw ExitCode.failure
            }
            guard let json = try? JSONValue.parse(output) else {
                FileHandle.standardOutput.write(output)
                printError("\(id): \(role.rawValue) returned output that is not valid JSON")
                throw ExitCode.failure
            }
            print(json.text(pretty: true))
        }

        private func readInput() throws -> Data {
            if input == "-" { return FileHandle.standardInput.readDataToEndOfFile() }
            guard let data = FileManager.default.contents(atPath: input) else {
                printError("\(input): cannot read the input file")
                throw ExitCode.failure
            }
            return data
        }
    }

    struct RefreshDigests: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "refresh-digests",
            abstract: "Rewrite the sha256 in manifests to match their built libraries.",
            discussion: "Without DIR, refreshes the bundled Manifests/ from the build output (run after `swift build`).")

        @Argument(help: "A plugin folder, or a folder of plugin folders, instead of the bundled manifests.")
        var dir: String?

        func run() throws {
            let candidates: [PluginCandidate]
            if let dir {
                candidates = PluginSearchPath.pluginFolders(in: dir).map {
                    PluginCandidate(manifestPath: $0 + "/manifest.json", libraryFolder: $0, origin: .pluginPath)
                }
            } else {
                let search = PluginSearchPath(environment: .current, pluginPaths: [])
                guard search.bundled != nil else {
                    printError("cannot find the bundled Manifests/ folder (set SWITCHBOARD_BUNDLED_MANIFESTS)")
                    throw ExitCode.failure
                }
                candidates = search.discover().candidates.filter { $0.origin == .bundled }
            }
            var failed = false
            for candidate in candidates {
                do {
                    let refresh = try ManifestDigest.refresh(candidate)
                    print(refresh.previous == refresh.current ? "unchanged \(refresh.manifest)"
                          : "updated \(refresh.manifest): \(refresh.current)")
                } catch {
                    printError(error.description)
                    failed = true
                }
            }
            if failed { throw ExitCode.failure }
        }
    }
}
