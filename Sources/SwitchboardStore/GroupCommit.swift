import Dispatch
import Foundation
import GRDB
import Synchronization

/// Audit entries, and optionally a ticket note, that must become durable together.
public struct DurableRecord: Sendable {
    public var audit: [AuditEntry]
    public var note: NewTicketNote?

    public init(audit: [AuditEntry], note: NewTicketNote? = nil) {
        self.audit = audit
        self.note = note
    }
}

/// A note to add to a ticket.
public struct NewTicketNote: Sendable, Equatable {
    public let ticket: Int64
    public let author: String
    public let text: String
    public let correlationID: String?

    public init(ticket: Int64, author: String, text: String, correlationID: String?) {
        self.ticket = ticket
        self.author = author
        self.text = text
        self.correlationID = correlationID
    }
}

/// A store that makes records durable, each batch in one transaction.
public protocol RecordStore: Sendable {
    /// Where the store is (a file, a database URL), for error messages.
    var path: String { get }
    /// Commits `records` in one transaction, audit entries in the order given.
    func commit(_ records: [DurableRecord]) throws(StoreError)
}

/// Commits records from many concurrent callers in shared transactions (group commit): while one
/// transaction is being made durable (`synchronous=FULL`: an fsync each), the records that
/// arrive queue up and go together in the next one. Each caller resumes only once its record is
/// on disk, so "committed before the plugin runs" holds for every one of them.
///
/// ```swift
/// let committer = GroupCommitter(store: store)
/// try await committer.commit(DurableRecord(audit: [requested]))
/// ```
public final class GroupCommitter: Sendable {
    private let batches: GroupCommit<DurableRecord, Void>

    public init(store: any RecordStore) {
        batches = GroupCommit(label: "switchboard.group-commit", path: store.path) { records throws(StoreError) in
            try store.commit(records)
            return records.map { _ in () }
        }
    }

    /// Returns once `record` is durable; throws the store's error when its transaction failed.
    public func commit(_ record: DurableRecord) async throws(StoreError) {
        try await batches.submit(record)
    }
}

/// Group commit for any unit of work: inputs from concurrent callers queue up while a batch is
/// being processed, and the next batch takes all of them; `process` handles a batch in one
/// transaction and returns one output per input, in order. A failed batch fails each of its callers.
///
/// ```swift
/// let tickets = GroupCommit<AlertIntake, AlertIngestOutcome>(label: "datto.alerts", path: store.path) { batch throws(StoreError) in
///     try store.ingestAlerts(batch, at: Date())
/// }
/// let outcome = try await tickets.submit(intake)
/// ```
public final class GroupCommit<Input: Sendable, Output: Sendable>: Sendable {
    public typealias Process = @Sendable ([Input]) throws(StoreError) -> [Output]
    private typealias Waiter = (input: Input, continuation: CheckedContinuation<Output, any Error>)

    private let path: String
    private let process: Process
    private let queue: DispatchQueue
    private let pending = Mutex<(waiters: [Waiter], scheduled: Bool)>(([], false))

    /// - Parameters:
    ///   - path: where the store is, for the error when `process` breaks its contract.
    ///   - process: handles one batch; must return exactly one output per input.
    public init(label: String, path: String, process: @escaping Process) {
        self.path = path
        self.process = process
        queue = DispatchQueue(label: label)
    }

    /// Returns the output for `input` once its batch is processed; throws the batch's error.
    public func submit(_ input: Input) async throws(StoreError) -> Output {
        do {
            return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Output, any Error>) in
                let schedule = pending.withLock { state -> Bool in
                    state.waiters.append((input, continuation))
                    defer { state.scheduled = true }
                    return !state.scheduled
                }
                if schedule { queue.async { self.drain() } }
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(path: path, reason: "\(error)")
        }
    }

    /// Processes everything queued as one batch, and again until nothing is left.
    private func drain() {
        while true {
            let batch = pending.withLock { state -> [Waiter] in
                let batch = state.waiters
                state.waiters.removeAll(keepingCapacity: true)
                if batch.isEmpty { state.scheduled = false }
                return batch
            }
            if batch.isEmpty { return }
            do {
                let outputs = try process(batch.map(\.input))
                guard outputs.count == batch.count else {
                    throw StoreError(path: path, reason: "a batch of \(batch.count) gave \(outputs.count) results")
                }
                for (waiter, output) in zip(batch, outputs) { waiter.continuation.resume(returning: output) }
            } catch {
                batch.forEach { $0.continuation.resume(throwing: error) }
            }
        }
    }
}

extension SQLiteStore: RecordStore {
    public func commit(_ records: [DurableRecord]) throws(StoreError) {
        try write { db in
            var entries: [AuditEntry] = []
            for record in records {
                if let note = record.note {
                    _ = try Self.addNote(ticket: note.ticket, author: note.author, text: note.text, correlationID: note.correlationID, audit: [], in: db)
                }
                entries += record.audit
            }
            try Self.append(entries, in: db)
        }
    }
}
