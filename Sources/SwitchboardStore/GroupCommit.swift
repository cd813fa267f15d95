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
    let store: any RecordStore
    private let queue = DispatchQueue(label: "switchboard.group-commit")
    private let pending = Mutex<(records: [(DurableRecord, CheckedContinuation<Void, any Error>)], scheduled: Bool)>(([], false))

    public init(store: any RecordStore) {
        self.store = store
    }

    /// Returns once `record` is durable; throws the store's error when its transaction failed.
    public func commit(_ record: DurableRecord) async throws(StoreError) {
        do {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let schedule = pending.withLock { state -> Bool in
                    state.records.append((record, continuation))
                    defer { state.scheduled = true }
                    return !state.scheduled
                }
                if schedule { queue.async { self.drain() } }
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(path: store.path, reason: "\(error)")
        }
    }

    /// Writes everything queued in one transaction, and again until nothing is left.
    private func drain() {
        while true {
            let batch = pending.withLock { state -> [(DurableRecord, CheckedContinuation<Void, any Error>)] in
                let batch = state.records
                state.records.removeAll(keepingCapacity: true)
                if batch.isEmpty { state.scheduled = false }
                return batch
            }
            if batch.isEmpty { return }
            do {
                try store.commit(batch.map(\.0))
                batch.forEach { $0.1.resume() }
            } catch {
                batch.forEach { $0.1.resume(throwing: error) }
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
