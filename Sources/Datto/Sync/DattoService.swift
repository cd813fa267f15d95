import Foundation
import Logging

/// What `serve` runs for Datto besides the webhook endpoint: a device sync at start and then on
/// the configured interval (when connected), the auto-resolver (every second: tickets whose
/// alert resolved and whose delay passed), and the webhook-silence check (every minute). Runs
/// until its task is cancelled; a sync in progress then stops between pages.
public struct DattoService: Sendable {
    let sync: DeviceSync?
    let interval: Duration
    let resolver: AutoResolver
    let failures: FailureAlerts
    let logger: Logger
    /// How often due resolutions and silence are checked.
    let resolveEvery: Duration
    let silenceEvery: Duration

    public init(sync: DeviceSync?, interval: Duration, resolver: AutoResolver, failures: FailureAlerts,
                resolveEvery: Duration = .seconds(1), silenceEvery: Duration = .seconds(60),
                logger: Logger = Logger(label: "switchboard.datto")) {
        self.sync = sync
        self.interval = interval
        self.resolver = resolver
        self.failures = failures
        self.resolveEvery = resolveEvery
        self.silenceEvery = silenceEvery
        self.logger = logger
    }

    public func run() async {
        let started = Date()
        await withTaskGroup(of: Void.self) { group in
            if let sync {
                group.addTask {
                    while !Task.isCancelled {
                        do { _ = try await sync.run() } catch {
                            logger.error("scheduled Datto sync failed", metadata: ["error": "\(error)"])
                        }
                        try? await Task.sleep(for: interval)
                    }
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    do { try resolver.resolveDue(at: Date()) } catch { logger.error("auto-resolve failed", metadata: ["error": "\(error)"]) }
                    try? await Task.sleep(for: resolveEvery)
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: silenceEvery)
                    do { try failures.checkSilence(since: started, at: Date()) } catch {
                        logger.error("webhook silence check failed", metadata: ["error": "\(error)"])
                    }
                }
            }
        }
    }
}
