import Foundation
import GRDB

/// A message waiting to be delivered to one target. The payload is the normalized event (alert,
/// report) as JSON; requests are rendered at send time, so no secret is ever stored.
public struct OutboxMessage: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable { case pending, sending, delivered, dead }

    public let id: Int64
    /// Sent with every attempt (`Idempotency-Key`), so a platform can drop a repeat.
    public let idempotencyKey: String
    /// Shared by the messages of one `alert send`.
    public let correlationID: String
    public let target: String
    public let platform: String
    /// `alert`, `report` or `test`.
    public let kind: String
    public let payload: String
    public let status: Status
    public let attempts: Int
    public let nextAttemptAt: Date
    public let lastHTTPStatus: Int?
    public let lastError: String?
    public let remoteID: String?
    public let createdAt: Date
    public let deliveredAt: Date?
}

/// A message to add to the outbox.
public struct NewOutboxMessage: Sendable {
    public let correlationID: String
    public let target: String
    public let platform: String
    public let kind: String
    public let payload: String

    public init(correlationID: String, target: String, platform: String, kind: String, payload: String) {
        self.correlationID = correlationID
        self.target = target
        self.platform = platform
        self.kind = kind
        self.payload = payload
    }
}

/// The durable outbox: messages are written before any send and leave it only as delivered or
/// dead (or by an explicit purge).
public protocol OutboxStore: Sendable {
    /// Commits `messages` in one transaction, each with a fresh idempotency key.
    func enqueue(_ messages: [NewOutboxMessage], now: Date) throws(StoreError) -> [OutboxMessage]
    /// Claims up to `limit` messages that are due (or whose previous claim expired after a crash),
    /// optionally only those whose id is in `ids`, leasing them until `now + lease`.
    func claimDue(now: Date, lease: TimeInterval, limit: Int, among ids: ClosedRange<Int64>?) throws(StoreError) -> [OutboxMessage]
    /// Records the outcomes of attempts, each with its audit entry, in one transaction.
    func record(_ outcomes: [(outcome: DeliveryOutcome, audit: AuditEntry?)], now: Date) throws(StoreError)
    func messages(status: OutboxMessage.Status?, limit: Int) throws(StoreError) -> [OutboxMessage]
    /// Makes dead (or, with ids, the named) messages pending again; returns how many.
    func retry(ids: [Int64]?, now: Date) throws(StoreError) -> Int
    /// Deletes delivered and/or dead messages; returns how many.
    func purge(statuses: [OutboxMessage.Status], before: Date?) throws(StoreError) -> Int
}

/// What became of one attempt to deliver a message.
public enum DeliveryOutcome: Sendable, Equatable {
    case delivered(id: Int64, httpStatus: Int?, remoteID: String?)
    case retry(id: Int64, at: Date, httpStatus: Int?, error: String)
    case dead(id: Int64, httpStatus: Int?, error: String)
}

extension SQLiteStore: OutboxStore {
    public func enqueue(_ messages: [NewOutboxMessage], now: Date) throws(StoreError) -> [OutboxMessage] {
        try write { db in
            try messages.map { message in
                try OutboxMessage.fetchOne(db.cachedStatement(sql: """
                    INSERT INTO outbox_messages (idempotency_key, correlation_id, target, platform, kind, payload, status,
                        next_attempt_at, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?) RETURNING *
                    """), arguments: [UUID().uuidString.lowercased(), message.correlationID, message.target, message.platform,
                                     message.kind, message.payload, now.timeIntervalSince1970, now.timeIntervalSince1970,
                                     now.timeIntervalSince1970])
            }.compactMap { $0 }
        }
    }

    public func claimDue(now: Date, lease: TimeInterval, limit: Int, among ids: ClosedRange<Int64>?) throws(StoreError) -> [OutboxMessage] {
        let stamp = now.timeIntervalSince1970
        var filter = ""
        var arguments: StatementArguments = [stamp + lease, stamp, stamp, stamp]
        if let ids {
            filter = " AND id BETWEEN ? AND ?"
            arguments += [ids.lowerBound, ids.upperBound]
        }
        arguments += [limit]
        return try write { db in
            try OutboxMessage.fetchAll(db.cachedStatement(sql: """
                UPDATE outbox_messages SET status = 'sending', lease_until = ?, updated_at = ?
                WHERE id IN (SELECT id FROM outbox_messages
                             WHERE ((status = 'pending' AND next_attempt_at <= ?) OR (status = 'sending' AND lease_until <= ?))\(filter)
                             ORDER BY id LIMIT ?)
                RETURNING *
                """), arguments: arguments).sorted { $0.id < $1.id }
        }
    }

    public func record(_ outcomes: [(outcome: DeliveryOutcome, audit: AuditEntry?)], now: Date) throws(StoreError) {
        let stamp = now.timeIntervalSince1970
        try write { db in
            for (outcome, _) in outcomes { try Self.apply(outcome, stamp: stamp, in: db) }
            try SQLiteStore.append(outcomes.compactMap(\.audit), in: db)
        }
    }

    private static func apply(_ outcome: DeliveryOutcome, stamp: Double, in db: Database) throws {
        switch outcome {
        case .delivered(let id, let status, let remoteID):
            try db.cachedStatement(sql: """
                UPDATE outbox_messages SET status = 'delivered', attempts = attempts + 1, lease_until = NULL,
                    last_http_status = ?, last_error = NULL, remote_id = ?, delivered_at = ?, updated_at = ? WHERE id = ?
                """).execute(arguments: [status, remoteID, stamp, stamp, id])
        case .retry(let id, let at, let status, let error):
            try db.cachedStatement(sql: """
                UPDATE outbox_messages SET status = 'pending', attempts = attempts + 1, lease_until = NULL,
                    next_attempt_at = ?, last_http_status = ?, last_error = ?, updated_at = ? WHERE id = ?
                """).execute(arguments: [at.timeIntervalSince1970, status, error, stamp, id])
        case .dead(let id, let status, let error):
            try db.cachedStatement(sql: """
                UPDATE outbox_messages SET status = 'dead', attempts = attempts + 1, lease_until = NULL,
                    last_http_status = ?, last_error = ?, updated_at = ? WHERE id = ?
                """).execute(arguments: [status, error, stamp, id])
        }
    }

    public func messages(status: OutboxMessage.Status?, limit: Int) throws(StoreError) -> [OutboxMessage] {
        try read { db in
            if let status {
                return try OutboxMessage.fetchAll(db, sql: "SELECT * FROM outbox_messages WHERE status = ? ORDER BY id LIMIT ?",
                                                  arguments: [status.rawValue, limit])
            }
            return try OutboxMessage.fetchAll(db, sql: "SELECT * FROM outbox_messages ORDER BY id LIMIT ?", arguments: [limit])
        }
    }

    public func retry(ids: [Int64]?, now: Date) throws(StoreError) -> Int {
        try write { db in
            let stamp = now.timeIntervalSince1970
            if let ids {
                guard !ids.isEmpty else { return 0 }
                try db.execute(sql: """
                    UPDATE outbox_messages SET status = 'pending', next_attempt_at = ?, updated_at = ?
                    WHERE status IN ('dead', 'pending') AND id IN (\(ids.map { _ in "?" }.joined(separator: ",")))
                    """, arguments: [stamp, stamp] + StatementArguments(ids))
            } else {
                try db.execute(sql: "UPDATE outbox_messages SET status = 'pending', next_attempt_at = ?, updated_at = ? WHERE status = 'dead'",
                               arguments: [stamp, stamp])
            }
            return db.changesCount
        }
    }

    public func purge(statuses: [OutboxMessage.Status], before: Date?) throws(StoreError) -> Int {
        guard !statuses.isEmpty else { return 0 }
        return try write { db in
            var sql = "DELETE FROM outbox_messages WHERE status IN (\(statuses.map { _ in "?" }.joined(separator: ",")))"
            var arguments = StatementArguments(statuses.map(\.rawValue))
            if let before {
                sql += " AND updated_at < ?"
                arguments += [before.timeIntervalSince1970]
            }
            try db.execute(sql: sql, arguments: arguments)
            return db.changesCount
        }
    }
}

extension OutboxMessage: FetchableRecord {
    public init(row: Row) throws {
        id = row["id"]
        idempotencyKey = row["idempotency_key"]
        correlationID = row["correlation_id"]
        target = row["target"]
        platform = row["platform"]
        kind = row["kind"]
        payload = row["payload"]
        status = Status(rawValue: row["status"]) ?? .pending
        attempts = row["attempts"]
        nextAttemptAt = Date(timeIntervalSince1970: row["next_attempt_at"])
        lastHTTPStatus = row["last_http_status"]
        lastError = row["last_error"]
        remoteID = row["remote_id"]
        createdAt = Date(timeIntervalSince1970: row["created_at"])
        deliveredAt = (row["delivered_at"] as Double?).map(Date.init(timeIntervalSince1970:))
    }
}

extension SQLiteStore {
    /// When the earliest pending message (with an id in `ids`, when given) falls due; nil when none is pending.
    public func nextDue(among ids: ClosedRange<Int64>?) throws(StoreError) -> Date? {
        try read { db in
            var sql = "SELECT MIN(CASE status WHEN 'pending' THEN next_attempt_at ELSE lease_until END) FROM outbox_messages WHERE status IN ('pending', 'sending')"
            var arguments = StatementArguments()
            if let ids {
                sql += " AND id BETWEEN ? AND ?"
                arguments += [ids.lowerBound, ids.upperBound]
            }
            return try Double.fetchOne(db, sql: sql, arguments: arguments).map(Date.init(timeIntervalSince1970:))
        }
    }

    /// The messages with these ids, in id order.
    public func messages(ids: [Int64]) throws(StoreError) -> [OutboxMessage] {
        guard !ids.isEmpty else { return [] }
        return try read { db in
            try OutboxMessage.fetchAll(db, sql: "SELECT * FROM outbox_messages WHERE id IN (\(ids.map { _ in "?" }.joined(separator: ","))) ORDER BY id",
                                       arguments: StatementArguments(ids))
        }
    }
}
