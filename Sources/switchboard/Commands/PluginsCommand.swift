import ArgumentParser
import Delivery
import Foundation
import Logging
import PluginHost
import SwitchboardStore

/// `switchboard plugins ...`: list, inspect, verify, call and sign plugins.
struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins",
        abstract: "List, inspect, verify, call and sign plugins.",
        subcommands: [List.self, Inspect.self, Verify.self, Call.self, Release.self, RefreshDigests.self, Keygen.self, Sign.self]
    )
}

/// Where to look for drop-in plugins beyond the bundled ones, and the policy they are loaded under.
struct PluginPathOptions: ParsableArguments {
    @Option(name: .customLong("plugin-path"), help: ArgumentHelp(
        "A drop-in folder of plugins (each a folder with manifest.json and its .so). Repeatable; searched after the bundled plugins and before SWITCHBOARD_PLUGIN_PATH.",
        valueName: "dir"))
    var pluginPaths: [String] = []
    @Option(help: ArgumentHelp(
        "The administrator's policy file: trusted plugin keys, and delivery settings that win over the configuration (default: SWITCHBOARD_POLICY, else /etc/switchboard/policy.json).",
        valueName: "file"))
    var policy: String?

    /// Discovers and loads every plugin under the plugin policy, printing discovery warnings to stderr.
    func loadCatalog(policy: PluginPolicy? = nil) -> PluginCatalog {
        Switchboard.bootstrapLogging()
        let environment = HostEnvironment.current
        let search = PluginSearchPath(environment: environment, pluginPaths: pluginPaths)
        let discovery = search.discover()
        discovery.warnings.forEach { printError("warning: \($0)") }
        let policy = policy ?? pluginPolicy()
        return PluginCatalog.load(discovery.candidates, policy: policy, isolation: Self.isolation(policy, environment: environment),
                                  logSink: Logger(label: "switchboard.plugins").pluginLogSink)
    }

    /// Where plugins run: the defaults, overridden by the policy's `plugins.isolation`, then by
    /// `SWITCHBOARD_PLUGIN_ISOLATION` (`ID=MODE,...`, `*` for every plugin) for one run; faults go
    /// to the log and the audit trail.
    static func isolation(_ policy: PluginPolicy, environment: HostEnvironment = .current) -> IsolationSettings {
        var settings = IsolationSettings(environment: environment)
        settings.faultSink = { PluginFaultRelay.shared.report($0) }
        var run: [String: Isolation] = [:]
        for item in (ProcessInfo.processInfo.environment["SWITCHBOARD_PLUGIN_ISOLATION"] ?? "").split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let mode = Isolation(rawValue: parts[1]) else {
                printError("warning: SWITCHBOARD_PLUGIN_ISOLATION: '\(item)' is not ID=in-process or ID=process; ignored")
                continue
            }
            run[parts[0]] = mode
        }
        // `*` for this run replaces the policy's choices; otherwise the run's win id by id.
        settings.overrides = run["*"] == nil ? policy.isolation.merging(run) { $1 } : run
        return settings
    }

    /// The `plugins` section of the administrator's policy file, with SWITCHBOARD_REQUIRE_SIGNED_PLUGINS.
    /// When it cannot be read, prints why to stderr and returns a policy under which only bundled plugins load.
    func pluginPolicy() -> PluginPolicy {
        let environment = ProcessInfo.processInfo.environment
        do {
            let file = try ConfigurationSources.policyFile(option: policy, environment: environment)
            return try PluginPolicy.load(file: file, environment: environment)
        } catch {
            printError("\(error)")
            return .bundledOnly(because: "\(error)")
        }
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
            let policy = paths.pluginPolicy()
            if let dir {
                Switchboard.bootstrapLogging()
                catalog = PluginCatalog.load(try PluginFolders.candidates(in: dir), policy: policy, isolation: PluginPathOptions.isolation(policy),
                                             logSink: Logger(label: "switchboard.plugins").pluginLogSink)
            } else {
                catalog = paths.loadCatalog(policy: policy)
            }
            catalog.rejected.compactMap(\.error).forEach { print($0) }
            let rejected = catalog.rejected.count
            print("\(catalog.entries.count - rejected) loaded, \(rejected) rejected")
            if rejected > 0 || policy.problem != nil { throw ExitCode.failure }
        }
    }

    struct Release: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lift a plugin's quarantine, so calls reach it again.")

        @Argument(help: "The plugin id.") var id: String

        func run() throws {
            let quarantine = PluginQuarantine(dataDirectory: HostEnvironment.current.dataDirectory)
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
                candidates = try PluginFolders.candidates(in: dir)
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

    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an Ed25519 key for signing plugins.",
            discussion: "Writes the private key to FILE (mode 0600; an existing file is never overwritten) and prints the public key and the entry to add to the policy's plugins.trustedKeys.")

        @Option(help: ArgumentHelp("Where to write the private key.", valueName: "file"))
        var out: String
        @Option(help: ArgumentHelp("The key's name, written into each signature (default: FILE's name without its extension).", valueName: "name"))
        var name: String?

        func run() throws {
            let name = try PluginFolders.keyName(name ?? ((out as NSString).lastPathComponent as NSString).deletingPathExtension)
            let key = SigningKey.generate(name: name)
            do {
                try key.write(to: out)
            } catch {
                printError(error.description)
                throw ExitCode.failure
            }
            // The name is a validated key name and base64 has no quotes: the entry is valid JSON as written.
            let publicKey = key.publicKey.base64EncodedString()
            print("""
                wrote the private key to \(out) (mode 0600); keep it secret
                public key (\(name)): \(publicKey)
                to trust it, add to "trustedKeys" in the "plugins" section of the policy file:
                  {"name": "\(name)", "publicKey": "\(publicKey)"}
                """)
        }
    }

    struct Sign: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign plugins: write manifest.sig beside each manifest.json.",
            discussion: "The signature covers the manifest, and so the library sha256 it pins: run refresh-digests first if the library changed.")

        @Argument(help: "A plugin folder, or a folder of plugin folders.")
        var dir: String
        @Option(help: ArgumentHelp("The private key file (from `plugins keygen`).", valueName: "file"))
        var key: String
        @Option(help: ArgumentHelp("The signer name to write into the signatures (default: the key's name).", valueName: "name"))
        var name: String?

        func run() throws {
            let candidates = try PluginFolders.candidates(in: dir)
            var signingKey: SigningKey
            do {
                signingKey = try SigningKey.read(from: key)
            } catch {
                printError(error.description)
                throw ExitCode.failure
            }
            if let name { signingKey = signingKey.named(try PluginFolders.keyName(name)) }
            var failed = false
            for candidate in candidates {
                do {
                    let signed = try signingKey.sign(candidate)
                    print("signed \(signed.manifest.id) \(signed.manifest.version) as \(signingKey.name): \(signed.signatureFile)")
                } catch {
                    let hint = if case .sha256Mismatch = error.problem {
                        "; run `switchboard plugins refresh-digests \((candidate.manifestPath as NSString).deletingLastPathComponent)` first"
                    } else { "" }
                    printError(error.description + hint)
                    failed = true
                }
            }
            if failed { throw ExitCode.failure }
        }
    }
}

/// Plugin folders named on the command line.
enum PluginFolders {
    /// The plugins in `dir`: itself when it holds a manifest.json, else its subfolders that do.
    static func candidates(in dir: String) throws -> [PluginCandidate] {
        guard FileManager.default.fileExists(atPath: dir) else {
            printError("\(dir): no such folder")
            throw ExitCode.failure
        }
        let candidates = PluginSearchPath.pluginFolders(in: dir).map {
            PluginCandidate(manifestPath: $0 + "/manifest.json", libraryFolder: $0, origin: .pluginPath)
        }
        guard !candidates.isEmpty else {
            printError("\(dir): no manifest.json in the folder or its subfolders")
            throw ExitCode.failure
        }
        return candidates
    }

    /// `name` when it is a valid key name.
    static func keyName(_ name: String) throws -> String {
        guard PluginPolicy.TrustedKey.isValidName(name) else {
            throw ValidationError("'\(name)' is not a valid key name (expected \(PluginPolicy.TrustedKey.nameRule)); choose one with --name")
        }
        return name
    }
}
