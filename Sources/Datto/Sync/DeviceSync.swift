import Delivery
import Foundation
import Logging
import SwitchboardStore

/// One device sync: Datto's sites are recorded (a new unmapped site raises its alert once), then
/// every page of the account's devices is applied to the CMDB, each page in one transaction
/// (never half a page): devices of mapped sites are created or updated in their site's tenant,
/// the others are skipped. A sync that reads every page marks the Datto devices it did not see as
/// gone; one that fails keeps what its complete pages applied, marks nothing gone, and raises a
/// failure alert. Audited as `datto.sync.started`, `datto.device.created|updated|gone`, then
/// `datto.sync.completed` (with the counts) or `datto.sync.failed`.
///
/// ```swift
/// let result = try await DeviceSync(client: client, store: store, failures: failures, actor: "operator:alice").run { progress in print(progress.devices) }
/// ```
public struct DeviceSync: Sendable {
    let client: DattoClient
    let store: SQLiteStore
    let failures: FailureAlerts
    let actor: String
    let logger: Logger

    public init(client: DattoClient, store: SQLiteStore, failures: FailureAlerts, actor: String,
                logger: Logger = Logger(label: "switchboard.datto.sync")) {
        self.client = client
        self.store = store
        self.failures = failures
        self.actor = actor
        self.logger = logger
    }

    /// How far a sync has got.
    public struct Progress: Sendable, Equatable {
        public var pages = 0
        public var devices = 0
        /// Datto's count of all devices, once the first page gives it.
        public var total: Int?
    }

    /// A completed sync, and the failure alerts it queued (unmapped sites).
    public struct Result: Sendable {
        public let run: SyncRun
        public let alerts: [OutboxMessage]
    }

    /// Why a sync failed, with the run as recorded and the failure alerts queued.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let run: SyncRun?
        public let error: DattoError
        public let alerts: [OutboxMessage]
        public var description: String { error.description }
    }

    /// Runs a sync to its end; throws the failure (recorded and alerted) when it could not complete.
    public func run(progress: @escaping @Sendable (Progress) -> Void = { _ in }) async throws(Failure) -> Result {
        let id: Int64
        do { id = try store.startSync(at: Date(), audit: AuditEntry(event: "datto.sync.started", actor: actor, outcome: "started")) } catch {
            throw Failure(run: nil, error: .platform(status: nil, reason: "the store: \(error)"), alerts: [])
        }
        logger.info("Datto sync started", metadata: ["sync": "\(id)"])
        var state = Progress()
        var alerts: [OutboxMessage] = []
        do {
            let sites = try store.recordSites(try await client.sites(), at: Date())
            alerts = try failures.unmappedSites(sites, at: Date())
            // Page N is committed while page N+1 is read and parsed; pages still commit one at a
            // time and in order (each waits for the one before).
            var applying: Task<Void, any Error>?
            do {
                try await client.devicePages { page throws(DattoError) in
                    try await Self.finish(applying)
                    state.pages += 1
                    state.devices += page.devices.count
                    state.total = page.totalCount ?? state.total
                    let reached = state
                    applying = Task {
                        _ = try store.applyDevicePage(page.devices, sync: id, actor: actor, at: Date())
                        progress(reached)
                    }
                }
            } catch {
                try? await Self.finish(applying)
                throw error
            }
            try await Self.finish(applying)
        } catch let error as DattoError {
            throw fail(id, error, alerts: alerts)
        } catch {
            throw fail(id, .platform(status: nil, reason: "the store: \(error)"), alerts: alerts)
        }
        do {
            let run = try store.finishSync(id, error: nil, at: Date(), completion: AuditEntry(event: "datto.sync.completed", actor: actor, outcome: "completed"))
            logger.info("Datto sync completed", metadata: ["sync": "\(id)", "created": "\(run.created)", "updated": "\(run.updated)", "gone": "\(run.gone)"])
            return Result(run: run, alerts: alerts)
        } catch {
            throw Failure(run: nil, error: .platform(status: nil, reason: "the store: \(error)"), alerts: alerts)
        }
    }

    /// Waits for a page's commit; its store error as a `DattoError`.
    private static func finish(_ applying: Task<Void, any Error>?) async throws(DattoError) {
        do { try await applying?.value } catch {
            throw .platform(status: nil, reason: "the store: \(error)")
        }
    }

    /// Records the failure and raises its alert.
    private func fail(_ id: Int64, _ error: DattoError, alerts: [OutboxMessage]) -> Failure {
        logger.error("Datto sync failed", metadata: ["sync": "\(id)", "error": "\(error)"])
        let run = try? store.finishSync(id, error: error.description, at: Date(),
                                        completion: AuditEntry(event: "datto.sync.failed", actor: actor, outcome: "failed"))
        var raised = alerts
        // A host that stops (SIGTERM) cancels the sync: recorded, not alerted.
        if error == .cancelled { return Failure(run: run, error: error, alerts: raised) }
        do { raised += try failures.syncFailed(error, at: Date()) } catch {
            logger.error("could not raise the sync failure alert", metadata: ["error": "\(error)"])
        }
        return Failure(run: run, error: error, alerts: raised)
    }
}
