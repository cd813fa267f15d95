import Foundation
import GRDB

/// A Datto alert, read from its webhook (and the API when the webhook carries only its uid), with
/// the ticket fields it maps to.
public struct AlertIntake: Sendable, Equatable {
    public var uid: String
    public var siteUid: String
    public var siteName: String?
    public var deviceUid: String?
    /// Datto's priority (`Critical` ... `Information`), as received.
    public var dattoPriority: String
    /// The alert type (`CPU`, `Disk`, ...).
    public var type: String
    public var ticket: NewTicketFields
    public var raisedAt: Date?
    /// Who reported it (`datto:webhook`).
    public var actor: String

    public init(uid: String, siteUid: String, siteName: String?, deviceUid: String?, dattoPriority: String, type: String,
                ticket: NewTicketFields, raisedAt: Date?, actor: String) {
        self.uid = uid
        self.siteUid = siteUid
        self.siteName = siteName
        self.deviceUid = deviceUid
        self.dattoPriority = dattoPriority
        self.type = type
        self.ticket = ticket
        self.raisedAt = raisedAt
        self.actor = actor
    }
}

/// What a ticket raised from an alert starts with; its tenant and device come from the site and the CMDB.
public struct NewTicketFields: Sendable, Equatable {
    public var title: String
    public var priority: Ticket.Priority
    public var category: String?
    public var queue: String?
    public var assignee: String?

    public init(title: String, priority: Ticket.Priority, category: String?, queue: String?, assignee: String?) {
        self.title = title
        self.priority = priority
        self.category = category
        self.queue = queue
        self.assignee = assignee
    }
}

/// What became of an alert.
public enum AlertIngestOutcome: Sendable, Equatable {
    /// A ticket was created in the site's tenant; `device` is the linked CMDB device, nil when the
    /// alert's device is not in the tenant's CMDB (`unlinkedDevice` names it then).
    case created(ticket: Ticket, device: String?, unlinkedDevice: String?)
    /// The alert already has its ticket.
    case duplicate(ticket: Int64)
    /// The site is unmapped or ignored (`known` false: first heard of from this alert, now listed as unmapped).
    case ignored(site: String, mapping: DattoSite.Mapping, known: Bool)
}

/// What a resolved-alert webhook did.
public enum AlertResolution: Sendable, Equatable {
    /// The ticket resolves at `due`.
    case scheduled(ticket: Int64, due: Date)
    /// Recorded; the ticket is left as it is (auto-resolve is off).
    case recorded(ticket: Int64)
    /// The alert was already resolved.
    case alreadyResolved(ticket: Int64)
    /// No ticket was created for the alert.
    case unknown
}

/// A ticket whose alert resolved and whose delay has passed.
public struct DueResolution: Sendable, Equatable {
    public let alert: String
    public let ticket: Ticket
    public let site: String
    /// When Datto reported the alert resolved.
    public let alertResolvedAt: Date
}

/// The figures of the Datto dashboard.
public struct DattoStatistics: Sendable, Equatable {
    /// Datto devices in the CMDB that the last complete sync still found.
    public let devices: Int
    public let goneDevices: Int
    /// Alerts received (and given a ticket) since the given time.
    public let recentAlerts: Int
    /// Tickets created from alerts, in all.
    public let ticketsCreated: Int
    public let ticketsAutoResolved: Int
    public let syncsCompleted: Int
    public let syncsFailed: Int
    public let lastSync: SyncRun?
    public let sites: [DattoSite.Mapping: Int]
    /// Marks: when the last webhook arrived (`webhook`), when each failure alert was last raised.
    public let marks: [String: Date]

    /// Completed runs over finished runs, nil before the first.
    public var syncSuccessRate: Double? {
        syncsCompleted + syncsFailed == 0 ? nil : Double(syncsCompleted) / Double(syncsCompleted + syncsFailed)
    }
}

extension SQLiteStore {
    /// Turns a batch of alerts into tickets in one transaction, in order: a duplicate (by alert
    /// uid) gets the existing ticket, an alert of an unmapped or ignored site gets none (an
    /// unknown site is listed as unmapped). Audits `datto.alert.received` for each and
    /// `datto.ticket.created` for each ticket; marks `webhook` as received at `date`.
    public func ingestAlerts(_ batch: [AlertIntake], at date: Date) throws(StoreError) -> [AlertIngestOutcome] {
        try write { db in
            let now = date.timeIntervalSince1970
            var audit: [AuditEntry] = []
            var outcomes: [AlertIngestOutcome] = []
            outcomes.reserveCapacity(batch.count)
            for alert in batch {
                let details = ["alertUid": alert.uid, "priority": alert.dattoPriority, "type": alert.type]
                if let ticket = try Int64.fetchOne(db.cachedStatement(sql: "SELECT ticket FROM datto_alerts WHERE uid = ?"), arguments: [alert.uid]) {
                    let tenant = try String.fetchOne(db.cachedStatement(sql: "SELECT tenant FROM tickets WHERE id = ?"), arguments: [ticket])
                    audit.append(AuditEntry(event: "datto.alert.received", tenant: tenant, actor: alert.actor, ticket: String(ticket), site: alert.siteUid,
                                            outcome: "duplicate", details: details))
                    outcomes.append(.duplicate(ticket: ticket))
                    continue
                }
                let site = try Row.fetchOne(db.cachedStatement(sql: "SELECT mapping, tenant FROM datto_sites WHERE uid = ?"), arguments: [alert.siteUid])
                guard let site, let tenant = site["tenant"] as String? else {
                    if site == nil {
                        try db.cachedStatement(sql: "INSERT INTO datto_sites (uid, name, mapping, first_seen) VALUES (?, ?, 'unmapped', ?)")
                            .execute(arguments: [alert.siteUid, alert.siteName ?? alert.siteUid, now])
                    }
                    let mapping = site.flatMap { DattoSite.Mapping(rawValue: $0["mapping"]) } ?? .unmapped
                    audit.append(AuditEntry(event: "datto.alert.received", actor: alert.actor, site: alert.siteUid, outcome: "ignored",
                                            error: "site '\(alert.siteUid)' is \(mapping.rawValue)", details: details))
                    outcomes.append(.ignored(site: alert.siteUid, mapping: mapping, known: site != nil))
                    continue
                }
                var device: String?
                if let uid = alert.deviceUid {
                    let id = SyncedDevice.deviceID(uid)
                    let owner = try String.fetchOne(db.cachedStatement(sql: "SELECT tenant FROM devices WHERE id = ?"), arguments: [id])
                    device = owner == tenant ? id : nil
                }
                let ticket = try Self.insertTicket(NewTicket(tenant: tenant, title: alert.ticket.title, priority: alert.ticket.priority,
                                                             category: alert.ticket.category, queue: alert.ticket.queue, device: device,
                                                             assignee: alert.ticket.assignee), at: now, in: db)
                try db.cachedStatement(sql: """
                    INSERT INTO datto_alerts (uid, ticket, tenant, site, device, priority, type, raised_at, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """).execute(arguments: [alert.uid, ticket.id, tenant, alert.siteUid, device, alert.dattoPriority, alert.type,
                                             alert.raisedAt?.timeIntervalSince1970, now])
                let unlinked = device == nil ? alert.deviceUid : nil
                var received = details
                if let unlinked { received["unlinkedDevice"] = unlinked }
                audit.append(AuditEntry(event: "datto.alert.received", tenant: tenant, actor: alert.actor, ticket: String(ticket.id), device: device,
                                        site: alert.siteUid, outcome: "accepted", details: received))
                var created = ["priority": ticket.priority.rawValue, "alertUid": alert.uid]
                created["category"] = ticket.category
                created["queue"] = ticket.queue
                created["assignee"] = ticket.assignee
                audit.append(AuditEntry(event: "datto.ticket.created", tenant: tenant, actor: alert.actor, ticket: String(ticket.id), device: device,
                                        site: alert.siteUid, outcome: "created", details: created))
                outcomes.append(.created(ticket: ticket, device: device, unlinkedDevice: unlinked))
            }
            try Self.mark("webhook", at: now, in: db)
            try Self.append(audit, in: db, at: date)
            return outcomes
        }
    }

    /// Records that Datto resolved an alert (`datto.alert.resolved`, by `actor`); with
    /// `resolveAfter` its ticket is due to resolve then, without it the ticket is left alone.
    public func markAlertResolved(_ uid: String, at date: Date, resolveAfter delay: TimeInterval?, actor: String) throws(StoreError) -> AlertResolution {
        try write { db in
            let now = date.timeIntervalSince1970
            try Self.mark("webhook", at: now, in: db)
            guard let row = try Row.fetchOne(db, sql: "SELECT ticket, tenant, site, device, resolved_at FROM datto_alerts WHERE uid = ?", arguments: [uid]) else {
                try Self.append([AuditEntry(event: "datto.alert.resolved", actor: actor, outcome: "unknown",
                                            error: "no ticket was created for alert '\(uid)'", details: ["alertUid": uid])], in: db, at: date)
                return .unknown
            }
            let ticket: Int64 = row["ticket"]
            guard row["resolved_at"] as Double? == nil else { return .alreadyResolved(ticket: ticket) }
            let due = delay.map { now + $0 }
            try db.execute(sql: "UPDATE datto_alerts SET resolved_at = ?, resolve_due = ? WHERE uid = ?", arguments: [now, due, uid])
            var details = ["alertUid": uid]
            if let delay { details["resolveAfterSeconds"] = String(Int(delay)) }
            try Self.append([AuditEntry(event: "datto.alert.resolved", tenant: row["tenant"], actor: actor, ticket: String(ticket), device: row["device"],
                                        site: row["site"], outcome: due == nil ? "recorded" : "scheduled", details: details)], in: db, at: date)
            return due.map { .scheduled(ticket: ticket, due: Date(timeIntervalSince1970: $0)) } ?? .recorded(ticket: ticket)
        }
    }

    /// Tickets whose alert resolved and whose resolve time has come, oldest first.
    public func dueResolutions(at date: Date, limit: Int) throws(StoreError) -> [DueResolution] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT a.uid AS alert, a.site, a.resolved_at AS alert_resolved_at, t.* FROM datto_alerts a JOIN tickets t ON t.id = a.ticket
                WHERE a.resolve_due IS NOT NULL AND a.ticket_resolved_at IS NULL AND a.resolve_due <= ? ORDER BY a.resolve_due LIMIT ?
                """, arguments: [date.timeIntervalSince1970, limit]).map {
                DueResolution(alert: $0["alert"], ticket: try Ticket(row: $0), site: $0["site"],
                              alertResolvedAt: Date(timeIntervalSince1970: $0["alert_resolved_at"]))
            }
        }
    }

    /// Resolves an alert's ticket (unless a technician already resolved or closed it), with
    /// `note` when given, committed with `audit`. Returns the ticket as it is now.
    public func completeResolution(_ due: DueResolution, at date: Date, note: String?, audit: [AuditEntry]) throws(StoreError) -> Ticket {
        try write { db in
            let now = date.timeIntervalSince1970
            try db.execute(sql: "UPDATE datto_alerts SET ticket_resolved_at = ? WHERE uid = ?", arguments: [now, due.alert])
            try db.execute(sql: """
                UPDATE tickets SET status = 'resolved', resolved_at = ?1, updated_at = ?1 WHERE id = ?2 AND status NOT IN ('resolved', 'closed')
                """, arguments: [now, due.ticket.id])
            if let note {
                _ = try Self.addNote(ticket: due.ticket.id, author: "switchboard", text: note, correlationID: nil, audit: [], in: db)
            }
            try Self.append(audit, in: db, at: date)
            guard let ticket = try Ticket.fetchOne(db, sql: "SELECT * FROM tickets WHERE id = ?", arguments: [due.ticket.id]) else {
                throw StoreError(path: path, reason: "unknown ticket \(due.ticket.id)")
            }
            return ticket
        }
    }

    /// The ticket of an alert, when one was created.
    public func alertTicket(_ uid: String) throws(StoreError) -> Int64? {
        try read { db in try Int64.fetchOne(db, sql: "SELECT ticket FROM datto_alerts WHERE uid = ?", arguments: [uid]) }
    }

    /// Records when something last happened (`webhook`, `failure.sync`, ...).
    public func mark(_ name: String, at date: Date) throws(StoreError) {
        try write { db in try Self.mark(name, at: date.timeIntervalSince1970, in: db) }
    }

    static func mark(_ name: String, at time: Double, in db: Database) throws {
        try db.cachedStatement(sql: "INSERT INTO datto_marks (name, at) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET at = excluded.at")
            .execute(arguments: [name, time])
    }

    /// The dashboard's figures, with alerts counted since `since`.
    public func dattoStatistics(since: Date) throws(StoreError) -> DattoStatistics {
        try read { db in
            func count(_ sql: String, _ arguments: StatementArguments = []) throws -> Int { try Int.fetchOne(db, sql: sql, arguments: arguments) ?? 0 }
            var sites: [DattoSite.Mapping: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT mapping, COUNT(*) AS n FROM datto_sites GROUP BY mapping") {
                if let mapping = DattoSite.Mapping(rawValue: row["mapping"]) { sites[mapping] = row["n"] }
            }
            let marks = try Dictionary(Row.fetchAll(db, sql: "SELECT name, at FROM datto_marks").map {
                ($0["name"] as String, Date(timeIntervalSince1970: $0["at"]))
            }, uniquingKeysWith: { first, _ in first })
            return DattoStatistics(
                devices: try count("SELECT COUNT(*) FROM devices WHERE platform = 'datto' AND gone_at IS NULL"),
                goneDevices: try count("SELECT COUNT(*) FROM devices WHERE platform = 'datto' AND gone_at IS NOT NULL"),
                recentAlerts: try count("SELECT COUNT(*) FROM datto_alerts WHERE received_at >= ?", [since.timeIntervalSince1970]),
                ticketsCreated: try count("SELECT COUNT(*) FROM datto_alerts"),
                ticketsAutoResolved: try count("SELECT COUNT(*) FROM datto_alerts WHERE ticket_resolved_at IS NOT NULL"),
                syncsCompleted: try count("SELECT COUNT(*) FROM datto_syncs WHERE outcome = 'completed'"),
                syncsFailed: try count("SELECT COUNT(*) FROM datto_syncs WHERE outcome = 'failed'"),
                lastSync: try SyncRun.fetchOne(db, sql: "SELECT * FROM datto_syncs WHERE outcome != 'running' ORDER BY id DESC LIMIT 1"),
                sites: sites, marks: marks)
        }
    }
}
