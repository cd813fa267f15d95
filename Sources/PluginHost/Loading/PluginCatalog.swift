/// Every plugin the host found, loaded or rejected, in discovery order.
///
/// ```swift
/// let catalog = PluginCatalog.load(discovery.candidates)
/// for entry in catalog.entries { print(entry.manifest?.id ?? "?", entry.status) }
/// ```
public struct PluginCatalog: Sendable {
    public let entries: [PluginEntry]

    /// Loads each candidate independently: one bad plugin is rejected with its reason and the
    /// others still load. When two manifests claim one id, the later one is rejected. `policy`
    /// says which signatures are trusted, whether plugins that are not bundled need one, and the most
    /// their capabilities may declare (checked before the library is touched). A
    /// plugin placed in a worker process (see `IsolationSettings`) is checked here without running
    /// any of its code, then loaded by its worker; the workers start together, and a plugin its
    /// worker rejects is rejected with the same reason.
    public static func load(_ candidates: [PluginCandidate], policy: PluginPolicy = PluginPolicy(),
                            isolation: IsolationSettings = IsolationSettings(environment: .current),
                            logSink: @escaping PluginLogSink = { _ in }) -> PluginCatalog {
        let loader = PluginLoader(logSink: logSink, policy: policy)
        var claimed: [String: String] = [:]
        var entries: [PluginEntry] = []
        var starting: [(index: Int, worker: PluginWorker, process: Result<WorkerProcess, WorkerProcess.StartFailure>)] = []
        var quarantined: [String: QuarantineRecord]?
        for candidate in candidates {
            let file: PluginLoader.ManifestFile
            do {
                file = try loader.readManifest(candidate)
            } catch {
                entries.append(PluginEntry(candidate: candidate, manifest: nil, result: .failure(error)))
                continue
            }
            let manifest = file.manifest
            if let first = claimed[manifest.id] {
                let error = PluginLoadError(file: candidate.manifestPath, subject: "id", problem: .duplicateID(firstManifest: first))
                entries.append(PluginEntry(candidate: candidate, manifest: manifest, result: .failure(error)))
                continue
            }
            claimed[manifest.id] = candidate.manifestPath
            let signer: PluginSigner
            do {
                signer = try loader.verifySignature(file, of: candidate)
            } catch {
                entries.append(PluginEntry(candidate: candidate, manifest: manifest, result: .failure(error)))
                continue
            }
            do {
                try policy.checkCapabilities(manifest, file: candidate.manifestPath)
                let plugin: LoadedPlugin
                switch isolation.isolation(of: manifest, origin: candidate.origin) {
                case .inProcess:
                    plugin = try loader.load(manifest, from: candidate)
                case .process:
                    let library = try loader.verify(manifest, from: candidate)
                    // The quarantine file is read once per load, and only when a plugin runs in a worker.
                    if quarantined == nil { quarantined = isolation.quarantine.flatMap { try? $0.records() } ?? [:] }
                    let worker = PluginWorker(manifest: manifest, candidate: candidate, sha256: library.sha256, settings: isolation,
                                              quarantine: quarantined?[manifest.id])
                    plugin = LoadedPlugin(manifest: manifest, file: library, backend: .worker(worker))
                    // A quarantined plugin gets no worker: its calls are refused anyway.
                    if worker.quarantine == nil {
                        starting.append((entries.count, worker, Result { () throws(WorkerProcess.StartFailure) in try worker.spawn() }))
                    }
                }
                entries.append(PluginEntry(candidate: candidate, manifest: manifest, result: .success(plugin), signer: signer))
            } catch {
                entries.append(PluginEntry(candidate: candidate, manifest: manifest, result: .failure(error), signer: signer))
            }
        }
        for (index, worker, spawned) in starting {
            let entry = entries[index]
            do throws(WorkerProcess.StartFailure) {
                let process = try spawned.get()
                try process.ready(within: isolation.startTimeout)
                worker.adopt(process)
            } catch {
                let problem: PluginLoadError
                switch error {
                case .rejected(let subject, let reason):
                    problem = PluginLoadError(file: entry.candidate.manifestPath, subject: subject, problem: .rejectedInWorker(reason))
                case .unavailable(let reason):
                    problem = PluginLoadError(file: entry.candidate.manifestPath, subject: "worker", problem: .workerUnavailable(reason))
                }
                entries[index] = PluginEntry(candidate: entry.candidate, manifest: entry.manifest, result: .failure(problem), signer: entry.signer)
            }
        }
        return PluginCatalog(entries: entries)
    }

    /// The plugins that loaded.
    public var loaded: [LoadedPlugin] { entries.compactMap { try? $0.result.get() } }

    /// The entries that were rejected.
    public var rejected: [PluginEntry] { entries.filter { $0.error != nil } }

    /// The loaded plugin with `id`, or why there is none.
    public func plugin(id: String) throws(PluginLookupError) -> LoadedPlugin {
        guard let entry = entries.first(where: { $0.manifest?.id == id }) else { throw .notFound(id: id) }
        switch entry.result {
        case .success(let plugin): return plugin
        case .failure(let error): throw .rejected(id: id, error: error)
        }
    }
}

/// One discovered plugin and what became of it.
public struct PluginEntry: Sendable {
    public let candidate: PluginCandidate
    /// The manifest, when it was valid (a plugin can be rejected after its manifest parsed).
    public let manifest: Manifest?
    public let result: Result<LoadedPlugin, PluginLoadError>
    /// Who signed the plugin, once its signature was checked; nil when it was rejected before.
    public internal(set) var signer: PluginSigner? = nil

    public var error: PluginLoadError? {
        if case .failure(let error) = result { return error }
        return nil
    }
}

/// No usable plugin with the requested id.
public enum PluginLookupError: Error, Equatable, CustomStringConvertible {
    case notFound(id: String)
    case rejected(id: String, error: PluginLoadError)

    public var description: String {
        switch self {
        case .notFound(let id): "no plugin with id '\(id)'"
        case .rejected(let id, let error): "plugin '\(id)' was rejected: \(error)"
        }
    }
}
