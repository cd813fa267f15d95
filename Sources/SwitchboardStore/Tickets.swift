import Foundation
import GRDB

/// A ticket: work on one tenant's device, from an alert or opened by hand.
public struct Ticket: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable { case new, open, inProgress = "in-progress", resolved, closed }
    public enum Priority: String, Sendable, CaseIterable { case low, medium, high, critical }

    public let id: Int64
    public let tenant: String
    public var title: String
    public var status: Status
    public var priority: Priority
    public var category: String?
    public var queue: String?
    /// The linked CMDB device's id.
    public var device: String?
    /// The principal the ticket is assigned to (from its queue, for tickets raised from alerts).
    public var assignee: String?
    public let createdAt: Date
    public var updatedAt: Date
    /// When the ticket last became resolved (nil while it is not).
    public var resolvedAt: Date?
}

/// A note on a ticket, by a principal or by Switchboard itself (an action's result).
public struct TicketNote: Sendable, Equatable {
    public let id: Int64
    public let ticket: Int64
    public let author: String
    public let text: String
    public let correlationID: String?
    public let createdAt: Date
}

/// What a new ticket starts with.
public struct NewTicket: Sendable {
    public var tenant: String
    public var title: String
    public var priority: Ticket.Priority
    public var category: String?
    public var queue: String?
    public var device: String?
    public var assignee: String?

    public init(tenant: String, title: String, priority: Ticket.Priority = .medium, category: String? = nil, queue: String? = nil,
                device: String? = nil, assignee: String? = nil) {
        self.tenant = tenant
        self.title = title
        self.priority = priority
        self.category = category
        self.queue = queue
        self.device = device
        self.assignee = assignee
    }
}

/// Changes to a ticket's fields; nil leaves a field as it is.
public struct TicketChanges: Sendable {
    public var status: Ticket.Status?
    public var priority: Ticket.Priority?
    public var category: String?
    public var queue: String?
    public var assignee: String?

    public init(status: Ticket.Status? = nil, priority: Ticket.Priority? = nil, category: String? = nil, queue: String? = nil,
                assignee: String? = nil) {
        self.status = status
        self.priority = priority
        self.category = category
        self.queue = queue
        self.assignee = assignee
    }
}

/// Tickets and their notes. Every read takes the tenants the caller may see: nil means the
/// installation's operator (every tenant), an empty set means none.
public protocol TicketStore: Sendable {
    /// Creates a ticket, checking that its tenant exists and its device belongs to that tenant;
    /// `audit` entries are committed with it (their `ticket` and `device` fields filled in).
    func createTicket(_ ticket: NewTicket, audit: [AuditEntry]) throws(StoreError) -> Ticket
    func ticket(id: Int64, tenants: Set<String>?) throws(StoreError) -> Ticket?
    /// A ticket and its linked device (nil when it has none, or it is not in the CMDB), read together.
    func ticketWithDevice(id: Int64) throws(StoreError) -> (ticket: Ticket, device: Device?)?
    func tickets(tenants: Set<String>?, status: Ticket.Status?, limit: Int) throws(StoreError) -> [Ticket]
    func updateTicket(id: Int64, _ changes: TicketChanges, audit: [AuditEntry]) throws(StoreError) -> Ticket
    /// Adds a note, committed together with `audit`.
    func addNote(ticket: Int64, author: String, text: String, correlationID: String?, audit: [AuditEntry]) throws(StoreError) -> TicketNote
    func notes(ticket: Int64) throws(StoreError) -> [TicketNote]
}

extension SQLiteStore: TicketStore {
    public func createTicket(_ new: NewTicket, audit: [AuditEntry]) throws(StoreError) -> Ticket {
        let now = Date().timeIntervalSince1970
        return try write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM tenants WHERE id = ?", arguments: [new.tenant]) == true else {
                throw StoreError(path: path, reason: "unknown tenant '\(new.tenant)'")
            }
            if let device = new.device {
                guard let owner = try String.fetchOne(db, sql: "SELECT tenant FROM devices WHERE id = ?", arguments: [device]) else {
                    throw StoreError(path: path, reason: "unknown device '\(device)'")
                }
                guard owner == new.tenant else {
                    throw StoreError(path: path, reason: "device '\(device)' belongs to another tenant")
                }
            }
            let ticket = try Self.insertTicket(new, at: now, in: db)
            try Self.append(audit.map { var entry = $0; entry.ticket = entry.ticket ?? String(ticket.id); entry.device = entry.device ?? ticket.device; return entry },
                            in: db)
            return ticket
        }
    }

    /// Inserts a ticket inside the caller's transaction, without checking its tenant or device.
    static func insertTicket(_ new: NewTicket, at now: Double, in db: Database) throws -> Ticket {
        guard let ticket = try Ticket.fetchOne(db.cachedStatement(sql: """
            INSERT INTO tickets (tenant, title, status, priority, category, queue, device, assignee, created_at, updated_at)
            VALUES (?, ?, 'new', ?, ?, ?, ?, ?, ?, ?) RETURNING *
            """), arguments: [new.tenant, new.title, new.priority.rawValue, new.category, new.queue, new.device, new.assignee, now, now]) else {
            throw StoreError(path: db.description, reason: "the new ticket was not returned")
        }
        return ticket
    }

    public func ticket(id: Int64, tenants: Set<String>?) throws(StoreError) -> Ticket? {
        try read { db in
            guard let ticket = try Ticket.fetchOne(db.cachedStatement(sql: "SELECT * FROM tickets WHERE id = ?"), arguments: [id]) else { return nil }
            return tenants.map { $0.contains(ticket.tenant) } ?? true ? ticket : nil
        }
    }

    public func ticketWithDevice(id: Int64) throws(StoreError) -> (ticket: Ticket, device: Device?)? {
        try read { db in
            guard let ticket = try Ticket.fetchOne(db.cachedStatement(sql: "SELECT * FROM tickets WHERE id = ?"), arguments: [id]) else { return nil }
            guard let device = ticket.device else { return (ticket, nil) }
            return (ticket, try Device.fetchOne(db.cachedStatement(sql: "SELECT * FROM devices WHERE id = ?"), arguments: [device]))
        }
    }

    public func tickets(tenants: Set<String>?, status: Ticket.Status?, limit: Int) throws(StoreError) -> [Ticket] {
        if let tenants, tenants.isEmpty { return [] }
        var conditions: [String] = []
        var arguments = StatementArguments()
        if let tenants {
            conditions.append("tenant IN (\(tenants.map { _ in "?" }.joined(separator: ",")))")
            arguments += StatementArguments(tenants.sorted())
        }
        if let status {
            conditions.append("status = ?")
            arguments += [status.rawValue]
        }
        arguments += [limit]
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        return try read { db in try Ticket.fetchAll(db, sql: "SELECT * FROM tickets\(filter) ORDER BY id LIMIT ?", arguments: arguments) }
    }

    public func updateTicket(id: Int64, _ changes: TicketChanges, audit: [AuditEntry]) throws(StoreError) -> Ticket {
        let now = Date().timeIntervalSince1970
        return try write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM tickets WHERE id = ?", arguments: [id]) == true else {
                throw StoreError(path: path, reason: "unknown ticket \(id)")
            }
            guard let ticket = try Ticket.fetchOne(db, sql: """
                UPDATE tickets SET status = COALESCE(?1, status), priority = COALESCE(?2, priority), category = COALESCE(?3, category),
                    queue = COALESCE(?4, queue), assignee = COALESCE(?5, assignee), updated_at = ?6,
                    resolved_at = CASE WHEN ?1 IS NULL OR ?1 = status THEN resolved_at WHEN ?1 = 'resolved' THEN ?6 ELSE NULL END
                WHERE id = ?7 RETURNING *
                """, arguments: [changes.status?.rawValue, changes.priority?.rawValue, changes.category, changes.queue, changes.assignee, now, id]) else {
                throw StoreError(path: path, reason: "unknown ticket \(id)")
            }
            try Self.append(audit, in: db)
            return ticket
        }
    }

    public func addNote(ticket: Int64, author: String, text: String, correlationID: String?, audit: [AuditEntry]) throws(StoreError) -> TicketNote {
        try write { db in try Self.addNote(ticket: ticket, author: author, text: text, correlationID: correlationID, audit: audit, in: db) }
    }

    /// Adds a note inside the caller's transaction.
    static func addNote(ticket: Int64, author: String, text: String, correlationID: String?, audit: [AuditEntry],
                        in db: Database) throws -> TicketNote {
        let now = Date().timeIntervalSince1970
        guard let row = try Row.fetchOne(db.cachedStatement(sql: """
            INSERT INTO ticket_notes (ticket, author, text, correlation_id, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id
            """), arguments: [ticket, author, text, correlationID, now]), let id: Int64 = row["id"] else {
            throw StoreError(path: db.description, reason: "the new note was not returned")
        }
        try db.cachedStatement(sql: "UPDATE tickets SET updated_at = ? WHERE id = ?").execute(arguments: [now, ticket])
        try append(audit, in: db)
        return TicketNote(id: id, ticket: ticket, author: author, text: text, correlationID: correlationID,
                          createdAt: Date(timeIntervalSince1970: now))
    }

    public func notes(ticket: Int64) throws(StoreError) -> [TicketNote] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM ticket_notes WHERE ticket = ? ORDER BY id", arguments: [ticket]).map {
                TicketNote(id: $0["id"], ticket: $0["ticket"], author: $0["author"], text: $0["text"], correlationID: $0["correlation_id"],
                           createdAt: Date(timeIntervalSince1970: $0["created_at"]))
            }
        }
    }
}

extension Ticket: FetchableRecord {
    public init(row: Row) throws {
        id = row["id"]
        tenant = row["tenant"]
        title = row["title"]
        status = Status(rawValue: row["status"]) ?? .open
        priority = Priority(rawValue: row["priority"]) ?? .medium
        category = row["category"]
        queue = row["queue"]
        device = row["device"]
        assignee = row["assignee"]
        createdAt = Date(timeIntervalSince1970: row["created_at"])
        updatedAt = Date(timeIntervalSince1970: row["updated_at"])
        resolvedAt = (row["resolved_at"] as Double?).map(Date.init(timeIntervalSince1970:))
    }
}
