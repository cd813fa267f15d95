import GRDB

/// What recomputing the audit chain found.
///
/// ```swift
/// switch try store.verifyAuditChain() {
/// case .intact(let entries, let head): print("\(entries) entries, head \(head)")
/// case .broken(let problem): print(problem)   // audit entry 17: content does not match its hash
/// }
/// ```
///
/// Deleting the newest entries leaves a shorter chain that is still intact: compare the count and
/// head hash with an earlier verification or export to detect it.
public enum AuditVerification: Sendable, Equatable, CustomStringConvertible {
    /// Every entry matches its hash and links to the one before: how many, and the newest entry's
    /// hash (the genesis hash, 64 zeros, when the trail is empty).
    case intact(entries: Int64, head: String)
    /// The first bad entry.
    case broken(AuditChainBreak)

    public var isIntact: Bool {
        if case .intact = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .intact(let entries, let head): "audit trail intact: \(entries) \(entries == 1 ? "entry" : "entries"), head \(head)"
        case .broken(let problem): problem.description
        }
    }
}

/// Where the audit chain is broken, and how.
public struct AuditChainBreak: Sendable, Equatable, CustomStringConvertible {
    public let sequence: Int64
    public let reason: Reason
    public var description: String { "audit entry \(sequence): \(reason)" }

    /// What is wrong with the entry.
    public enum Reason: Sendable, Equatable, CustomStringConvertible {
        /// A field was edited: the entry's content does not match its hash.
        case contentMismatch
        /// A format 1 entry has a ticket, device, action or site, which format 1 does not cover.
        case uncoveredFields
        /// The entry was deleted; `next` is the next sequence present.
        case missing(next: Int64)
        /// The entry was moved: it links to another entry of the trail than the one before it.
        case outOfOrder
        /// The entry was inserted: the entry after it links to the entry before it.
        case inserted
        /// The entry links to a hash that is no entry's, though its own hash matches.
        case brokenLink
        case unknownFormat(Int)
        /// A column holds a value of the wrong type.
        case unreadable(String)

        public var description: String {
            switch self {
            case .contentMismatch: "content does not match its hash"
            case .uncoveredFields: "content does not match its hash (a format 1 entry has no ticket, device, action or site)"
            case .missing(let next): "missing (the next entry present is \(next))"
            case .outOfOrder: "out of order (it does not link to the entry before it)"
            case .inserted: "not part of the chain (the entry after it links to the entry before it)"
            case .brokenLink: "its previous-hash link does not match the entry before it"
            case .unknownFormat(let format): "unknown hash format \(format)"
            case .unreadable(let problem): "unreadable: \(problem)"
            }
        }
    }
}

extension SQLiteStore {
    public func verifyAuditChain() throws(StoreError) -> AuditVerification {
        try read { db in
            var verified: Int64 = 0
            var previous = AuditHash.genesis
            // The hash the last verified entry links to: an entry linking to it instead of to
            // `previous` means the last verified entry was inserted.
            var beforePrevious: String?
            var suspect: (entry: RecordedAuditEntry, selfConsistent: Bool)?
            let cursor = try Row.fetchCursor(db, sql: "SELECT * FROM audit_log ORDER BY sequence")
            while let row = try cursor.next() {
                guard let sequence: Int64 = try? row.decode(forColumn: "sequence") else {
                    return .broken(AuditChainBreak(sequence: verified + 1, reason: .unreadable("column sequence holds no number")))
                }
                if sequence != verified + 1 {
                    return .broken(AuditChainBreak(sequence: verified + 1, reason: .missing(next: sequence)))
                }
                let recorded: RecordedAuditEntry
                let details: String
                do throws(UnreadableColumn) {
                    (recorded, details) = try Self.stored(row)
                } catch {
                    return .broken(AuditChainBreak(sequence: sequence, reason: .unreadable(error.problem)))
                }
                let entry = recorded.entry
                if recorded.format == 1, entry.ticket != nil || entry.device != nil || entry.action != nil || entry.site != nil {
                    return .broken(AuditChainBreak(sequence: sequence, reason: .uncoveredFields))
                }
                guard let format = AuditHash.Format(rawValue: recorded.format) else {
                    return .broken(AuditChainBreak(sequence: sequence, reason: .unknownFormat(recorded.format)))
                }
                let hash = AuditHash.hash(format: format, sequence: sequence, time: recorded.time, entry: entry, details: details,
                                          previous: recorded.previousHash)
                if hash != recorded.hash || recorded.previousHash != previous {
                    suspect = (recorded, hash == recorded.hash)
                    break
                }
                beforePrevious = previous
                previous = recorded.hash
                verified += 1
            }
            guard let suspect else { return .intact(entries: verified, head: previous) }
            let next = try Row.fetchOne(db, sql: "SELECT previous_hash, hash FROM audit_log WHERE sequence > ? ORDER BY sequence LIMIT 1",
                                        arguments: [suspect.entry.sequence]).flatMap { row -> (link: String, hash: String)? in
                guard let link: String = try? row.decode(forColumn: "previous_hash"), let hash: String = try? row.decode(forColumn: "hash") else {
                    return nil
                }
                return (link, hash)
            }
            let linksToAnother = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM audit_log WHERE hash = ? AND sequence != ?)",
                                                   arguments: [suspect.entry.previousHash, suspect.entry.sequence]) ?? false
            return .broken(Self.diagnose(suspect.entry, selfConsistent: suspect.selfConsistent, previous: previous,
                                         beforePrevious: beforePrevious, next: next, linksToAnother: linksToAnother))
        }
    }

    /// Names what happened to the first entry that does not verify, from the links around it.
    /// `previous` is the hash of the last verified entry, `beforePrevious` the hash that one links
    /// to, `next` the link and hash of the entry that follows, `linksToAnother` whether this entry
    /// links to the hash of some other entry in the trail.
    private static func diagnose(_ entry: RecordedAuditEntry, selfConsistent: Bool, previous: String, beforePrevious: String?,
                                 next: (link: String, hash: String)?, linksToAnother: Bool) -> AuditChainBreak {
        let linked = entry.previousHash == previous
        // The last verified entry is well formed, but this one skips it: that one was inserted.
        if !linked, entry.previousHash == beforePrevious {
            return AuditChainBreak(sequence: entry.sequence - 1, reason: .inserted)
        }
        // The next entry skips this one, and the two were not merely swapped: this one was inserted.
        if let next, next.link == previous, entry.previousHash != next.hash {
            return AuditChainBreak(sequence: entry.sequence, reason: .inserted)
        }
        if linked { return AuditChainBreak(sequence: entry.sequence, reason: .contentMismatch) }
        // It follows another entry of the trail: it was moved.
        if linksToAnother { return AuditChainBreak(sequence: entry.sequence, reason: .outOfOrder) }
        // It links to nothing in the trail: its link was changed.
        return AuditChainBreak(sequence: entry.sequence, reason: selfConsistent ? .brokenLink : .contentMismatch)
    }
}
